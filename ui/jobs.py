"""Training in a session-owned background thread, polled by the page.

The thread never calls ``st.*``: it only updates a lock-protected
:class:`TrainingJob`, which a ``st.fragment(run_every=...)`` reads. So a user can
move between pages while training runs, other sessions are not blocked, and two
sessions never share a job (each lives in its own session state).
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.config import ExperimentConfig
from core.errors import CoreError

#: Epoch-level metrics kept per model for the live curves.
_CURVE_KEYS = ("loss", "val_loss")


@dataclass
class JobSnapshot:
    """A consistent copy of a job's progress for display."""

    status: str
    model: str
    epoch: int
    epochs: int
    batch: int
    batches: int
    curves: dict[str, dict[str, list[float]]]
    error: str | None
    started: float
    finished: float | None


@dataclass
class TrainingJob:
    """One training run (the model and, optionally, its one-hot twin)."""

    config: ExperimentConfig
    encodings: tuple[str, ...]
    status: str = "pending"
    model: str = ""
    epoch: int = 0
    batch: int = 0
    batches: int = 0
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    error: str | None = None
    results: dict[str, Any] | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _cancel: Any = field(default=None, repr=False)

    def start(self, frame: pd.DataFrame) -> None:
        """Train in a daemon thread; returns at once."""
        from core.training import CancelToken

        self._cancel = CancelToken()
        self.status = "running"
        self._thread = threading.Thread(
            target=self._run, args=(frame,), name="training", daemon=True
        )
        self._thread.start()

    def _run(self, frame: pd.DataFrame) -> None:
        from core.experiment import run_comparison

        try:
            results = run_comparison(
                frame,
                self.config,
                encodings=self.encodings,
                cancel=self._cancel,
                progress=self._on_progress,
            )
        except CoreError as error:
            self._finish("failed", error=str(error))
        except Exception:  # noqa: BLE001 - a bug: keep it visible, with its trace
            self._finish("crashed", error=traceback.format_exc())
        else:
            cancelled = self._cancel.cancelled
            self._finish("cancelled" if cancelled else "done", results=results)

    def _finish(
        self, status: str, error: str | None = None, results: dict | None = None
    ) -> None:
        with self._lock:
            self.status = status
            self.error = error
            self.results = results
            self.finished = time.time()

    def _on_progress(self, model: str, event: Any) -> None:
        with self._lock:
            self.model = model
            self.epoch = event.epoch
            self.batch = event.batch
            self.batches = event.batches
            if event.kind == "epoch_end":
                curves = self.curves.setdefault(model, {})
                for key in _CURVE_KEYS:
                    if key in event.logs:
                        curves.setdefault(key, []).append(event.logs[key])

    def cancel(self) -> None:
        """Ask the thread to stop at its next batch."""
        if self._cancel is not None:
            self._cancel.cancel()

    @property
    def running(self) -> bool:
        """Whether the thread is still working."""
        return self.status in ("pending", "running")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread ends (tests and scripts); True if it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def snapshot(self) -> JobSnapshot:
        """Copy of the progress, taken under the lock."""
        with self._lock:
            return JobSnapshot(
                self.status,
                self.model,
                self.epoch,
                self.config.train.epochs,
                self.batch,
                self.batches,
                {
                    name: {k: list(v) for k, v in c.items()}
                    for name, c in self.curves.items()
                },
                self.error,
                self.started,
                self.finished,
            )
