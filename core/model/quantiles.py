"""Quantile forecasts scored: pinball loss, q-risk, interval coverage, calibration.

Pure NumPy over arrays in the target's own units, so pages, reports and tests
share one arithmetic (the Keras loss that trains the quantiles is
:class:`core.model.pinball.PinballLoss`). Missing actual values (NaN) are left
out of every score.

- pinball loss of quantile ``q``: the mean of ``q * (y - p)`` where ``y >= p``
  and ``(1 - q) * (p - y)`` where ``y < p``;
- q-risk (the normalised quantile loss of the TFT paper, Lim et al. 2021):
  ``2 * sum(pinball) / sum(|y|)``, reported for P50 and P90;
- coverage: the share of actual values inside the outermost quantiles'
  interval (P10–P90 for 0.1, 0.5, 0.9);
- split-conformal calibration (conformalised quantile regression, Romano et
  al. 2019, with scores relative to the interval's width): on the validation
  part, ``E = max(low - y, y - high) / (high - low)``; the interval is
  widened by the ``ceil((n + 1) * level)``-th smallest ``E`` times its
  width, so its coverage matches its nominal level on exchangeable data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Quantiles whose q-risk is reported when the model predicts them (TFT's P50, P90).
Q_RISK_LEVELS: tuple[float, ...] = (0.5, 0.9)
#: Interval widths below this count as this (a zero-width interval has no scale).
MIN_WIDTH = 1e-9


def quantile_name(level: float) -> str:
    """Column name of a quantile: ``P10`` for 0.1, ``P2.5`` for 0.025.

    >>> quantile_name(0.1), quantile_name(0.5), quantile_name(0.025)
    ('P10', 'P50', 'P2.5')
    """
    return f"P{round(level * 100, 6):g}"


def point_index(quantiles: Sequence[float] | None, count: int) -> int:
    """Position of the quantile used as the point forecast: the one nearest 0.5.

    Without known levels, the middle one of ``count`` outputs.

    >>> point_index((0.1, 0.5, 0.9), 3), point_index(None, 3), point_index((0.9,), 1)
    (1, 1, 0)
    """
    if not quantiles:
        return count // 2
    return int(np.argmin([abs(level - 0.5) for level in quantiles]))


def _known(actual: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """``actual`` and ``others`` flattened, where the actual value is known."""
    actual = np.asarray(actual, dtype=np.float64)
    keep = ~np.isnan(actual)
    return tuple(
        np.broadcast_to(np.asarray(values, dtype=np.float64), actual.shape)[keep]
        for values in (actual, *others)
    )


def pinball_losses(
    actual: np.ndarray, predicted: np.ndarray, level: float
) -> np.ndarray:
    """Pinball loss of each known value (flattened)."""
    y, p = _known(actual, predicted)
    difference = y - p
    return np.maximum(level * difference, (level - 1.0) * difference)


def pinball_loss(actual: np.ndarray, predicted: np.ndarray, level: float) -> float:
    """Mean pinball loss of quantile ``level``; NaN when no value is known.

    >>> pinball_loss(np.array([1.0, 3.0]), np.array([2.0, 2.0]), 0.9)
    0.5
    """
    losses = pinball_losses(actual, predicted, level)
    return float(losses.mean()) if len(losses) else math.nan


def q_risk(actual: np.ndarray, predicted: np.ndarray, level: float) -> float:
    """Normalised quantile loss ``2 * sum(pinball) / sum(|y|)`` (TFT's q-risk).

    >>> q_risk(np.array([1.0, 3.0]), np.array([2.0, 2.0]), 0.9)
    0.5
    """
    losses = pinball_losses(actual, predicted, level)
    scale = np.abs(_known(actual)[0]).sum()
    return float(2.0 * losses.sum() / scale) if scale > 0 else math.nan


def interval_coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Share of known values with ``low <= y <= high``; NaN when none is known.

    >>> interval_coverage(np.array([1.0, 5.0, np.nan]), np.array([0.0, 0.0, 0.0]), 2.0)
    0.5
    """
    y, lo, hi = _known(actual, low, high)
    return float(((y >= lo) & (y <= hi)).mean()) if len(y) else math.nan


def conformal_factor(
    actual: np.ndarray, low: np.ndarray, high: np.ndarray, level: float
) -> float:
    """Split-conformal widening of ``[low, high]``, relative to its width.

    Parameters
    ----------
    actual, low, high : numpy.ndarray
        Calibration (validation) values and the predicted interval.
    level : float
        Nominal coverage, the outermost quantiles' distance (0.8 for P10–P90).

    Returns
    -------
    float
        ``f`` such that ``[low - f * w, high + f * w]`` (``w = high - low``)
        covers about ``level`` of new values; negative narrows. 0 without
        calibration values.

    Examples
    --------
    >>> y = np.arange(10.0)
    >>> conformal_factor(y, y - 1.0, y + 1.0, 0.8)  # always inside: narrow
    -0.5
    """
    y, lo, hi = _known(actual, low, high)
    if not len(y):
        return 0.0
    width = np.maximum(hi - lo, MIN_WIDTH)
    scores = np.sort(np.maximum(lo - y, y - hi) / width)
    # The ceil((n + 1) * level)-th smallest score (the largest when n is small).
    rank = min(math.ceil((len(y) + 1) * level), len(y))
    return float(scores[rank - 1])


def widened(
    low: np.ndarray, high: np.ndarray, factor: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """The interval ``[low, high]`` widened by ``factor`` times its width.

    A narrowing factor stops at the interval's midpoint (never inverted).
    """
    width = np.maximum(high - low, MIN_WIDTH)
    margin = np.maximum(np.asarray(factor) * width, -width / 2)
    return low - margin, high + margin


def quantile_scores(
    actual: np.ndarray, predicted: np.ndarray, quantiles: Sequence[float]
) -> dict[str, Any]:
    """Pinball loss per quantile, q-risk (P50, P90) and the interval's coverage.

    Parameters
    ----------
    actual : numpy.ndarray, shape (n, horizons)
        Actual values (NaN: unknown).
    predicted : numpy.ndarray, shape (n, horizons, quantiles)
        Predicted quantiles.
    quantiles : sequence of float
        The levels, increasing.

    Returns
    -------
    dict
        ``{"pinball": {name: loss}, "q_risk": {name: value}, "coverage":
        value or None, "interval": [low, high] or None}`` (names ``P10``...).
    """
    names = [quantile_name(level) for level in quantiles]
    report: dict[str, Any] = {
        "pinball": {
            name: pinball_loss(actual, predicted[..., i], level)
            for i, (name, level) in enumerate(zip(names, quantiles, strict=True))
        },
        "q_risk": {
            name: q_risk(actual, predicted[..., i], level)
            for i, (name, level) in enumerate(zip(names, quantiles, strict=True))
            if level in Q_RISK_LEVELS
        },
        "coverage": None,
        "interval": None,
    }
    if len(quantiles) >= 2:
        report["coverage"] = interval_coverage(
            actual, predicted[..., 0], predicted[..., -1]
        )
        report["interval"] = [names[0], names[-1]]
    return report
