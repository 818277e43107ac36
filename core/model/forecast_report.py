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

from core.config import DataConfig
from core.examples.prepare import PreparedData
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
