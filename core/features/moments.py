"""Running moments of numeric columns, merged batch by batch (Chan et al.).

The merge of two batches' counts, means and sums of squared deviations is exact
up to float rounding, whatever the batch sizes, so a streaming pass gives the
statistics a single pass over all rows would.
"""

from __future__ import annotations

import numpy as np

#: Scales at or below this are treated as constant columns (left unscaled).
TINY_SCALE = 1e-12


class Moments:
    """Running count, mean, sum of squared deviations, min and max per column."""

    def __init__(self, width: int) -> None:
        self.count = np.zeros(width)
        self.mean = np.zeros(width)
        self.m2 = np.zeros(width)
        self.minimum = np.full(width, np.inf)
        self.maximum = np.full(width, -np.inf)
        self.rows = 0

    def update(self, values: np.ndarray) -> None:
        """Merge the moments of ``values`` (rows x columns, NaN = missing)."""
        self.rows += len(values)
        known = ~np.isnan(values)
        count = known.sum(axis=0).astype(np.float64)
        if not count.any():
            return
        safe = np.where(known, values, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, safe.sum(axis=0) / count, 0.0)
        m2 = (np.where(known, values - mean, 0.0) ** 2).sum(axis=0)
        total = self.count + count
        delta = mean - self.mean
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, count / total, 0.0)
        self.mean = self.mean + delta * share
        self.m2 = self.m2 + m2 + delta**2 * self.count * share
        self.count = total
        self.minimum = np.fmin(self.minimum, np.where(known, values, np.inf).min(0))
        self.maximum = np.fmax(self.maximum, np.where(known, values, -np.inf).max(0))

    def statistics(
        self, scaling: str, fallback: tuple[np.ndarray, ...] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre, scale and imputation mean, as ``NumericScaler`` keeps them."""
        width = len(self.count)
        all_missing = self.count == 0
        mean = np.where(all_missing, 0.0, self.mean)
        if scaling == "none" or self.rows == 0:
            center, scale = np.zeros(width), np.ones(width)
        elif scaling == "standard":
            with np.errstate(invalid="ignore", divide="ignore"):
                variance = np.where(all_missing, 0.0, self.m2 / self.count)
            center, scale = mean, np.sqrt(np.maximum(variance, 0.0))
        else:
            center = np.where(all_missing, 0.0, self.minimum)
            scale = np.where(all_missing, 0.0, self.maximum) - center
        scale = np.where(np.isfinite(scale) & (scale > TINY_SCALE), scale, 1.0)
        if fallback is not None:
            center = np.where(all_missing, fallback[0], center)
            scale = np.where(all_missing, fallback[1], scale)
            mean = np.where(all_missing, fallback[2], mean)
        return center, scale, mean
