"""Warm workers: training processes that imported TensorFlow and wait for runs.

A fresh ``python -m core.runs.worker`` spends 10-15 s importing TensorFlow
before its first batch. A :class:`WarmPool` keeps a few workers started ahead
(``python -m core.runs.worker --warm-runs N -``): each imports TensorFlow once,
then reads run settings from its stdin, one JSON line per run, and trains them
one after another with exactly the code path of a fresh worker
(:func:`core.runs.worker.run`: the same slots, progress, cancel file and run
folder). Between runs it clears Keras's global state, and after ``N`` runs it
exits and the pool starts a replacement, so memory cannot creep up over a long
study.

A warm worker dies with its launcher: the launcher holds the only write end of
its stdin, so when the launcher ends (however it ends) an idle worker reads
end-of-file and exits. A worker in the middle of a run finishes that run first,
exactly as a run outlives a web-server restart today.

This module imports nothing heavy: the web server holds the pool.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from core.runs.executors.spare import SPARE_RUN_ID, spawn_worker
from core.runs.store import RunNotFoundError, RunStore

#: Environment variable with the number of warm workers the app keeps.
WARM_WORKERS_VARIABLE = "SEQ_EMBED_WARM_WORKERS"
#: The worker option that makes it warm: how many runs it serves before it exits.
WARM_RUNS_OPTION = "--warm-runs"
#: Runs one warm worker trains before it is replaced (memory cannot creep).
DEFAULT_RUNS_PER_WORKER = 20
#: Workers that die before their first run after which the pool stops starting
#: new ones (TensorFlow cannot import here): runs then start fresh workers.
MAX_EARLY_DEATHS = 3
#: The line a warm worker prints to its idle log once TensorFlow is set up.
READY_LINE = "warm worker ready"
#: Environment variable with a training process's thread count (intra- and
#: inter-op threads of TensorFlow, OpenMP threads of the boosting arm).
THREADS_VARIABLE = "SEQ_EMBED_TRAINING_THREADS"


def default_warm_workers(concurrency: int) -> int:
    """``$SEQ_EMBED_WARM_WORKERS``, else one warm worker per training slot."""
    configured = os.environ.get(WARM_WORKERS_VARIABLE, "").strip()
    if configured.isdigit():
        return int(configured)
    return max(0, concurrency)


def server_training_threads(cores: int | None = None) -> int:
    """Threads per training process that leave the web server one core (at least 1)."""
    available = cores if cores is not None else os.cpu_count() or 1
    return max(1, available - 1)


def thread_environment(threads: int) -> dict[str, str]:
    """The environment that caps a training process at ``threads`` threads.

    TensorFlow reads ``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS``
    when its runtime starts; the worker also applies ``$SEQ_EMBED_TRAINING_THREADS``
    through ``tf.config.threading`` (a warm worker imports TensorFlow before
    its runs). ``OMP_NUM_THREADS`` caps the gradient-boosting arm.
    """
    text = str(max(1, threads))
    return {
        THREADS_VARIABLE: text,
        "TF_NUM_INTRAOP_THREADS": text,
        "TF_NUM_INTEROP_THREADS": text,
        "OMP_NUM_THREADS": text,
    }


@dataclass
class WarmWorker:
    """One started warm worker: its process, idle log, runs left and current run."""

    process: subprocess.Popen
    log_path: Path
    runs_left: int
    run_id: str | None = None
    served: int = 0

    @property
    def alive(self) -> bool:
        """Whether its process still runs."""
        return self.process.poll() is None

    @property
    def ready(self) -> bool:
        """Whether TensorFlow is imported and set up (it said so in its idle log)."""
        try:
            return READY_LINE in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    @property
    def retired(self) -> bool:
        """Whether it was handed its last run (its stdin is closed)."""
        return self.runs_left <= 0

    def hand(self, run_id: str, runs_dir: Path, slots: int, per_user: int) -> bool:
        """Send it a run; False if it died before it could take it.

        After its last run its stdin is closed: it exits once that run ends.
        """
        settings = {
            "run_id": run_id,
            "runs_dir": str(runs_dir),
            "slots": slots,
            "per_user": per_user,
        }
        try:
            if not self.alive:
                raise BrokenPipeError("the warm worker has exited")
            self.process.stdin.write(json.dumps(settings).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            return False
        self.run_id, self.runs_left, self.served = (
            run_id,
            self.runs_left - 1,
            self.served + 1,
        )
        if self.retired:
            self.close_input()
        return True

    def close_input(self) -> None:
        """Close its stdin: idle, it exits now; busy, after its run."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()

    def forget(self) -> None:
        """Collect an ended worker (no zombie) and remove its idle log."""
        self.process.poll()
        self.log_path.unlink(missing_ok=True)


