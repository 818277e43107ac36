"""One call from a table and a config to a trained, evaluated model.

This is what the app's Train page and ``python -m core train`` both run.
:func:`run_comparison` trains the embedding model and its one-hot twin on the
very same split and preprocessing, so their metrics can be compared directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import pandas as pd

from core.config import ExperimentConfig, ModelConfig
from core.examples.prepare import (
    DEFAULT_MEMORY_LIMIT_BYTES,
    PreparedData,
    prepare_experiment,
)
from core.model.arms import LSTM_ARMS
from core.model.bagging import bagged_fit
from core.model.evaluation import evaluate, held_out_scores, predict_scores
from core.model.network import build_model, count_parameters
from core.model.refit import refit
from core.model.strategy import strategy_scope
from core.model.training import (
    CancelToken,
    ProgressEvent,
    TrainingResult,
    fit_summary,
    train_model,
)


@dataclass
class ExperimentResult:
    """A trained model with everything needed to save, report and predict.

    Attributes
    ----------
    config : ExperimentConfig
        The configuration it was trained with (its ``model.encoding`` says which
        of the twins this is).
    prepared : PreparedData
        Encoded data, split and fitted preprocessor.
    training : TrainingResult
        Model, history, status and time.
    metrics : dict
        From :func:`core.model.evaluation.evaluate`, plus ``training`` and
        ``parameters`` sections.
    """

    config: ExperimentConfig
    prepared: PreparedData
    training: TrainingResult
    metrics: dict[str, Any]

    @property
    def model(self) -> keras.Model:
        """The trained Keras model."""
        return self.training.model


def fit_prepared(
    prepared: PreparedData,
    config: ExperimentConfig,
    *,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> TrainingResult:
    """Build the configured model and fit it on already prepared data."""

    def build() -> keras.Model:
        # Several GPUs: built and compiled under MirroredStrategy (core.model.strategy).
        with strategy_scope():
            return build_model(config, prepared.preprocessor)

    # Seed before building so the initial weights are reproducible too.
    keras.utils.set_random_seed(config.train.seed)
    if config.train.bagging:
        return bagged_fit(
            build(), prepared, config, callbacks, cancel=cancel, progress=progress
        )
    first = train_model(
        build(), prepared, config, callbacks=callbacks, cancel=cancel, progress=progress
    )
    if not config.train.refit:
        return first
    return refit(first, prepared, config, build, cancel=cancel, progress=progress)


def training_scores(
    training: TrainingResult, prepared: PreparedData
) -> dict[str, np.ndarray]:
    """Held-out outputs of a fit: the validation part's from the early-stopped
    model when the saved one is a refit (which has seen those examples), and
    out-of-fold ones when it is a bagged ensemble."""
    scores = held_out_scores(training.model, prepared)
    if training.validation_scores is not None:
        scores["validation"] = training.validation_scores
    elif training.selection_model is not None:
        scores["validation"] = predict_scores(
            training.selection_model, prepared, "validation"
        )
    return scores


def result_of(
    prepared: PreparedData,
    config: ExperimentConfig,
    training: TrainingResult,
    scores: dict[str, np.ndarray] | None = None,
) -> ExperimentResult:
    """Evaluate a fitted model into an :class:`ExperimentResult`."""
    if scores is None:
        scores = training_scores(training, prepared)
    metrics = evaluate(training.model, prepared, scores, config.train.quantiles)
    metrics["training"] = fit_summary(training)
    metrics["parameters"] = count_parameters(training.model)
    metrics["encoding"] = config.model.encoding
    return ExperimentResult(config, prepared, training, metrics)


def train_prepared(
    prepared: PreparedData,
    config: ExperimentConfig,
    *,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> ExperimentResult:
    """Build, train and evaluate a model on already prepared data."""
    training = fit_prepared(
        prepared, config, callbacks=callbacks, cancel=cancel, progress=progress
    )
    return result_of(prepared, config, training)


def with_encoding(config: ExperimentConfig, encoding: str) -> ExperimentConfig:
    """The same experiment with another categorical encoding."""
    model_config = ModelConfig(**{**config.to_dict()["model"], "encoding": encoding})
    return config.replace(model=model_config)


def run_experiment(
    df: pd.DataFrame,
    config: ExperimentConfig,
    *,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
) -> ExperimentResult:
    """Prepare ``df``, then build, train and evaluate the configured model.

    Raises
    ------
    DataValidationError
        If the data does not fit the configuration.
    TrainingError
        If the loss became NaN.
    """
    prepared = prepare_experiment(df, config, memory_limit_bytes)
    return train_prepared(
        prepared, config, callbacks=callbacks, cancel=cancel, progress=progress
    )


def run_comparison(
    df: pd.DataFrame,
    config: ExperimentConfig,
    *,
    encodings: Sequence[str] = LSTM_ARMS,
    cancel: CancelToken | None = None,
    progress: Callable[[str, ProgressEvent], None] | None = None,
    memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
) -> dict[str, ExperimentResult]:
    """Train one model per encoding on the same split and preprocessing.

    Returns
    -------
    dict of str to ExperimentResult
        Keyed by encoding; stops early (fewer entries) if cancelled.
    """
    prepared = prepare_experiment(df, config, memory_limit_bytes)
    results: dict[str, ExperimentResult] = {}
    for encoding in encodings:
        variant = with_encoding(config, encoding)
        handler = None
        if progress is not None:

            def handler(event: ProgressEvent, name: str = encoding) -> None:
                progress(name, event)

        results[encoding] = train_prepared(
            prepared, variant, cancel=cancel, progress=handler
        )
        if cancel is not None and cancel.cancelled:
            break
    return results
