"""A training process started before its run exists (a *spare* worker).

A worker spends seconds importing TensorFlow before it can train. The command
line starts a spare first thing, before it imports pandas or reads the table,
so that the import runs on one core while the launcher reads, checks, stores
and prepares the data on another. The spare waits on a pipe for its run (the
store, the slots, the run id, then optionally the prepared examples) and exits
at once if the pipe closes without one. This module imports nothing heavy, so
that ``python -m core`` can call it before anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: The run id argument that makes ``python -m core.runs.worker`` a spare.
SPARE_RUN_ID = "-"
#: The line before the pickled examples a spare may receive after its run.
PREPARED_HEADER = "prepared"
#: Environment variable with the training process's niceness increment.
NICENESS_VARIABLE = "SEQ_EMBED_WORKER_NICE"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def spawn_worker(
    arguments: list[str],
    log: IO[bytes],
    stdin: int,
    environment: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start ``python -m core.runs.worker ARGUMENTS``, its output going to ``log``.

    A new session: a Ctrl-C in the terminal or a restart of the web server
    does not take the training process with it (the launcher cancels runs).
    TensorFlow's start-up chatter is turned down unless the caller set it.
    """
    environment = {**os.environ, **(environment or {})}
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    environment["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(
        [sys.executable, "-m", "core.runs.worker", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        stdin=stdin,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@dataclass
class SpareWorker:
    """A started spare worker and the file its output goes to until it has a run."""

    process: subprocess.Popen
    log_path: Path

    @property
    def alive(self) -> bool:
        """Whether it still waits (it was not killed meanwhile)."""
        return self.process.poll() is None

    def hand_over(
        self,
        run_id: str,
        runs_dir: Path,
        slots: int,
        per_user: int,
        prepared: bytes | None = None,
    ) -> bool:
        """Send the spare its run; False if it died before it could take it
        (the caller then closes it)."""
        settings = {
            "run_id": run_id,
            "runs_dir": str(runs_dir),
            "slots": slots,
            "per_user": per_user,
        }
        try:
            if not self.alive:
                raise BrokenPipeError("the spare worker has exited")
            pipe = self.process.stdin
            pipe.write(json.dumps(settings).encode() + b"\n")
            if prepared is not None:
                pipe.write(f"{PREPARED_HEADER} {len(prepared)}\n".encode())
                pipe.write(prepared)
            pipe.close()
            return True
        except OSError:
            return False

    def close(self) -> None:
        """Let it go unused: it exits without training (and removes its log)."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_path.unlink(missing_ok=True)


def start_spare_worker(niceness: str | None = None) -> SpareWorker:
    """Start ``python -m core.runs.worker -``; ``niceness``: its CPU priority
    increment unless ``$SEQ_EMBED_WORKER_NICE`` says otherwise.

    Like every training process it runs in a session of its own
    (:func:`spawn_worker`).
    """
    handle, name = tempfile.mkstemp(prefix="seq-embed-spare-", suffix=".log")
    environment = {}
    if niceness is not None:
        environment[NICENESS_VARIABLE] = os.environ.get(NICENESS_VARIABLE, niceness)
    with os.fdopen(handle, "ab") as log:
        process = spawn_worker(
            ["--spare-log", name, SPARE_RUN_ID], log, subprocess.PIPE, environment
        )
    return SpareWorker(process, Path(name))
