"""Seeded, reproducible training with early stopping, progress and cancellation.

Progress leaves core only through Keras callbacks: :class:`ProgressCallback`
turns Keras's hooks into plain :class:`ProgressEvent` objects for any caller (the
app's background thread, the CLI, a notebook). :class:`CancelToken` lets another
thread stop training cooperatively at the next batch.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import keras
import numpy as np

from core.config import ExperimentConfig
from core.errors import TrainingError
from core.examples.prepare import PreparedData
from core.model.batches import ExampleBatches, example_width
from core.model.evaluation import PREDICTION_BATCH_SIZE
from core.model.network import (
    DROPPED_MASK_WARNING,
    member_count,
    member_output_key,
    training_view,
)
from core.runs.progress import CancelToken, ProgressEvent, ProgressKind

__all__ = ["CancelToken", "ProgressEvent", "ProgressKind", "train_model"]

Status = Literal["completed", "early_stopped", "cancelled"]


class ProgressCallback(keras.callbacks.Callback):
    """Forward epoch and batch progress to ``handler`` as :class:`ProgressEvent`."""

    def __init__(
        self, handler: Callable[[ProgressEvent], None], epochs: int, batches: int
    ) -> None:
        super().__init__()
        self.handler = handler
        self.epochs = epochs
        self.batches = batches
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.handler(
            ProgressEvent(
                "batch_end",
                self._epoch,
                self.epochs,
                batch,
                self.batches,
                _floats(logs),
            )
        )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.handler(
            ProgressEvent(
                "epoch_end",
                epoch,
                self.epochs,
                self.batches - 1,
                self.batches,
                _floats(logs),
            )
        )


def _floats(logs: dict | None) -> dict[str, float]:
    return {key: float(value) for key, value in (logs or {}).items()}


class FitGuard(keras.callbacks.Callback):
    """Stop on cancellation or a non-finite loss, remembering why."""

    def __init__(self, token: CancelToken | None) -> None:
        super().__init__()
        self.token = token
        self.cancelled = False
        self.nan_at: tuple[int, int] | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.nan_at = (self._epoch, batch)
            self.model.stop_training = True
        self._check_cancel()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # A cancel that arrives after the last batch (during validation) would
        # otherwise wait for the first batch of the next epoch.
        self._check_cancel()

    def _check_cancel(self) -> None:
        if self.token is not None and self.token.cancelled:
            self.cancelled = True
            self.model.stop_training = True


@dataclass
class TrainingResult:
    """What training produced.

    Attributes
    ----------
    model : keras.Model
        The trained model (best validation weights restored).
    history : dict of str to list of float
        Per-epoch ``loss`` and ``val_loss``.
    status : {"completed", "early_stopped", "cancelled"}
        How training ended.
    epochs_run : int
        Epochs that ran (with a refit, both fits' together).
    seconds : float
        Wall-clock training time.
    selection_model : keras.Model or None
        With ``train.refit``: the early-stopped model, whose validation metrics
        are reported (``model`` is the refit one, which has seen the
        validation examples); ``None`` otherwise.
    refit_epochs : int or None
        With ``train.refit``: the refit's epochs.
    validation_scores : numpy.ndarray or None
        With ``train.bagging``: the out-of-fold outputs on the validation part
        (each example scored by the member that left its entity out), which
        the validation metrics report instead of the average's.
    member_best_epochs : tuple of int or None
        With ``train.bagging``: the (1-based) epoch each member was restored
        to, that of its own lowest out-of-fold loss.
    """

    model: keras.Model
    history: dict[str, list[float]]
    status: Status
    epochs_run: int
    seconds: float
    selection_model: keras.Model | None = None
    refit_epochs: int | None = None
    validation_scores: np.ndarray | None = None
    member_best_epochs: tuple[int, ...] | None = None


def class_weights(labels: np.ndarray) -> np.ndarray:
    """Per-example weights inversely proportional to class frequency.

    scikit-learn's "balanced" rule (``compute_sample_weight("balanced", ...)``,
    the same arithmetic): ``n_examples / (n_classes * count)``.
    """
    codes = np.rint(labels).astype(np.int64)
    _, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    per_class = len(codes) / (len(counts) * counts.astype(np.float64))
    return per_class[inverse]


def make_batches(
    prepared: PreparedData,
    part: str,
    config: ExperimentConfig,
    training: bool = False,
    include_mask: bool = True,
) -> ExampleBatches:
    """Batches of one part; training batches shuffle and apply category dropout.

    Other parts only run forward, in batches of :func:`evaluation_batch_size`.
    """
    data = prepared.preprocessor.config
    examples = prepared.parts[part]
    weights = None
    if training and config.train.class_weight == "balanced":
        weights = class_weights(examples.labels)
    return ExampleBatches(
        prepared.encoded,
        examples,
        data.categorical_names,
        example_width(data),
        config.train.batch_size if training else evaluation_batch_size(config),
        shuffle=training,
        seed=config.train.seed,
        category_dropout=config.model.category_dropout if training else 0.0,
        sample_weights=weights,
        include_mask=include_mask,
    )


def evaluation_batch_size(config: ExperimentConfig) -> int:
    """Examples per forward-only batch (validation): four training batches.

    Without gradients a batch needs far less memory, and each batch costs a
    full recurrent loop of small steps on CPU, so fewer, larger batches run
    the same validation loss in less time (1,024 at the default 256).
    """
    return min(4 * config.train.batch_size, PREDICTION_BATCH_SIZE)


def cosine_learning_rate(learning_rate: float, epochs: int) -> Callable[[int], float]:
    """Per-epoch learning rate of a cosine decay over the epoch budget."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(epochs, 1))

    def rate(epoch: int, current: float | None = None) -> float:
        return float(keras.ops.convert_to_numpy(schedule(epoch)))

    return rate


