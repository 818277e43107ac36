"""Concurrency slots of one machine: how many runs train at once, and in what order.

A slot is a lock file, ``_slots/slot-<k>.lock`` in the store
(:func:`core._fs.try_lock`): the operating system releases it when its
process dies, however it dies, so a killed worker never keeps a slot. Queued
runs start first in, first out, and a per-user cap keeps one user's queue from
taking every slot.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator

from core._fs import try_lock
from core.runs.processes import process_alive
from core.runs.store import RunRecord, RunStatus, RunStore

SLOTS_FOLDER = "_slots"
#: A queued run whose launcher has not recorded a process within this time is
#: not waited for (it was never launched).
UNLAUNCHED_GRACE_SECONDS = 30.0
POLL_SECONDS = 0.25


def record_alive(record: RunRecord) -> bool:
    """Whether the process recorded for a run still runs (pid reuse excluded)."""
    return process_alive(record.pid, record.pid_started, record.pid_start)


def training_owners(records: list[RunRecord]) -> Counter[str]:
    """How many training slots each owner holds now (live running runs)."""
    return Counter(
        record.owner
        for record in records
        if record.owner is not None
        and record.executor is None  # a Ray run holds no slot of this machine
        and record.status is RunStatus.RUNNING
        and record_alive(record)
    )


def waiting_ahead(
    store: RunStore, record: RunRecord, per_user: int | None = None
) -> bool:
    """Whether this run must wait: its owner holds ``per_user`` slots, or an
    older queued run that may start is alive and goes first (FIFO).

    An older run whose owner is at the limit is skipped, so one user's queue
    never blocks another user's runs.
    """
    records = store.records()
    holding = training_owners(records) if per_user else Counter()

    def at_limit(owner: str | None) -> bool:
        return bool(per_user) and owner is not None and holding[owner] >= per_user

    if at_limit(record.owner):
        return True
    for other in records:
        ahead = (other.created, other.id) < (record.created, record.id)
        if not ahead or other.status is not RunStatus.QUEUED:
            continue
        if at_limit(other.owner) or other.executor is not None:
            continue  # a Ray run waits for the cluster, not for this machine
        if other.pid is None:
            if time.time() - other.created < UNLAUNCHED_GRACE_SECONDS:
                return True
        elif record_alive(other):
            return True
    return False


@contextlib.contextmanager
def training_slot(
    store: RunStore, run_id: str, slots: int, per_user: int | None = None
) -> Iterator[bool]:
    """Hold one of ``slots`` lock files while training; yields False if cancelled.

    ``per_user`` caps the slots that the runs of one owner hold at once.
    """
    folder = store.root / SLOTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        if store.cancel_requested(run_id):
            yield False
            return
        if not waiting_ahead(store, store.get(run_id), per_user):
            for number in range(slots):
                lock = try_lock(folder / f"slot-{number}.lock")
                if lock is None:
                    continue
                try:
                    yield True
                finally:
                    lock.release()
                return
        time.sleep(POLL_SECONDS)
