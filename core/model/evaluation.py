"""Held-out metrics next to a naive baseline, and prediction tables.

Reported metrics are computed here from per-example predictions, never taken
from Keras's running metrics, which would count padded steps.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pandas as pd

from core.config import DataConfig
from core.examples.prepare import PreparedData
from core.examples.seasons import forecast_season, seasonal_offset
from core.examples.sequences import example_labels
from core.features.preprocessor import SequencePreprocessor
from core.model.batches import input_batches
from core.model.metrics import baseline_name, baseline_predictions, compute_metrics
from core.model.skill import SKILL_METRIC, skill_score

#: Forward passes only, so much larger than training batches: fewer recurrent
#: loops, and most parts fit one chunk (one traced shape).
PREDICTION_BATCH_SIZE = 4096
HELD_OUT_PARTS = ("validation", "test")


def predict_scores(model: keras.Model, prepared: PreparedData, part: str) -> np.ndarray:
    """Raw model outputs for one part's examples, in example order.

    Returns
    -------
    numpy.ndarray
        Binary: P(positive), shape (n,). Multiclass: probabilities (n, k).
        Regression: scaled predictions, shape (n,).
    """
    examples = prepared.parts[part]
    n_outputs = model.output_shape[-1]
    if len(examples) == 0:
        return np.zeros((0,) if n_outputs == 1 else (0, n_outputs), dtype=np.float64)
    batches = input_batches(prepared, examples, PREDICTION_BATCH_SIZE)
    # predict_on_batch on large chunks: half the CPU time of model.predict over
    # the same batches (measured), which adds a tf.data pipeline per call.
    outputs = [
        np.asarray(model.predict_on_batch(batches[i][0]), dtype=np.float64)
        for i in range(len(batches))
    ]
    scores = np.concatenate(outputs, axis=0)
    if n_outputs == 1 and prepared.preprocessor.config.task == "regression":
        # A per-series scaled model predicts in its series' units.
        return examples.from_model_units(scores[:, 0])
    return scores[:, 0] if n_outputs == 1 else scores


def _natural_units(
    preprocessor: SequencePreprocessor, labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions in the units metrics are reported in."""
    if preprocessor.config.task == "regression":
        decode = preprocessor.target_encoder_.inverse_transform
        return decode(labels), decode(scores)
    return np.rint(labels).astype(np.int64), scores


def part_metrics(
    preprocessor: SequencePreprocessor, labels: np.ndarray, scores: np.ndarray
) -> dict[str, Any]:
    """Task metrics of predictions ``scores`` against encoded ``labels``."""
    y_true, y_pred = _natural_units(preprocessor, labels, scores)
    return compute_metrics(preprocessor.config.task, y_true, y_pred)


def held_out_scores(
    model: keras.Model, prepared: PreparedData
) -> dict[str, np.ndarray]:
    """Model outputs on the validation and test parts (see :func:`predict_scores`)."""
    return {part: predict_scores(model, prepared, part) for part in HELD_OUT_PARTS}


