"""Held-out metrics next to a naive baseline, and prediction tables.

Reported metrics are computed here from per-example predictions, never taken
from Keras's running metrics, which would count padded steps.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig
from core.examples.prepare import PreparedData
from core.examples.seasons import forecast_season, seasonal_offset
from core.examples.sequences import example_labels
from core.features.preprocessor import SequencePreprocessor
from core.model.batches import input_batches
from core.model.forecast_report import (
    baseline_columns,
    horizon_report,
    interval_factors,
    known_pairs,
    natural_quantiles,
    point_scores,
    quantile_report,
    step_labels,
    target_times,
)
from core.model.metrics import baseline_name, baseline_predictions, compute_metrics
from core.model.quantiles import point_index, quantile_name, widened
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
        Regression: scaled predictions, shape (n,); a model of several
        horizons or quantiles gives (n, horizons x quantiles), horizon-major
        (see :func:`core.model.forecast_report.forecast_outputs`).
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
    scores = scores[:, 0] if n_outputs == 1 else scores
    if prepared.preprocessor.config.task == "regression":
        # A per-series scaled model predicts in its series' units.
        return examples.from_model_units(scores)
    return scores


def _natural_units(
    preprocessor: SequencePreprocessor, labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions in the units metrics are reported in."""
    if preprocessor.config.task == "regression":
        decode = preprocessor.target_encoder_.inverse_transform
        return decode(labels), decode(scores)
    return np.rint(labels).astype(np.int64), scores


def part_metrics(
    preprocessor: SequencePreprocessor,
    labels: np.ndarray,
    scores: np.ndarray,
    quantiles: tuple[float, ...] | None = None,
) -> dict[str, Any]:
    """Task metrics of predictions ``scores`` against encoded ``labels``.

    A forecast of several steps is scored over every known step at once; a
    quantile forecast by its point forecast (:func:`point_scores`).
    """
    if preprocessor.config.task == "regression":
        scores = point_scores(scores, preprocessor.config, quantiles)
    if labels.ndim == 2:
        labels, scores = known_pairs(labels, scores)
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
    quantiles: tuple[float, ...] | None = None,
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
    quantiles : tuple of float or None
        The levels a quantile model predicts (``TrainConfig.quantiles``).

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
        per part. A forecast of several steps is scored over all of them (P50
        for quantiles) and also gets ``horizons`` (metrics per step, the
        baselines' beside them, :func:`core.model.forecast_report.horizon_report`);
        a quantile forecast gets ``quantiles`` (pinball loss, q-risk,
        coverage and its conformal calibration,
        :func:`core.model.forecast_report.quantile_report`).
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
        report[part] = part_metrics(preprocessor, labels, scores[part], quantiles)
    baseline_arrays = baseline_scores(prepared, train_labels)
    baselines = baselines_report(prepared, train_labels, baseline_arrays)
    report["baselines"] = baselines
    if preprocessor.config.horizons is not None:
        report["horizons"] = horizon_report(
            prepared, scores, baseline_arrays, quantiles
        )
    if quantiles:
        report["quantiles"] = quantile_report(prepared, scores, quantiles)
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


BaselineScores = dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]]


def baseline_scores(prepared: PreparedData, train_labels: np.ndarray) -> BaselineScores:
    """Scores of every baseline that applies, per held-out part.

    Returns
    -------
    dict
        Baseline name to ``(header, {part: scores})``; the header holds the
        ``strategy`` (and the seasonal one's ``season``). Persistence and the
        seasonal naive appear for forecasts only.
    """
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    found: BaselineScores = {
        "naive": (
            {"strategy": baseline_name(data.task)},
            {
                part: naive_scores(
                    preprocessor, train_labels, len(prepared.parts[part])
                )
                for part in HELD_OUT_PARTS
            },
        )
    }
    if not is_forecast(data) or prepared.target_of_row is None:
        return found
    found["persistence"] = (
        {"strategy": "last_observed"},
        {
            part: persistence_scores(prepared, part, train_labels)
            for part in HELD_OUT_PARTS
        },
    )
    season = forecast_season(data, prepared.time_of_row)
    if season is not None:
        found["seasonal_naive"] = (
            {"strategy": "seasonal_naive", "season": season},
            {
                part: seasonal_naive_scores(prepared, part, train_labels, season)
                for part in HELD_OUT_PARTS
            },
        )
    return found


