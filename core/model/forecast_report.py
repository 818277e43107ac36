"""Forecasts of several steps and of quantiles: outputs, per-step and quantile reports.

A multi-horizon model predicts steps ``1 .. H`` at once and a quantile model
``Q`` quantiles of each step: ``H x Q`` outputs per example, horizon-major.
:func:`forecast_outputs` shapes them as ``(n, H, Q)``; :func:`point_scores`
takes the point forecast (the quantile nearest the median). The reports here
are sections of :func:`core.model.evaluation.evaluate`'s report:

- ``horizons``: RMSE and MAE at each step for the model and for each baseline,
  and the model's skill against persistence per step (metric-vs-horizon);
- ``quantiles``: pinball loss per quantile, q-risk (P50, P90), coverage of the
  outermost quantiles' interval, and its split-conformal calibration on the
  validation part with the coverage before and after
  (:mod:`core.model.quantiles`).

Nothing here imports Keras.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.values import parse_time_utc
from core.examples.prepare import PreparedData
from core.examples.seasons import forecast_season, seasonal_offset
from core.model.quantiles import (
    conformal_factor,
    interval_coverage,
    point_index,
    quantile_name,
    quantile_scores,
    widened,
)

PARTS = ("validation", "test")
#: Metrics reported per step.
HORIZON_METRICS = ("rmse", "mae")


def forecast_outputs(scores: np.ndarray, data: DataConfig) -> np.ndarray:
    """Regression scores as (n, horizons, quantiles), each step's quantiles sorted.

    Sorting is the monotone rearrangement of crossing quantiles (Chernozhukov
    et al. 2010): it never raises a quantile's pinball loss.

    >>> data = DataConfig("y", numeric_columns=("x",), task="regression",
    ...                   framing="window", horizons=2)
    >>> forecast_outputs(np.array([[3.0, 1.0, 2.0, 5.0, 4.0, 6.0]]), data).tolist()
    [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]
    """
    steps = data.horizons or 1
    scores = np.asarray(scores, dtype=np.float64)
    width = scores.shape[1] if scores.ndim == 2 else 1
    cube = scores.reshape(len(scores), steps, max(width // steps, 1))
    return np.sort(cube, axis=2) if cube.shape[2] > 1 else cube


def point_scores(
    scores: np.ndarray, data: DataConfig, quantiles: Sequence[float] | None = None
) -> np.ndarray:
    """The point forecast of regression scores: (n,) for one step, else (n, horizons).

    With quantiles, the one nearest the median (P50 when predicted).
    """
    if data.task != "regression" or np.ndim(scores) == 1:
        return scores
    cube = forecast_outputs(scores, data)
    point = cube[:, :, point_index(quantiles, cube.shape[2])]
    return point if data.horizons is not None else point[:, 0]


def known_pairs(
    labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Labels of several steps and their predictions, flattened where known.

    Scores of one value per example (a baseline) stand for every step.
    """
    scores = np.asarray(scores)
    if scores.ndim == 1:
        scores = scores[:, None]
    scores = np.broadcast_to(scores, labels.shape)
    known = ~np.isnan(labels)
    return labels[known], scores[known]


def step_labels(labels: np.ndarray) -> np.ndarray:
    """Labels as (n, steps): one column for a single-step forecast."""
    return labels if labels.ndim == 2 else labels[:, None]


def _step_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, list]:
    """RMSE and MAE of each column (step) over its known values."""
    predicted = np.broadcast_to(
        predicted if predicted.ndim == 2 else predicted[:, None], truth.shape
    )
    found: dict[str, list] = {name: [] for name in HORIZON_METRICS}
    for step in range(truth.shape[1]):
        known = ~np.isnan(truth[:, step])
        error = predicted[known, step] - truth[known, step]
        empty = not known.any()
        found["rmse"].append(None if empty else float(np.sqrt(np.mean(error**2))))
        found["mae"].append(None if empty else float(np.mean(np.abs(error))))
    return found


