"""A running ``streamlit run app.py`` and Debian's Chromium, for real-browser work.

Shared by the browser tests, the app-start benchmark (``bench/speed.py``), the PCA
figure of ``bench/where_embeddings_win.py`` and ``docs/make_screenshots.py``, so
the server command, its health wait and the browser flags live in one place.
Chromium is Debian's (``apt-get install chromium``) driven through Playwright's
``executable_path``; no browser is ever downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Headless, and nothing that would reach the network or need a GPU.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(
    port: int,
    output: IO[Any] | int = subprocess.DEVNULL,
    options: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
) -> subprocess.Popen:
    """Start the app headless on ``127.0.0.1:port``; returns at once.

    ``options`` are more ``streamlit run`` options (``--secrets.files PATH``);
    ``environment`` adds variables (``SEQ_EMBED_RUNS_DIR``).
    """
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        *options,
    ]
    variables = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        **(environment or {}),
    }
    return subprocess.Popen(
        command, cwd=ROOT, env=variables, stdout=output, stderr=subprocess.STDOUT
    )


def wait_healthy(
    url: str, server: subprocess.Popen, seconds: float = 90, poll: float = 0.05
) -> None:
    """Block until ``/_stcore/health`` answers 200.

    Raises
    ------
    RuntimeError
        If the server exits first.
    TimeoutError
        If it is not healthy within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("streamlit exited before becoming healthy")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(poll)
    raise TimeoutError(f"streamlit not healthy after {seconds} s")


def stop(server: subprocess.Popen) -> None:
    """Terminate the server, killing it if it does not stop within 20 s."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextmanager
def running_app(
    log_path: Path | None = None,
    options: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """The app on a (free) loopback port for the ``with`` block; yields its URL."""
    port = port or free_port()
    log = log_path.open("w") if log_path else None
    server = start_app(port, log if log else subprocess.DEVNULL, options, environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        stop(server)
        if log:
            log.close()


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright's ``executable_path``."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
    )