def lr_schedule_callbacks(
    config: ExperimentConfig, has_validation: bool
) -> list[keras.callbacks.Callback]:
    """Callbacks of ``train.lr_schedule``: none, ReduceLROnPlateau or cosine decay.

    The schedule lives in callbacks, not in the compiled optimizer, so the saved
    model holds a plain Adam and reloads in safe mode.
    """
    train_config = config.train
    if train_config.lr_schedule == "plateau":
        return [
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss" if has_validation else "loss",
                factor=0.5,
                patience=max(1, train_config.patience // 2),
                min_lr=train_config.learning_rate / 100,
            )
        ]
    if train_config.lr_schedule == "cosine":
        rate = cosine_learning_rate(train_config.learning_rate, train_config.epochs)
        return [keras.callbacks.LearningRateScheduler(rate)]
    return []


def fitted_model(
    model: keras.Model,
    prepared: PreparedData,
    batches: list[ExampleBatches | None],
) -> keras.Model:
    """What ``fit`` trains: ``model`` or its training view, batches set to match.

    The view (:func:`core.model.network.training_view`) shares every weight and
    the optimizer, so fitting it trains ``model``. It leaves the step mask out
    when no batch has a padded step (the mask would then select every step and
    only cost time), and gives each member of an ensemble its own output, whose
    labels the batches then repeat.
    """
    masked = any(part is not None and part.padded for part in batches)
    copies = member_count(model)
    for part in batches:
        if part is not None:
            part.include_mask = masked
            part.label_copies = copies
    return training_view(model, prepared.preprocessor, masked)


