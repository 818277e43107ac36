"""The local executor: each run trains in its own ``python -m core.runs.worker``
process, started for it or kept warm ahead (:mod:`core.runs.executors.warm`).

The web server and the command line only create runs in the :class:`RunStore`
and launch workers; they never train. A worker waits for one of the store's
concurrency slots (:mod:`core.runs.slots`), trains, and writes everything into
its run folder.

Cancel is cooperative first (the worker checks ``cancel.request`` at every
batch and stops with the best weights), then, after a grace period, the process
is terminated. A worker that vanished without a final status (killed, out of
memory) is detected by its pid and start time (:mod:`core.runs.processes`) and
marked ``interrupted``.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import time

from core.errors import CoreError
from core.examples.prepare import prepare_experiment
from core.runs.executors.base import DEFAULT_CANCEL_GRACE_SECONDS, Executor
from core.runs.executors.spare import SpareWorker, spawn_worker, start_spare_worker
from core.runs.executors.warm import (
    DEFAULT_RUNS_PER_WORKER,
    WarmPool,
    thread_environment,
)
from core.runs.processes import process_started, terminate
from core.runs.remote import ModelWorker
from core.runs.store import RunRecord, RunStore
from core.serve.access import UserLimits

#: Environment variable overriding the number of concurrent training processes.
CONCURRENCY_VARIABLE = "SEQ_EMBED_MAX_TRAINING"


def default_concurrency() -> int:
    """``$SEQ_EMBED_MAX_TRAINING``, else one training process per two CPU cores."""
    configured = os.environ.get(CONCURRENCY_VARIABLE)
    if configured and configured.strip().isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, (os.cpu_count() or 1) // 2)


class LocalExecutor(Executor):
    """Launches, watches and cancels training processes on this machine.

    Parameters
    ----------
    store : RunStore
        Where runs live.
    max_concurrent : int or None
        Training processes at once; ``None`` means :func:`default_concurrency`.
    cancel_grace_seconds : float
        How long a cancelled worker may take to stop by itself.
    limits : UserLimits or None
        Per-user limits of runs with an owner; ``None`` reads them from the
        environment (:meth:`UserLimits.from_environment`).
    warm_workers : int
        Training processes kept started, TensorFlow imported, for the next
        runs (:class:`~core.runs.executors.warm.WarmPool`); 0: each run starts
        its own. The app keeps one per slot; a command line keeps none.
    training_threads : int or None
        Caps every training process's threads (the app leaves its server a
        core); None: TensorFlow's default, every core.
    runs_per_worker : int
        Runs a warm worker trains before it is replaced.
    """

    def __init__(
        self,
        store: RunStore,
        max_concurrent: int | None = None,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
        limits: UserLimits | None = None,
        warm_workers: int = 0,
        training_threads: int | None = None,
        runs_per_worker: int = DEFAULT_RUNS_PER_WORKER,
    ) -> None:
        super().__init__(
            store,
            max_concurrent or default_concurrency(),
            cancel_grace_seconds,
            limits,
        )
        self._children: dict[str, subprocess.Popen] = {}
        self._spare: SpareWorker | None = None
        self.environment: dict[str, str] = (
            {} if training_threads is None else thread_environment(training_threads)
        )
        self.pool = WarmPool(store, warm_workers, runs_per_worker, self.environment)
        self.pool.maintain()  # the workers import TensorFlow from now on
        self._models: ModelWorker | None = None

    @property
    def models(self) -> ModelWorker:
        """The process that computes with a run's model for the web server
        (predictions on a new file, what-if, importance); started on first use."""
        with self._lock:
            if self._models is None:
                self._models = ModelWorker(self.environment)
            return self._models

    def close(self) -> None:
        """Let the spare, the warm workers and the model worker go (busy warm
        workers finish their run)."""
        self.close_spare()
        self.pool.close()
        if self._models is not None:
            self._models.close()

    def start_spare(self, spare: SpareWorker | None = None) -> None:
        """Keep a spare worker (``spare``, or a new one) for the next :meth:`launch`.

        See :mod:`core.runs.executors.spare`: its TensorFlow import overlaps with
        the launcher's reading, storing and preparing. One spare at most.
        """
        if self._spare is not None:
            if spare is not None:
                spare.close()
            return
        self._spare = spare or start_spare_worker()

    def close_spare(self) -> None:
        """Let an unused spare worker go (it exits without training)."""
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()

    def _hand_to_spare(self, run_id: str) -> subprocess.Popen | None:
        """Give the run to the spare worker; None if there is none alive.

        The spare is still importing TensorFlow, so this process prepares
        the run's examples meanwhile and sends them after the run.
        """
        spare = self._spare
        if spare is None:
            return None
        if spare.alive:
            prepared = self._prepared_payload(run_id)  # a bug raises: still spare
            self._spare = None
            settings = (self.store.root, self.max_concurrent, self.limits.training)
            if spare.hand_over(run_id, *settings, prepared):
                return spare.process
        self._spare = None
        spare.close()  # it died meanwhile (killed): a fresh worker runs the run
        return None

    def _prepared_payload(self, run_id: str) -> bytes | None:
        """The run's prepared examples, pickled; None where the worker must
        prepare them itself (a streamed dataset, or data it will refuse and
        record the error of)."""
        record = self.store.get(run_id)
        if record.streamed:
            return None
        try:
            # From the stored table, exactly what the worker would read.
            prepared = prepare_experiment(self.store.load_data(record), record.config)
        except CoreError:
            return None
        return pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)

    def launch(self, run_id: str) -> None:
        """Start the worker process of a queued run (or hand it to the spare, or
        to an idle warm worker)."""
        child = self._hand_to_spare(run_id)
        if child is None:
            child = self.pool.take(run_id, self.max_concurrent, self.limits.training)
        if child is None:
            arguments = [
                "--runs-dir",
                str(self.store.root),
                "--slots",
                str(self.max_concurrent),
                "--per-user",
                str(self.limits.training),
                run_id,
            ]
            with self.store.log_path(run_id).open("ab") as log:
                child = spawn_worker(
                    arguments, log, subprocess.DEVNULL, self.environment
                )
        with self._lock:
            self._children[run_id] = child
        self.store.update(
            run_id,
            pid=child.pid,
            pid_started=process_started(child.pid),
            host=socket.gethostname(),
        )

    def _reap(self) -> None:
        """Collect the exit status of finished children (no zombies linger) and
        replace warm workers that ended (recycled, or terminated by a cancel)."""
        with self._lock:
            for run_id, child in list(self._children.items()):
                if child.poll() is not None:
                    del self._children[run_id]
        self.pool.maintain()

    def refresh(self, record: RunRecord) -> RunRecord:
        """The record, marked ``interrupted`` (or ``cancelled``) if its process died."""
        self._reap()
        return super().refresh(record)

    def cancel(self, run_id: str) -> None:
        """Ask a run to stop; terminate its process if it has not after the grace."""
        record = self.get(run_id)
        if record.status.final:
            return
        self.store.request_cancel(run_id)
        self.enforce_cancel_later(run_id)

    def _enforce_cancel(self, run_id: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.get(run_id).status.final:
                return
            time.sleep(0.2)
        record = self.get(run_id)
        if record.status.final or record.executor is not None:
            # A Ray run's pid is its driver's, which passes the cancel on to
            # its task and ends it there: never terminate the driver.
            return
        terminate(record.pid, record.pid_started, record.pid_start)
        self.refresh(self.store.get(run_id))
