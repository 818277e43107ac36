"""Training processes on any platform: liveness, start times, ending, priority, memory.

Built on :mod:`psutil`, so it reads no ``/proc`` and imports nothing that
exists on one platform only. A run's record keeps the pid of its process and
that process's start time; a pid alone is not enough, because the system
reuses the pid of a process that has ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import IO

import psutil

from core.runs.executors.spare import PROJECT_ROOT

#: How far apart two readings of one process's start time may be. The time
#: is computed from the boot time, which moves when the clock is adjusted;
#: a reused pid would need the whole pid range to wrap within this window.
START_TIME_TOLERANCE_SECONDS = 1.0
#: Clock ticks per second of old records' ``/proc`` start times (Linux's
#: usual value, where the system cannot tell).
DEFAULT_CLOCK_TICKS = 100


def process_started(pid: int) -> float | None:
    """When a live process started (Unix time), or None if gone or a zombie."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def started_from_ticks(ticks: int) -> float:
    """A start time in clock ticks since boot (old records, Linux) as Unix time."""
    clock_ticks = DEFAULT_CLOCK_TICKS
    with contextlib.suppress(AttributeError, ValueError, OSError):
        clock_ticks = os.sysconf("SC_CLK_TCK")
    return psutil.boot_time() + ticks / clock_ticks


def process_alive(
    pid: int | None, started: float | None = None, start_ticks: int | None = None
) -> bool:
    """Whether that process still runs; the start time guards against pid reuse.

    Parameters
    ----------
    pid : int or None
        The process; None is never alive.
    started : float or None
        Its start time as recorded (:func:`process_started`).
    start_ticks : int or None
        Its start time as records written before ``started`` existed hold it
        (clock ticks since boot); read only when ``started`` is None.

    Returns
    -------
    bool
        True when a process with that pid runs and started at that time (or
        no start time was recorded).
    """
    if pid is None:
        return False
    now_started = process_started(pid)
    if now_started is None:
        return False
    if started is None and start_ticks is not None:
        started = started_from_ticks(start_ticks)
    return started is None or abs(now_started - started) <= START_TIME_TOLERANCE_SECONDS


def terminate(
    pid: int | None,
    started: float | None = None,
    start_ticks: int | None = None,
    grace: float = 3.0,
) -> None:
    """Ask the process (and its process group) to end, then kill it if it lingers."""
    if not process_alive(pid, started, start_ticks):
        return
    for forceful in (False, True):
        _signal_group(pid, forceful)
        stop = time.monotonic() + grace
        while time.monotonic() < stop:
            if not process_alive(pid, started, start_ticks):
                return
            time.sleep(0.1)


def _signal_group(pid: int, forceful: bool) -> None:
    """SIGTERM/SIGKILL the group a worker leads (POSIX), else end the process tree."""
    if hasattr(os, "killpg"):
        sent = signal.SIGKILL if forceful else signal.SIGTERM
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sent)
        return
    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
        process = psutil.Process(pid)
        for member in [*process.children(recursive=True), process]:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                if forceful:
                    member.kill()
                else:
                    member.terminate()


def peak_memory_bytes() -> int:
    """This process's peak resident memory in bytes (its current size where the
    system keeps no peak)."""
    try:
        # Platform-only (POSIX): imported where used, with psutil as the fallback.
        import resource
    except ImportError:
        info = psutil.Process().memory_info()
        return int(getattr(info, "peak_wset", info.rss))
    peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    # Linux reports KiB, macOS bytes.
    return peak if sys.platform == "darwin" else peak * 1024


def lower_cpu_priority(increment: int) -> None:
    """Lower this process's CPU priority by ``increment`` niceness steps."""
    if increment <= 0:
        return
    if hasattr(os, "nice"):
        os.nice(increment)
        return
    # Windows has priority classes, not niceness steps.
    psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)


def start_core_command(arguments: list[str], log: IO[bytes]) -> subprocess.Popen:
    """Start ``python -m core ARGUMENTS`` in a session of its own, output to ``log``.

    A new session: a restart of the web server, or a Ctrl-C in its terminal,
    does not take the process with it (a study's driver, a run's launcher).
    """
    return subprocess.Popen(
        [sys.executable, "-m", "core", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