class WarmPool:
    """A few warm workers for one run store; the local executor hands runs to them.

    Parameters
    ----------
    store : RunStore
        Whose runs the workers train (their idle state is read from it).
    size : int
        Warm workers kept ready (0: none).
    runs_per_worker : int
        Runs one worker trains before it exits and is replaced.
    environment : dict of str to str or None
        Added to the workers' environment (thread caps, niceness).
    """

    def __init__(
        self,
        store: RunStore,
        size: int,
        runs_per_worker: int = DEFAULT_RUNS_PER_WORKER,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.store = store
        self.size = max(0, size)
        self.runs_per_worker = max(1, runs_per_worker)
        self.environment = dict(environment or {})
        self.early_deaths = 0
        self._workers: list[WarmWorker] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def workers(self) -> list[WarmWorker]:
        """The workers started and not yet collected (ready, busy or retired)."""
        with self._lock:
            return list(self._workers)

    @property
    def disabled(self) -> bool:
        """Whether the pool gave up starting workers (they kept dying at start)."""
        return self.early_deaths >= MAX_EARLY_DEATHS

    def maintain(self) -> None:
        """Collect ended workers and start new ones until ``size`` are ready or busy."""
        with self._lock:
            self._maintain()

    def _maintain(self) -> None:
        for worker in list(self._workers):
            if worker.alive:
                continue
            if worker.served == 0 and not self._closed:
                self.early_deaths += 1
            worker.forget()
            self._workers.remove(worker)
        if self._closed or self.disabled:
            return
        serving = [worker for worker in self._workers if not worker.retired]
        for _ in range(self.size - len(serving)):
            self._workers.append(self._start())

    def _start(self) -> WarmWorker:
        handle, name = tempfile.mkstemp(prefix="seq-embed-warm-", suffix=".log")
        with os.fdopen(handle, "ab") as log:
            process = spawn_worker(
                [
                    WARM_RUNS_OPTION,
                    str(self.runs_per_worker),
                    "--spare-log",
                    name,
                    SPARE_RUN_ID,
                ],
                log,
                subprocess.PIPE,
                self.environment,
            )
        return WarmWorker(process, Path(name), self.runs_per_worker)

    def _idle(self, worker: WarmWorker) -> bool:
        """Alive, not retired, and its last run (if any) has a final status."""
        if not worker.alive or worker.retired:
            return False
        if worker.run_id is None:
            return True
        try:
            return self.store.get(worker.run_id).status.final
        except RunNotFoundError:
            return True  # deleted: the worker found nothing to train

    def take(self, run_id: str, slots: int, per_user: int) -> subprocess.Popen | None:
        """Hand ``run_id`` to an idle warm worker; its process, or None if none is idle.

        The worker then waits for a slot and trains exactly like a fresh one.
        """
        with self._lock:
            self._maintain()
            for worker in self._workers:
                if not self._idle(worker):
                    continue
                if worker.hand(run_id, self.store.root, slots, per_user):
                    process = worker.process
                    self._maintain()  # a retired worker's replacement starts now
                    return process
        return None

    def close(self) -> None:
        """Let every worker go: idle ones exit now, busy ones after their run."""
        with self._lock:
            self._closed = True
            for worker in self._workers:
                worker.close_input()