def evaluate(
    model: keras.Model,
    prepared: PreparedData,
    scores: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Validation and test metrics of the model and of the naive baseline.

    Parameters
    ----------
    model : keras.Model
        The trained model.
    prepared : PreparedData
        From :func:`core.examples.prepare.prepare_experiment`.
    scores : dict or None
        Outputs per part from :func:`held_out_scores`, when already computed.

    Returns
    -------
    dict
        ``{"task", "validation", "test", "baselines", "baseline", "examples"}``
        with lower-case metric names. ``baselines`` holds ``naive`` (majority
        class or training mean), ``persistence`` (each window's last observed
        target) and ``seasonal_naive`` (the target one season before the
        predicted step), each ``{"strategy", "validation", "test"}`` or
        ``None`` where it does not apply (the last two need a forecast: window
        framing with a horizon; the seasonal one also a season). ``baseline``
        and ``persistence`` repeat the first two for older readers. A
        regression forecast also gets ``skill``: ``1 − RMSE / RMSE_persistence``
        per part.
    """
    scores = scores if scores is not None else held_out_scores(model, prepared)
    preprocessor = prepared.preprocessor
    task = preprocessor.config.task
    train_labels = prepared.parts["train"].labels
    report: dict[str, Any] = {
        "task": task,
        "examples": {name: len(part) for name, part in prepared.parts.items()},
    }
    for part in HELD_OUT_PARTS:
        labels = prepared.parts[part].labels
        report[part] = part_metrics(preprocessor, labels, scores[part])
    baselines = baselines_report(prepared, train_labels)
    report["baselines"] = baselines
    report["baseline"] = baselines["naive"]
    persistence = baselines["persistence"]
    if persistence is not None:
        report["persistence"] = persistence
        if task == "regression":
            report["skill"] = {
                part: skill_score(
                    report[part].get(SKILL_METRIC),
                    persistence[part].get(SKILL_METRIC),
                )
                for part in HELD_OUT_PARTS
            }
    return report


def is_forecast(config: DataConfig) -> bool:
    """Window framing with a horizon: the label lies after every input step."""
    return config.framing == "window" and config.horizon is not None


def baselines_report(
    prepared: PreparedData, train_labels: np.ndarray
) -> dict[str, dict[str, Any] | None]:
    """Metrics of every baseline that applies, per held-out part.

    Returns
    -------
    dict
        ``{"naive", "persistence", "seasonal_naive"}``, each
        ``{"strategy", "validation", "test"}`` (the seasonal one also
        ``"season"``) or ``None`` where it does not apply.
    """
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    naive = _baseline_parts(
        prepared,
        {"strategy": baseline_name(data.task)},
        lambda part: naive_scores(
            preprocessor, train_labels, len(prepared.parts[part])
        ),
    )
    report: dict[str, dict[str, Any] | None] = {
        "naive": naive,
        "persistence": None,
        "seasonal_naive": None,
    }
    if not is_forecast(data) or prepared.target_of_row is None:
        return report
    report["persistence"] = _baseline_parts(
        prepared,
        {"strategy": "last_observed"},
        lambda part: persistence_scores(prepared, part, train_labels),
    )
    season = forecast_season(data, prepared.time_of_row)
    if season is not None:
        report["seasonal_naive"] = _baseline_parts(
            prepared,
            {"strategy": "seasonal_naive", "season": season},
            lambda part: seasonal_naive_scores(prepared, part, train_labels, season),
        )
    return report


def _baseline_parts(
    prepared: PreparedData, header: dict[str, Any], scores_of: Any
) -> dict[str, Any]:
    """``header`` plus the metrics of ``scores_of(part)`` on each held-out part."""
    report = dict(header)
    for part in HELD_OUT_PARTS:
        labels = prepared.parts[part].labels
        report[part] = part_metrics(prepared.preprocessor, labels, scores_of(part))
    return report


def naive_scores(
    preprocessor: SequencePreprocessor, train_labels: np.ndarray, count: int
) -> np.ndarray:
    """Scores of the naive baseline (majority class or training mean) for
    ``count`` examples, shaped like :func:`predict_scores`."""
    task = preprocessor.config.task
    encoder = preprocessor.target_encoder_
    scores = baseline_predictions(
        task,
        _natural_units(preprocessor, train_labels, train_labels)[0],
        count,
        n_classes=encoder.n_classes,
    )
    if task == "regression":
        # Model scores of a regression are in the target's scaled units.
        scores = (scores - encoder.mean_) / encoder.std_
    return scores


def persistence_scores(
    prepared: PreparedData, part: str, train_labels: np.ndarray
) -> np.ndarray:
    """Scores of the persistence baseline: each window's last observed target.

    Shaped like :func:`predict_scores`. Where the last value is unknown, the
    naive baseline's prediction stands in.
    """
    last = prepared.target_of_row[prepared.parts[part].end_rows]
    return _known_or_naive(prepared.preprocessor, last, train_labels)


def seasonal_naive_scores(
    prepared: PreparedData, part: str, train_labels: np.ndarray, season: int
) -> np.ndarray:
    """Scores of the seasonal naive baseline: the label one season earlier.

    For a window ending at row ``t`` with horizon ``h``, the prediction is the
    label of the window ending ``k * season`` rows earlier (``k = ceil(h /
    season)``): the target at ``t + h − k * season``, already observed at
    ``t`` (binary: whether the event occurred in the same span a season
    earlier). Shaped like :func:`predict_scores`; where that row lies before
    the entity's first row, the naive baseline's prediction stands in.
    """
    data = prepared.preprocessor.config
    end_rows = prepared.parts[part].end_rows
    earlier = end_rows - seasonal_offset(season, data.horizon)
    entity = prepared.layout.entity_of_rows()[end_rows]
    inside = earlier >= prepared.layout.starts[entity]
    values = np.full(len(end_rows), np.nan)
    if inside.any():
        rows = earlier[inside]
        values[inside] = example_labels(
            prepared.target_of_row, prepared.layout, rows, rows, data
        )
    return _known_or_naive(prepared.preprocessor, values, train_labels)


def _known_or_naive(
    preprocessor: SequencePreprocessor, values: np.ndarray, train_labels: np.ndarray
) -> np.ndarray:
    """Encoded baseline ``values`` as scores; the naive baseline where NaN."""
    known = ~np.isnan(values)
    fallback = naive_scores(preprocessor, train_labels, len(values))
    if preprocessor.config.task == "multiclass":
        classes = preprocessor.target_encoder_.n_classes
        one_hot = np.eye(classes)[np.nan_to_num(values).astype(np.int64)]
        return np.where(known[:, None], one_hot, fallback)
    return np.where(known, values, fallback)


def prediction_table(
    prepared: PreparedData, part: str, scores: np.ndarray
) -> pd.DataFrame:
    """One row per example: entity, end time, steps, prediction and actual value.

    Binary: ``probability`` and ``predicted`` class; multiclass: a
    ``probability_<class>`` column per class and ``predicted``; regression:
    ``predicted``. ``actual`` is present when labels are known. With a
    horizon, a ``horizon`` column says how many steps after the shown (window
    end) time the prediction and ``actual`` refer to.
    """
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    encoder = preprocessor.target_encoder_
    examples = prepared.parts[part]
    table = pd.DataFrame(
        {data.id_column or "entity": prepared.entity_of_row[examples.end_rows]}
    )
    if prepared.time_of_row is not None:
        table[data.time_column] = prepared.time_of_row[examples.end_rows]
    table["steps"] = examples.lengths
    if data.framing == "window" and data.horizon is not None:
        # The time shown is the window's end; the prediction is this far ahead.
        table["horizon"] = data.horizon
    if data.task == "binary":
        table["probability"] = scores
        table["predicted"] = encoder.inverse_transform((scores >= 0.5).astype(float))
    elif data.task == "multiclass":
        for position, label in enumerate(encoder.classes_):
            table[f"probability_{label}"] = scores[:, position]
        table["predicted"] = encoder.inverse_transform(scores.argmax(axis=1))
    else:
        table["predicted"] = encoder.inverse_transform(scores)
    if examples.labels is not None:
        known = ~np.isnan(examples.labels)
        actual = np.full(len(examples), None, dtype=object)
        if known.any():
            actual[known] = encoder.inverse_transform(examples.labels[known])
        if data.task == "regression" and examples.actual is not None:
            # Read from the raw values: unscaling would write 40.00000000000001.
            table["actual"] = examples.actual
        else:
            table["actual"] = (
                actual if data.task != "regression" else actual.astype(float)
            )
    return table
