"""Training progress and cancellation without Keras.

:class:`ProgressEvent` and :class:`CancelToken` are what callers of
:mod:`core.model.training` see; :class:`ProgressWriter` and :class:`FileCancelToken`
are their run-store versions for a training process. They live apart from the
Keras callbacks so that a worker can write its first phases while TensorFlow
is still importing (``core.runs.worker``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from core.runs.store import RunStore

ProgressKind = Literal["epoch_end", "batch_end"]
#: Batch progress lines are written at most this often.
BATCH_LINE_SECONDS = 1.0


@dataclass(frozen=True)
class ProgressEvent:
    """One step of training progress.

    Attributes
    ----------
    kind : {"epoch_end", "batch_end"}
        What just finished.
    epoch : int
        Zero-based epoch.
    epochs : int
        Configured maximum number of epochs.
    batch, batches : int
        Zero-based batch within the epoch and batches per epoch.
    logs : dict of str to float
        Keras's metrics at that point (``loss``, ``val_loss`` at epoch end).
    """

    kind: ProgressKind
    epoch: int
    epochs: int
    batch: int
    batches: int
    logs: dict[str, float]


class CancelToken:
    """Thread-safe request to stop training at the next batch."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask training to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()


class ProgressWriter:
    """Appends progress lines of one run; batch lines are throttled."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self._last_batch_line = 0.0

    def phase(self, name: str, **details: Any) -> None:
        """A new phase: loading, preparing, training, evaluating, saving."""
        self.store.append_progress(
            self.run_id, {"kind": "phase", "phase": name, **details}
        )

    def training_event(self, encoding: str, index: int, count: int):
        """A :class:`ProgressEvent` handler for one encoding's training."""

        def handle(event: ProgressEvent) -> None:
            now = time.monotonic()
            if event.kind == "batch_end":
                if now - self._last_batch_line < BATCH_LINE_SECONDS:
                    return
                self._last_batch_line = now
            self.store.append_progress(
                self.run_id,
                {
                    "kind": "epoch" if event.kind == "epoch_end" else "batch",
                    "phase": "training",
                    "encoding": encoding,
                    "index": index,
                    "count": count,
                    "epoch": event.epoch,
                    "epochs": event.epochs,
                    "batch": event.batch,
                    "batches": event.batches,
                    "logs": event.logs,
                },
            )

        return handle


class FileCancelToken(CancelToken):
    """A cancel token that also honours the run's ``cancel.request`` file."""

    def __init__(self, store: RunStore, run_id: str, every: float = 0.25) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.every = every
        self._checked = 0.0

    @property
    def cancelled(self) -> bool:
        """Whether a cancel was requested (the file is checked every 0.25 s)."""
        if not super().cancelled:
            now = time.monotonic()
            if now - self._checked >= self.every:
                self._checked = now
                if self.store.cancel_requested(self.run_id):
                    self.cancel()
        return super().cancelled
