"""Training progress and cancellation without Keras.

:class:`ProgressEvent` and :class:`CancelToken` are what callers of
:mod:`core.model.training` see; :class:`ProgressWriter` and :class:`FileCancelToken`
are their run-store versions for a training process. They live apart from the
Keras callbacks so that a worker can write its first phases while TensorFlow
is still importing (``core.runs.worker``).

On disk a run's ``progress.jsonl`` holds one JSON object per line, of three
kinds: ``"phase"`` (:class:`PhaseRecord`: a :class:`Phase` a run goes
through, with details), and ``"epoch"`` and ``"batch"`` (:class:`StepRecord`:
a :class:`ProgressEvent` of one encoding's training). The records write and
read exactly the lines runs have always had.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from core.runs.store import RunStore

ProgressKind = Literal["epoch_end", "batch_end"]
#: The kind of a step line on disk, per in-memory event kind.
StepKind = Literal["epoch", "batch"]
STEP_KIND_ON_DISK: dict[str, StepKind] = {"epoch_end": "epoch", "batch_end": "batch"}
#: Batch progress lines are written at most this often.
BATCH_LINE_SECONDS = 1.0


class Phase(StrEnum):
    """The phases a run goes through, in order (training ones per encoding)."""

    STARTING = "starting"
    LOADING = "loading"
    PREPARING = "preparing"
    PREPARED = "prepared"
    TRAINING = "training"
    EVALUATING = "evaluating"
    SAVING = "saving"
    SAVED = "saved"


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


@dataclass(frozen=True)
class PhaseRecord:
    """A ``"phase"`` line: the run entered ``phase``.

    Attributes
    ----------
    phase : Phase or str
        The phase (a name this version does not know stays a string).
    details : dict
        What the phase reports: ``encoding`` and ``index`` of training
        phases, ``examples`` and ``notes`` when prepared, ...
    time : float or None
        When it was written (Unix time), as read back.
    """

    phase: Phase | str
    details: dict[str, Any] = field(default_factory=dict)
    time: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The line's object, without the time the store adds."""
        return {"kind": "phase", "phase": str(self.phase), **self.details}


@dataclass(frozen=True)
class StepRecord:
    """An ``"epoch"`` or ``"batch"`` line: one training step of one encoding.

    Attributes
    ----------
    encoding : str
        The arm being trained.
    index, count : int
        Its position among the run's encodings and their number.
    event : ProgressEvent
        The step itself, as a training callback reported it.
    time : float or None
        When it was written (Unix time), as read back.
    """

    encoding: str
    index: int
    count: int
    event: ProgressEvent
    time: float | None = None

    @property
    def kind(self) -> StepKind:
        """``"epoch"`` or ``"batch"``."""
        return STEP_KIND_ON_DISK[self.event.kind]

    def to_json(self) -> dict[str, Any]:
        """The line's object, without the time the store adds."""
        return {
            "kind": self.kind,
            "phase": Phase.TRAINING.value,
            "encoding": self.encoding,
            "index": self.index,
            "count": self.count,
            "epoch": self.event.epoch,
            "epochs": self.event.epochs,
            "batch": self.event.batch,
            "batches": self.event.batches,
            "logs": self.event.logs,
        }


def read_progress_line(line: Mapping[str, Any]) -> PhaseRecord | StepRecord | None:
    """A ``progress.jsonl`` object as a typed record (None for an unknown kind)."""
    kind = line.get("kind")
    if kind == "phase":
        name = str(line["phase"])
        details = {
            key: value
            for key, value in line.items()
            if key not in ("kind", "phase", "time")
        }
        return PhaseRecord(_phase(name), details, line.get("time"))
    if kind in ("epoch", "batch"):
        event = ProgressEvent(
            "epoch_end" if kind == "epoch" else "batch_end",
            int(line["epoch"]),
            int(line["epochs"]),
            int(line["batch"]),
            int(line["batches"]),
            {key: float(value) for key, value in line["logs"].items()},
        )
        return StepRecord(
            str(line["encoding"]),
            int(line.get("index", 0)),
            int(line.get("count", 1)),
            event,
            line.get("time"),
        )
    return None


def _phase(name: str) -> Phase | str:
    try:
        return Phase(name)
    except ValueError:
        return name  # written by another version of the studio


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

    def phase(self, phase: Phase, **details: Any) -> None:
        """A new phase (:class:`Phase`), with what it reports."""
        self.store.append_progress(self.run_id, PhaseRecord(phase, details).to_json())

    def training_event(
        self, encoding: str, index: int, count: int
    ) -> Callable[[ProgressEvent], None]:
        """A :class:`ProgressEvent` handler for one encoding's training."""

        def handle(event: ProgressEvent) -> None:
            now = time.monotonic()
            if event.kind == "batch_end":
                if now - self._last_batch_line < BATCH_LINE_SECONDS:
                    return
                self._last_batch_line = now
            record = StepRecord(encoding, index, count, event)
            self.store.append_progress(self.run_id, record.to_json())

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
