"""The local executor: each run trains in its own ``python -m core.runs.worker``
process.

The web server and the command line only create runs in the :class:`RunStore`
and launch workers; they never train. A worker waits for one of the store's
concurrency slots (a lock file: the kernel releases it when the process dies,
however it dies), trains, and writes everything into its run folder.

Cancel is cooperative first (the worker checks ``cancel.request`` at every
batch and stops with the best weights), then, after a grace period, the process
is terminated. A worker that vanished without a final status (killed, out of
memory) is detected by its pid and marked ``interrupted``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from core.config import ExperimentConfig
from core.errors import ConfigError
from core.runs.executors.spare import SpareWorker, spawn_worker, start_spare_worker
from core.runs.store import DamagedRun, RunRecord, RunStatus, RunStore
from core.serve.access import UserLimits, check_run_limit

#: Environment variable overriding the number of concurrent training processes.
CONCURRENCY_VARIABLE = "SEQ_EMBED_MAX_TRAINING"
DEFAULT_CANCEL_GRACE_SECONDS = 10.0
INTERRUPTED_MESSAGE = (
    "the training process ended without finishing the run (killed, out of "
    "memory, or the machine restarted); start it again from the Train page"
)


def default_concurrency() -> int:
    """``$SEQ_EMBED_MAX_TRAINING``, else one training process per two CPU cores."""
    configured = os.environ.get(CONCURRENCY_VARIABLE)
    if configured and configured.strip().isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, (os.cpu_count() or 1) // 2)


def process_start_ticks(pid: int) -> int | None:
    """Start time of a live process (``/proc``), or ``None`` if gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def process_alive(pid: int | None, start_ticks: int | None) -> bool:
    """Whether that process still runs (the start time guards against pid reuse)."""
    if pid is None:
        return False
    ticks = process_start_ticks(pid)
    if ticks is None:
        return False
    return start_ticks is None or ticks == start_ticks


