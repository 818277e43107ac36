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

#: The run id argument that makes ``python -m core.worker`` a spare.
SPARE_RUN_ID = "-"
#: The line before the pickled examples a spare may receive after its run.
PREPARED_HEADER = "prepared"
#: Environment variable with the training process's niceness increment.
NICENESS_VARIABLE = "SEQ_EMBED_WORKER_NICE"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def worker_environment() -> dict[str, str]:
    """The environment of a training process: this one's, TensorFlow quieter."""
    return {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "PYTHONUNBUFFERED": "1",
    }


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
        """Send the spare its run; False if it died before it could take it."""
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
            self.close()
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
    """Start ``python -m core.worker -``; ``niceness``: its CPU priority
    increment unless ``$SEQ_EMBED_WORKER_NICE`` says otherwise.

    It runs in a session of its own (a Ctrl-C in the terminal reaches the
    launcher, which cancels the run, not the worker directly), like every
    training process.
    """
    handle, name = tempfile.mkstemp(prefix="seq-embed-spare-", suffix=".log")
    environment = worker_environment()
    if niceness is not None:
        environment.setdefault(NICENESS_VARIABLE, niceness)
    command = [sys.executable, "-m", "core.worker", "--spare-log", name, SPARE_RUN_ID]
    with os.fdopen(handle, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return SpareWorker(process, Path(name))