def train_model(
    model: keras.Model,
    prepared: PreparedData,
    config: ExperimentConfig,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> TrainingResult:
    """Fit ``model`` on the training part with early stopping on validation loss.

    Parameters
    ----------
    model : keras.Model
        Built by :func:`core.model.network.build_model` (seed set before building).
    prepared : PreparedData
        From :func:`core.examples.prepare.prepare_experiment`.
    config : ExperimentConfig
        Training settings.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks from the caller.
    cancel : CancelToken or None
        Checked after every batch.
    progress : callable or None
        Receives a :class:`ProgressEvent` after every batch and epoch.

    Returns
    -------
    TrainingResult
        The model holds the best validation weights.

    Raises
    ------
    TrainingError
        If the loss became NaN or infinite.
    """
    train_config = config.train
    keras.utils.set_random_seed(train_config.seed)
    train_batches = make_batches(prepared, "train", config, training=True)
    has_validation = len(prepared.parts["validation"]) > 0
    validation = (
        make_batches(prepared, "validation", config) if has_validation else None
    )
    fitted = fitted_model(model, prepared, [train_batches, validation])
    return fit_and_collect(
        model,
        train_batches,
        validation,
        config,
        FitHooks(callbacks, cancel, progress, len(train_batches)),
        fitted=fitted,
    )


@dataclass(frozen=True)
class FitHooks:
    """What a caller hooks into a fit: its callbacks, a cancel token, a progress
    handler, and the batches per epoch the progress counts."""

    callbacks: Sequence[keras.callbacks.Callback]
    cancel: CancelToken | None
    progress: Callable[[ProgressEvent], None] | None
    batches_per_epoch: int


def fit_and_collect(
    model: keras.Model,
    training_data: object,
    validation: ExampleBatches | None,
    config: ExperimentConfig,
    hooks: FitHooks,
    fitted: keras.Model | None = None,
) -> TrainingResult:
    """The fit tail shared by in-memory and streamed training.

    Runs ``fit`` with early stopping, the LR schedule, the caller's callbacks,
    progress and the cancel/NaN guard (:func:`fit_callbacks`), times it and
    builds the :class:`TrainingResult` (:func:`training_result`).

    Parameters
    ----------
    model : keras.Model
        The model whose weights are trained (and returned).
    training_data : object
        Training batches (``ExampleBatches`` or a ``tf.data.Dataset``).
    validation : ExampleBatches or None
        Validation batches; None fits on the training loss alone.
    config : ExperimentConfig
        Epochs, patience and schedule.
    hooks : FitHooks
        The caller's callbacks, cancel token and progress handler.
    fitted : keras.Model or None
        The model ``fit`` is called on when it is a view sharing ``model``'s
        weights (:func:`core.model.network.unmasked_view`).

    Raises
    ------
    TrainingError
        If the loss became NaN or infinite.
    """
    guard, all_callbacks = fit_callbacks(
        config,
        validation is not None,
        hooks.cancel,
        hooks.callbacks,
        hooks.progress,
        hooks.batches_per_epoch,
    )
    trained = fitted or model
    if not trained.optimizer.built:
        # Built inside the first traced step, the optimizer's slot variables
        # make TensorFlow trace the step twice: about a second on a CPU.
        trained.optimizer.build(trained.trainable_variables)
    started = time.perf_counter()
    with warnings.catch_warnings():
        # The unmasked view drops the embeddings' masks on purpose.
        warnings.filterwarnings("ignore", message=DROPPED_MASK_WARNING)
        history = trained.fit(
            training_data,
            validation_data=validation,
            epochs=config.train.epochs,
            callbacks=all_callbacks,
            verbose=0,
        )
    seconds = time.perf_counter() - started
    return training_result(model, history, guard, config, seconds)


def fit_callbacks(
    config: ExperimentConfig,
    has_validation: bool,
    cancel: CancelToken | None,
    callbacks: Sequence[keras.callbacks.Callback],
    progress: Callable[[ProgressEvent], None] | None,
    batches_per_epoch: int,
) -> tuple[FitGuard, list[keras.callbacks.Callback]]:
    """The guard and every callback of a fit: early stopping, the LR schedule,
    the caller's callbacks and progress (shared by in-memory and streamed fits)."""
    guard = FitGuard(cancel)
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss" if has_validation else "loss",
        patience=config.train.patience,
        restore_best_weights=True,
    )
    all_callbacks: list[keras.callbacks.Callback] = [
        guard,
        stopper,
        *lr_schedule_callbacks(config, has_validation),
        *callbacks,
    ]
    if progress is not None:
        all_callbacks.append(
            ProgressCallback(progress, config.train.epochs, batches_per_epoch)
        )
    return guard, all_callbacks


def training_result(
    model: keras.Model,
    history: keras.callbacks.History,
    guard: FitGuard,
    config: ExperimentConfig,
    seconds: float,
) -> TrainingResult:
    """The result of a finished fit.

    Raises
    ------
    TrainingError
        If the guard saw the loss become NaN or infinite.
    """
    if guard.nan_at is not None:
        epoch, batch = guard.nan_at
        raise TrainingError(
            f"training stopped: the loss became NaN or infinite at epoch {epoch + 1}, "
            f"batch {batch + 1}; lower the learning rate or check the numeric "
            "columns for extreme values"
        )
    values = {
        key: [float(v) for v in series]
        for key, series in history.history.items()
        # An ensemble's per-member losses: the history keeps their mean (loss).
        if not member_output_key(key)
    }
    epochs_run = len(values.get("loss", []))
    status: Status = "completed"
    if guard.cancelled:
        status = "cancelled"
    elif epochs_run < config.train.epochs:
        status = "early_stopped"
    return TrainingResult(model, values, status, epochs_run, seconds)


def fit_summary(result: TrainingResult) -> dict[str, Any]:
    """JSON-friendly summary of a training run."""
    summary: dict[str, Any] = {
        "status": result.status,
        "epochs_run": result.epochs_run,
        "seconds": round(result.seconds, 3),
    }
    if result.refit_epochs is not None:
        summary["refit_epochs"] = result.refit_epochs
    if result.member_best_epochs is not None:
        summary["member_best_epochs"] = list(result.member_best_epochs)
    return summary