def baselines_report(
    prepared: PreparedData,
    train_labels: np.ndarray,
    arrays: BaselineScores | None = None,
) -> dict[str, dict[str, Any] | None]:
    """Metrics of every baseline that applies, per held-out part.

    Returns
    -------
    dict
        ``{"naive", "persistence", "seasonal_naive"}``, each
        ``{"strategy", "validation", "test"}`` (the seasonal one also
        ``"season"``) or ``None`` where it does not apply.
    """
    arrays = arrays if arrays is not None else baseline_scores(prepared, train_labels)
    report: dict[str, dict[str, Any] | None] = {
        "naive": None,
        "persistence": None,
        "seasonal_naive": None,
    }
    for name, (header, by_part) in arrays.items():
        report[name] = dict(header)
        for part in HELD_OUT_PARTS:
            labels = prepared.parts[part].labels
            report[name][part] = part_metrics(
                prepared.preprocessor, labels, by_part[part]
            )
    return report


def naive_scores(
    preprocessor: SequencePreprocessor, train_labels: np.ndarray, count: int
) -> np.ndarray:
    """Scores of the naive baseline (majority class or training mean) for
    ``count`` examples, shaped like :func:`predict_scores`."""
    task = preprocessor.config.task
    encoder = preprocessor.target_encoder_
    if train_labels.ndim == 2:
        train_labels = train_labels[~np.isnan(train_labels)]
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
    the entity's first row, the naive baseline's prediction stands in. With
    several horizons, each step ``h`` gets the target ``k_h * season`` rows
    before it (shape (n, horizons)).
    """
    data = prepared.preprocessor.config
    end_rows = prepared.parts[part].end_rows
    if data.horizons is not None:
        return _seasonal_steps(prepared, end_rows, train_labels, season)
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


def _seasonal_steps(
    prepared: PreparedData, end_rows: np.ndarray, train_labels: np.ndarray, season: int
) -> np.ndarray:
    """Seasonal naive scores of every step ``1 .. horizons``, shape (n, horizons)."""
    data = prepared.preprocessor.config
    entity = prepared.layout.entity_of_rows()[end_rows]
    starts = prepared.layout.starts[entity]
    values = np.full((len(end_rows), data.horizons), np.nan)
    for step in range(1, data.horizons + 1):
        rows = end_rows + step - seasonal_offset(season, step)
        inside = rows >= starts
        values[inside, step - 1] = prepared.target_of_row[rows[inside]]
    return _known_or_naive(prepared.preprocessor, values, train_labels)


def _known_or_naive(
    preprocessor: SequencePreprocessor, values: np.ndarray, train_labels: np.ndarray
) -> np.ndarray:
    """Encoded baseline ``values`` as scores; the naive baseline where NaN."""
    known = ~np.isnan(values)
    fallback = naive_scores(preprocessor, train_labels, len(values))
    if values.ndim == 2 and fallback.ndim == 1:
        fallback = fallback[:, None]
    if preprocessor.config.task == "multiclass":
        classes = preprocessor.target_encoder_.n_classes
        one_hot = np.eye(classes)[np.nan_to_num(values).astype(np.int64)]
        return np.where(known[:, None], one_hot, fallback)
    return np.where(known, values, fallback)


def prediction_table(
    prepared: PreparedData,
    part: str,
    scores: np.ndarray,
    quantiles: tuple[float, ...] | None = None,
    interval_factors: list[float] | None = None,
) -> pd.DataFrame:
    """One row per example: entity, end time, steps, prediction and actual value.

    Binary: ``probability`` and ``predicted`` class; multiclass: a
    ``probability_<class>`` column per class and ``predicted``; regression:
    ``predicted``. ``actual`` is present when labels are known. A forecast
    (a horizon) names the *predicted* step's time in the time column, the
    window's last time in ``input_end`` and the steps between them in
    ``horizon``; a regression forecast also carries the ``persistence`` and
    ``seasonal_naive`` forecasts of each row. A forecast of several
    steps has one row per example and step; a quantile forecast a column per
    quantile (``P10``, ``P50``, ...) and ``predicted`` is the median's.
    ``interval_factors`` (split-conformal, per step) widen the outermost
    quantiles' interval.
    """
    data = prepared.preprocessor.config
    if data.task == "regression" and (
        data.horizons is not None or np.ndim(scores) == 2
    ):
        return forecast_table(prepared, part, scores, quantiles, interval_factors)
    return _single_table(prepared, part, scores)


def configured_prediction_table(
    prepared: PreparedData,
    part: str,
    scores: np.ndarray,
    config: ExperimentConfig,
    metrics: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """:func:`prediction_table` with a run's quantiles and, when it calibrates
    its intervals, the calibration factors of its evaluation report ``metrics``."""
    factors = None
    if config.train.calibrate_intervals:
        factors = interval_factors(metrics)
    return prediction_table(prepared, part, scores, config.train.quantiles, factors)


def _row_keys_table(
    prepared: PreparedData, end_rows: np.ndarray, steps: np.ndarray | None = None
) -> pd.DataFrame:
    """Entity and time of each table row.

    With ``steps`` (a forecast's horizon per row), the time column names the
    *target* time (:func:`core.model.forecast_report.target_times`) and
    ``input_end`` the window's last time.
    """
    data = prepared.preprocessor.config
    table = pd.DataFrame({data.id_column or "entity": prepared.entity_of_row[end_rows]})
    if prepared.time_of_row is None:
        return table
    if steps is None:
        table[data.time_column] = prepared.time_of_row[end_rows]
        return table
    table[data.time_column] = target_times(prepared, end_rows, steps).to_numpy()
    table["input_end"] = prepared.time_of_row[end_rows]
    return table


def forecast_table(
    prepared: PreparedData,
    part: str,
    scores: np.ndarray,
    quantiles: tuple[float, ...] | None = None,
    interval_factors: list[float] | None = None,
) -> pd.DataFrame:
    """Prediction table of a forecast of several steps or quantiles: one row per
    example and step (see :func:`prediction_table`), with the persistence and
    seasonal naive forecasts of each row beside the model's."""
    data = prepared.preprocessor.config
    examples = prepared.parts[part]
    cube = natural_quantiles(prepared, scores)
    count, steps, levels = cube.shape
    if interval_factors is not None and levels >= 2:
        factors = np.asarray(interval_factors, dtype=np.float64)[:steps]
        cube[..., 0], cube[..., -1] = widened(cube[..., 0], cube[..., -1], factors)
    end_rows = np.repeat(examples.end_rows, steps)
    if data.horizons is not None:
        row_steps = np.tile(np.arange(1, steps + 1), count)
    else:
        row_steps = np.full(count, data.horizon or 0)
    forecast = data.horizon is not None
    table = _row_keys_table(prepared, end_rows, row_steps if forecast else None)
    table["steps"] = np.repeat(examples.lengths, steps)
    if forecast:
        table["horizon"] = row_steps
    point = point_index(quantiles, levels)
    table["predicted"] = cube[:, :, point].reshape(-1)
    if levels > 1:
        names = (
            [quantile_name(level) for level in quantiles]
            if quantiles and len(quantiles) == levels
            else [f"output_{i}" for i in range(levels)]
        )
        for position, name in enumerate(names):
            table[name] = cube[:, :, position].reshape(-1)
    if examples.labels is not None:
        actual = examples.actual
        if actual is None:
            decode = prepared.preprocessor.target_encoder_.inverse_transform
            actual = decode(examples.labels)
        table["actual"] = step_labels(np.asarray(actual, dtype=np.float64)).reshape(-1)
    for name, values in baseline_columns(prepared, end_rows, row_steps).items():
        table[name] = values
    return table


def _single_table(
    prepared: PreparedData, part: str, scores: np.ndarray
) -> pd.DataFrame:
    """Prediction table of one value (or class) per example."""
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    encoder = preprocessor.target_encoder_
    examples = prepared.parts[part]
    steps = None
    if is_forecast(data):
        # The time shown is the predicted step's; input_end the window's end.
        steps = np.full(len(examples), data.horizon)
    table = _row_keys_table(prepared, examples.end_rows, steps)
    table["steps"] = examples.lengths
    if steps is not None:
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
    if steps is not None:
        for name, values in baseline_columns(
            prepared, examples.end_rows, steps
        ).items():
            table[name] = values
    return table
