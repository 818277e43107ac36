"""Refit after early stopping (``TrainConfig.refit``).

Early stopping needs held-out examples, so the model it picks never learns from
the validation part. A refit trains a fresh model (same seed, so the same
initial weights) on the training and validation examples together, for as many
epochs as the best validation loss took, replaying that fit's learning rate per
epoch; nothing in the refit looks at the validation loss. With few entities the
held-out ones are a large share of the data (C-MAPSS: 20 of 100 engines), and
which ones are held out moves the result (docs/model_diagnosis.md).

The early-stopped model stays on :attr:`TrainingResult.selection_model`: the
validation metrics are its, since the refit one has seen those examples.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable

import keras
import numpy as np

from core.config import ExperimentConfig
from core.examples.prepare import PreparedData
from core.examples.sequences import Examples
from core.model.network import DROPPED_MASK_WARNING
from core.model.training import (
    FitGuard,
    ProgressCallback,
    ProgressEvent,
    TrainingResult,
    fitted_model,
    make_batches,
    training_result,
)
from core.runs.progress import CancelToken


def refit_epochs(history: dict[str, list[float]]) -> int:
    """Epochs up to and including the best validation loss (at least 1)."""
    losses = [
        value if math.isfinite(value) else math.inf
        for value in history.get("val_loss", [])
    ]
    if not losses:
        return 1
    return int(np.argmin(losses)) + 1


def replayed_rates(
    history: dict[str, list[float]], config: ExperimentConfig, epochs: int
) -> list[float]:
    """The learning rate of each of the first ``epochs`` epochs of the fit.

    Keras logs ``learning_rate`` (the rate the epoch ran at) when a schedule
    or ``ReduceLROnPlateau`` is active; without one the rate never changed.
    """
    logged = history.get("learning_rate", [])
    rates = [float(rate) for rate in logged[:epochs]]
    return rates + [config.train.learning_rate] * (epochs - len(rates))


def held_in(prepared: PreparedData) -> PreparedData:
    """``prepared`` with the validation examples added to the training part."""
    train, validation = prepared.parts["train"], prepared.parts["validation"]
    parts = dict(prepared.parts, train=concatenate(train, validation))
    return dataclasses.replace(prepared, parts=parts)


def concatenate(first: Examples, second: Examples) -> Examples:
    """The examples of ``first`` followed by those of ``second``."""

    def join(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        return None if a is None or b is None else np.concatenate([a, b])

    return Examples(
        np.concatenate([first.end_rows, second.end_rows]),
        np.concatenate([first.lengths, second.lengths]),
        join(first.labels, second.labels),
        join(first.actual, second.actual),
        join(first.label_center, second.label_center),
        join(first.label_scale, second.label_scale),
    )


def refit(
    first: TrainingResult,
    prepared: PreparedData,
    config: ExperimentConfig,
    build: Callable[[], keras.Model],
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> TrainingResult:
    """Train ``build()`` on training + validation examples for the best epochs.

    Parameters
    ----------
    first : TrainingResult
        The early-stopped fit (its history sets the epochs and rates).
    prepared : PreparedData
        The prepared examples ``first`` was trained on.
    config : ExperimentConfig
        Batch size, seed and the rest of training.
    build : callable
        Builds a fresh compiled model (the caller seeds before calling it).
    cancel, progress
        As :func:`core.model.training.train_model`; progress counts the
        refit's epochs.

    Returns
    -------
    TrainingResult
        The refit model, with ``first``'s history and status, ``first.model``
        as ``selection_model``, and both fits' epochs and seconds.
    """
    if first.status == "cancelled":
        return first
    epochs = refit_epochs(first.history)
    rates = replayed_rates(first.history, config, epochs)
    keras.utils.set_random_seed(config.train.seed)
    model = build()
    batches = make_batches(held_in(prepared), "train", config, training=True)
    fitted = fitted_model(model, prepared, [batches])
    guard = FitGuard(cancel)
    callbacks: list[keras.callbacks.Callback] = [
        guard,
        keras.callbacks.LearningRateScheduler(lambda epoch, _rate: rates[epoch]),
    ]
    if progress is not None:
        callbacks.append(ProgressCallback(progress, epochs, len(batches)))
    if not fitted.optimizer.built:
        fitted.optimizer.build(fitted.trainable_variables)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=DROPPED_MASK_WARNING)
        history = fitted.fit(batches, epochs=epochs, callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - started
    second = training_result(model, history, guard, config, seconds)
    status = "cancelled" if second.status == "cancelled" else first.status
    return TrainingResult(
        second.model,
        first.history,
        status,
        first.epochs_run + second.epochs_run,
        first.seconds + second.seconds,
        selection_model=first.model,
        refit_epochs=epochs,
    )