def horizon_report(
    prepared: PreparedData,
    scores: dict[str, np.ndarray],
    baselines: dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]],
    quantiles: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Metrics per step ``1 .. horizons`` of the model and of every baseline.

    Parameters
    ----------
    prepared : PreparedData
        The evaluated examples.
    scores : dict of str to numpy.ndarray
        The model's outputs per held-out part (encoded units).
    baselines : dict
        :func:`core.model.evaluation.baseline_scores`.
    quantiles : sequence of float or None
        The model's quantile levels (its point forecast is the median's).

    Returns
    -------
    dict
        ``{"steps": [1..H], "metrics": ["rmse", "mae"], "model": {part:
        {metric: [per step]}}, "baselines": {name: {part: {metric: [...]}}},
        "skill": {part: [1 − RMSE / RMSE_persistence per step]}}``.
    """
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    decode = preprocessor.target_encoder_.inverse_transform
    report: dict[str, Any] = {
        "steps": list(range(1, (data.horizons or 1) + 1)),
        "metrics": list(HORIZON_METRICS),
        "model": {},
        "baselines": {name: {} for name in baselines},
        "skill": {},
    }
    for part in PARTS:
        truth = decode(step_labels(prepared.parts[part].labels))
        point = decode(point_scores(scores[part], data, quantiles))
        report["model"][part] = _step_metrics(truth, point)
        for name, (_, by_part) in baselines.items():
            report["baselines"][name][part] = _step_metrics(
                truth, decode(by_part[part])
            )
        if "persistence" in baselines:
            reference = report["baselines"]["persistence"][part]["rmse"]
            report["skill"][part] = [
                None if (m is None or not r) else 1.0 - m / r
                for m, r in zip(report["model"][part]["rmse"], reference, strict=True)
            ]
    return report


def natural_quantiles(prepared: PreparedData, scores: np.ndarray) -> np.ndarray:
    """A part's quantile scores in the target's own units, (n, horizons, quantiles)."""
    preprocessor = prepared.preprocessor
    cube = forecast_outputs(scores, preprocessor.config)
    return preprocessor.target_encoder_.inverse_transform(cube)


def quantile_report(
    prepared: PreparedData,
    scores: dict[str, np.ndarray],
    quantiles: Sequence[float],
) -> dict[str, Any]:
    """Pinball loss, q-risk and interval coverage per part, and the calibration.

    Returns
    -------
    dict
        ``{"levels", "names", "validation", "test", "calibration"}``; each part
        as :func:`core.model.quantiles.quantile_scores`. ``calibration`` (two
        quantiles or more, else ``None``): ``{"method": "split_conformal",
        "level", "factors" (per step, relative to the interval's width),
        "coverage_before", "coverage_after"}`` with coverage per part; the
        factors come from the validation part only.
    """
    preprocessor = prepared.preprocessor
    decode = preprocessor.target_encoder_.inverse_transform
    truth = {part: decode(step_labels(prepared.parts[part].labels)) for part in PARTS}
    cubes = {part: natural_quantiles(prepared, scores[part]) for part in PARTS}
    report: dict[str, Any] = {
        "levels": list(quantiles),
        "names": [quantile_name(level) for level in quantiles],
        "calibration": None,
    }
    for part in PARTS:
        report[part] = quantile_scores(truth[part], cubes[part], quantiles)
    if len(quantiles) < 2:
        return report
    level = float(quantiles[-1] - quantiles[0])
    factors = [
        conformal_factor(
            truth["validation"][:, step],
            cubes["validation"][:, step, 0],
            cubes["validation"][:, step, -1],
            level,
        )
        for step in range(cubes["validation"].shape[1])
    ]
    after = {}
    for part in PARTS:
        low, high = widened(
            cubes[part][..., 0], cubes[part][..., -1], np.asarray(factors)
        )
        after[part] = interval_coverage(truth[part], low, high)
    report["calibration"] = {
        "method": "split_conformal",
        "level": level,
        "factors": factors,
        "coverage_before": {part: report[part]["coverage"] for part in PARTS},
        "coverage_after": after,
    }
    return report


def interval_factors(report: dict[str, Any] | None) -> list[float] | None:
    """The calibration factors per step of an evaluation report, if any."""
    calibration = ((report or {}).get("quantiles") or {}).get("calibration")
    if not calibration:
        return None
    factors = calibration.get("factors") or []
    return [0.0 if not math.isfinite(f) else float(f) for f in factors]


def target_times(
    prepared: PreparedData, end_rows: np.ndarray, steps: np.ndarray
) -> pd.Series | None:
    """The time each forecast refers to: the window's end plus ``steps`` rows.

    Where that row exists in the entity, its own time; past the entity's last
    row, the end time plus ``steps`` typical steps (the median forward step
    between rows: an hour for hourly rows), so a timestamp column gives
    timestamps. ``None`` without a time column.

    Parameters
    ----------
    prepared : PreparedData
        The examples' rows.
    end_rows, steps : numpy.ndarray
        Each table row's window end and its horizon (same length).
    """
    if prepared.time_of_row is None:
        return None
    parsed = parse_time_utc(pd.Series(prepared.time_of_row))
    values = parsed.to_numpy()
    is_datetime = np.issubdtype(values.dtype, np.datetime64)
    if is_datetime:
        numbers = values.astype("datetime64[ns]").astype(np.int64).astype(np.float64)
    else:
        numbers = values.astype(np.float64)
    entity = prepared.layout.entity_of_rows()[end_rows]
    last = prepared.layout.starts[entity] + prepared.layout.lengths[entity] - 1
    target = end_rows + steps
    inside = target <= last
    # Entity boundaries step backwards (or jump): the median forward step is robust.
    forward = np.diff(numbers)
    forward = forward[forward > 0]
    step = float(np.median(forward)) if len(forward) else 0.0
    times = numbers[end_rows] + steps * step
    times[inside] = numbers[target[inside]]
    if is_datetime:
        return pd.Series(pd.to_datetime(np.rint(times).astype(np.int64), unit="ns"))
    if np.issubdtype(values.dtype, np.integer) and float(step).is_integer():
        return pd.Series(times.astype(np.int64))
    return pd.Series(times)


def baseline_columns(
    prepared: PreparedData, end_rows: np.ndarray, steps: np.ndarray
) -> dict[str, np.ndarray]:
    """Persistence and seasonal naive forecasts of each table row, target units.

    For a regression forecast only (else empty): ``persistence`` is the
    window's last observed target, ``seasonal_naive`` the target a whole
    number of seasons before the predicted step (NaN where it lies before the
    entity's first row, or without a season).
    """
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    if (
        data.task != "regression"
        or data.horizon is None
        or prepared.target_of_row is None
    ):
        return {}
    decode = preprocessor.target_encoder_.inverse_transform
    columns = {"persistence": decode(prepared.target_of_row[end_rows])}
    season = forecast_season(data, prepared.time_of_row)
    if season is not None:
        entity = prepared.layout.entity_of_rows()[end_rows]
        offsets = np.asarray([seasonal_offset(season, int(h)) for h in steps])
        rows = end_rows + steps - offsets
        inside = rows >= prepared.layout.starts[entity]
        values = np.full(len(rows), np.nan)
        values[inside] = prepared.target_of_row[rows[inside]]
        columns["seasonal_naive"] = decode(values)
    return columns


def quantile_summary(report: dict[str, Any], part: str = "test") -> pd.DataFrame:
    """The ``quantiles`` section of a report as rows of (measure, value).

    Pinball loss per quantile, q-risk (P50, P90), the interval's coverage
    against its nominal level, and with calibration the coverage after it.
    """
    section = report.get("quantiles") or {}
    scores = section.get(part) or {}
    rows: list[dict[str, Any]] = []
    for name, value in (scores.get("pinball") or {}).items():
        rows.append({"measure": f"pinball loss {name}", "value": value})
    for name, value in (scores.get("q_risk") or {}).items():
        rows.append({"measure": f"q-risk {name}", "value": value})
    interval = scores.get("interval")
    calibration = section.get("calibration") or {}
    if interval and scores.get("coverage") is not None:
        nominal = calibration.get("level")
        label = f"coverage {interval[0]}–{interval[1]}"
        if nominal is not None:
            label += f" (nominal {nominal:.0%})"
        rows.append({"measure": label, "value": scores["coverage"]})
    after = (calibration.get("coverage_after") or {}).get(part)
    if after is not None:
        rows.append({"measure": "coverage after conformal calibration", "value": after})
    return pd.DataFrame(rows, columns=["measure", "value"])
