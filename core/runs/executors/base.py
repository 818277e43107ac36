"""What every executor does, wherever its runs train.

An executor creates runs in the :class:`~core.runs.store.RunStore`, launches
their training somewhere (:meth:`Executor.launch`: a local process, a Ray
task) and follows them through the store. Submitting, watching, waiting and
queue positions are the same for all, and live here; the local and Ray
executors (:mod:`core.runs.executors.local`, :mod:`core.runs.executors.ray_cluster`)
only launch and cancel.
"""

from __future__ import annotations

import abc
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pandas as pd

from core._fs import file_lock
from core.config import ExperimentConfig
from core.runs.slots import record_alive
from core.runs.store import DamagedRun, RunRecord, RunStatus, RunStore
from core.serve.access import UserLimits, check_run_limit

DEFAULT_CANCEL_GRACE_SECONDS = 10.0
INTERRUPTED_MESSAGE = (
    "the training process ended without finishing the run (killed, out of "
    "memory, or the machine restarted); start it again from the Train page"
)
SUBMIT_LOCK_FILE = ".submit.lock"


class Executor(abc.ABC):
    """Creates runs, launches their training and follows them through the store.

    Parameters
    ----------
    store : RunStore
        Where runs live.
    max_concurrent : int
        Runs that train at once on this machine.
    cancel_grace_seconds : float
        How long a cancelled run may take to stop by itself.
    limits : UserLimits or None
        Per-user limits of runs with an owner; ``None`` reads them from the
        environment (:meth:`UserLimits.from_environment`).
    """

    def __init__(
        self,
        store: RunStore,
        max_concurrent: int,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
        limits: UserLimits | None = None,
    ) -> None:
        self.store = store
        self.max_concurrent = max_concurrent
        self.cancel_grace_seconds = cancel_grace_seconds
        self.limits = limits or UserLimits.from_environment(self.max_concurrent)
        self._lock = threading.Lock()

    @abc.abstractmethod
    def launch(self, run_id: str) -> None:
        """Start training a queued run (and record which process follows it)."""

    @abc.abstractmethod
    def cancel(self, run_id: str) -> None:
        """Ask a run to stop; end it if it has not after the grace period."""

    def enforce_cancel_later(self, run_id: str) -> None:
        """Watch a cancelled run in the background; stop it hard after the grace."""
        threading.Thread(
            target=self._enforce_cancel,
            args=(run_id, time.monotonic() + self.cancel_grace_seconds),
            name=f"cancel-{run_id}",
            daemon=True,
        ).start()

    @abc.abstractmethod
    def _enforce_cancel(self, run_id: str, deadline: float) -> None:
        """Until ``deadline``, wait for the run to stop; then end it."""

    def close_spare(self) -> None:
        """Let an unused spare worker go (an executor without spares has none)."""
        return None  # only the local executor keeps spare workers

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
        """Store a new run and launch it; returns at once (``queued``).

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
        with file_lock(self.store.root / SUBMIT_LOCK_FILE):
            yield

    def refresh(self, record: RunRecord) -> RunRecord:
        """The record, marked ``interrupted`` (or ``cancelled``) if its process died."""
        if record.status.final or record.pid is None:
            return record
        if record.host not in (None, socket.gethostname()):
            return record  # another machine's process: its own executor watches it
        if record_alive(record):
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