class LocalExecutor:
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
    """

    def __init__(
        self,
        store: RunStore,
        max_concurrent: int | None = None,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
        limits: UserLimits | None = None,
    ) -> None:
        self.store = store
        self.max_concurrent = max_concurrent or default_concurrency()
        self.cancel_grace_seconds = cancel_grace_seconds
        self.limits = limits or UserLimits.from_environment(self.max_concurrent)
        self._children: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._spare: SpareWorker | None = None

    def submit(
        self,
        frame: pd.DataFrame,
        config: ExperimentConfig,
        encodings: tuple[str, ...] = ("embedding",),
        data_name: str = "data",
        owner: str | None = None,
        label: str | None = None,
        comparison: str | None = None,
    ) -> RunRecord:
        """Store a new run and launch its worker; returns at once (``queued``).

        Raises
        ------
        RunLimitError
            If ``owner`` already has as many queued or running runs as
            ``limits.runs`` allows (runs without an owner are not limited).
        """
        with self._submitting():
            if owner is not None:
                mine = [r for r in self.store.records() if r.owner == owner]
                check_run_limit(map(self.refresh, mine), owner, self.limits.runs)
            record = self.store.create(
                frame,
                config,
                encodings,
                data_name,
                owner=owner,
                label=label,
                comparison=comparison,
            )
        self.launch(record.id)
        return self.store.get(record.id)

    @contextlib.contextmanager
    def _submitting(self) -> Iterator[None]:
        """One submit at a time per store, so two tabs cannot both pass the limit."""
        self.store.root.mkdir(parents=True, exist_ok=True)
        with (self.store.root / ".submit.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

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
        from core.errors import CoreError
        from core.examples.prepare import prepare_experiment
        from core.runs.dataset_run import is_dataset_run

        record = self.store.get(run_id)
        if is_dataset_run(record):
            return None
        try:
            # From the stored table, exactly what the worker would read.
            prepared = prepare_experiment(self.store.load_data(record), record.config)
        except CoreError:
            return None
        return pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)

    def launch(self, run_id: str) -> None:
        """Start the worker process of a queued run (or hand it to the spare)."""
        child = self._hand_to_spare(run_id)
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
            with (self.store.run_path(run_id) / "worker.log").open("ab") as log:
                child = spawn_worker(arguments, log, subprocess.DEVNULL)
        with self._lock:
            self._children[run_id] = child
        self.store.update(
            run_id,
            pid=child.pid,
            pid_start=process_start_ticks(child.pid),
            host=socket.gethostname(),
        )

    def _reap(self) -> None:
        """Collect the exit status of finished children (no zombies linger)."""
        with self._lock:
            for run_id, child in list(self._children.items()):
                if child.poll() is not None:
                    del self._children[run_id]

    def refresh(self, record: RunRecord) -> RunRecord:
        """The record, marked ``interrupted`` (or ``cancelled``) if its process died."""
        self._reap()
        if record.status.final or record.pid is None:
            return record
        if record.host not in (None, socket.gethostname()):
            return record  # another machine's process: its own executor watches it
        if process_alive(record.pid, record.pid_start):
            return record
        # Re-read: the worker may have written its final status just now.
        current = self.store.get(record.id)
        if current.status.final:
            return current
        if self.store.cancel_requested(record.id):
            return self.store.finish(record.id, RunStatus.CANCELLED)
        return self.store.finish(record.id, RunStatus.INTERRUPTED, INTERRUPTED_MESSAGE)

    def get(self, run_id: str) -> RunRecord:
        """A run's up-to-date record."""
        return self.refresh(self.store.get(run_id))

    def list(self) -> list[RunRecord | DamagedRun]:
        """Every run, newest first, with dead processes detected."""
        return [
            item if isinstance(item, DamagedRun) else self.refresh(item)
            for item in self.store.list()
        ]

    def cancel(self, run_id: str) -> None:
        """Ask a run to stop; terminate its process if it has not after the grace."""
        record = self.get(run_id)
        if record.status.final:
            return
        self.store.request_cancel(run_id)
        threading.Thread(
            target=self._enforce_cancel,
            args=(run_id, time.monotonic() + self.cancel_grace_seconds),
            name=f"cancel-{run_id}",
            daemon=True,
        ).start()

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
        terminate(record.pid, record.pid_start)
        self.refresh(self.store.get(run_id))

    def wait(
        self, run_id: str, timeout: float | None = None, poll: float = 0.2
    ) -> RunRecord:
        """Block until the run has a final status (or ``timeout`` seconds pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.get(run_id)
            if record.status.final:
                return record
            if deadline is not None and time.monotonic() > deadline:
                return record
            time.sleep(poll)

    def queue_position(self, record: RunRecord) -> int | None:
        """1 for the next queued run to start, 2 for the one after, ...; else None."""
        if record.status is not RunStatus.QUEUED:
            return None
        waiting = sorted(
            (item.created, item.id)
            for item in self.store.records()
            if item.status is RunStatus.QUEUED
        )
        ids = [run_id for _, run_id in waiting]
        return ids.index(record.id) + 1 if record.id in ids else None


EXECUTORS = ("local", "ray")


def make_executor(
    kind: str,
    store: RunStore,
    *,
    ray_address: str | None = None,
    num_cpus: float = 1.0,
    num_gpus: float = 0.0,
    **options: object,
) -> LocalExecutor:
    """``"local"`` (child processes, the default) or ``"ray"`` (a Ray cluster).

    Raises
    ------
    ConfigError
        For another kind.
    RayUnavailableError
        For ``"ray"`` without Ray installed (with how to install it).
    """
    if kind == "local":
        return LocalExecutor(store, **options)  # type: ignore[arg-type]
    if kind == "ray":
        from core.runs.executors.ray_cluster import RayExecutor, import_ray

        import_ray()  # fail now, with the install hint, not at the first run
        return RayExecutor(
            store,
            address=ray_address,
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            **options,  # type: ignore[arg-type]
        )
    raise ConfigError(
        "--executor", f"expected one of {list(EXECUTORS)}, received {kind!r}"
    )


def terminate(pid: int | None, start_ticks: int | None, grace: float = 3.0) -> None:
    """SIGTERM the process (and its group), then SIGKILL if it lingers."""
    if not process_alive(pid, start_ticks):
        return
    for sent in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sent)
        stop = time.monotonic() + grace
        while time.monotonic() < stop:
            if not process_alive(pid, start_ticks):
                return
            time.sleep(0.1)
