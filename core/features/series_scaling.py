"""Per-series scaling of a regression target, as GroupNormalizer and DeepAR do.

Series of very different levels (hundreds to 100,000) on one global scale force
the model to learn every series' level. With ``DataConfig.target_scaling`` the
target and its past as input are centred and scaled per entity (``"entity"``)
or per value of a categorical column, with statistics from the training rows.
A series or group never seen in training is scaled by its own first input
window instead: at each row, the mean and spread of the entity's target values
so far, frozen once a whole window has been seen, so no row's scaling looks at
a later step.

The fitted statistics are plain JSON (:meth:`SeriesScaler.to_dict`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.features.vocabulary import category_keys

#: ``DataConfig.target_scaling`` value that scales per entity.
BY_ENTITY = "entity"
#: Spreads below this are treated as none (a constant series).
_TINY = 1e-12


def _keys(values: pd.Series) -> np.ndarray:
    """Canonical text keys of a column's values (as vocabularies spell them)."""
    codes, keys = category_keys(values)
    return np.asarray(keys, dtype=object)[codes]


class SeriesScaler:
    """Centre and scale of the target per series, fitted on training rows.

    Parameters
    ----------
    config : DataConfig
        Its ``target_scaling`` names what a series is; ``window`` bounds how
        many first steps an unseen series' statistics come from.

    Attributes
    ----------
    statistics_ : dict of str to (float, float)
        Per series key: training mean and scale of the target.
    fallback_ : (float, float)
        Global training mean and scale, for rows with nothing better.
    """

    def __init__(self, config: DataConfig) -> None:
        self.config = config

    def series_keys(self, frame: pd.DataFrame) -> np.ndarray:
        """The series key of every row."""
        config = self.config
        by_entity = config.target_scaling == BY_ENTITY
        column = config.id_column if by_entity else config.target_scaling
        if column is None:  # one entity: the whole table is one series
            return np.full(len(frame), "all", dtype=object)
        return _keys(frame[column])

    def fit(self, frame: pd.DataFrame, target: np.ndarray) -> SeriesScaler:
        """Learn each series' mean and scale from training rows and raw targets."""
        known = ~np.isnan(target)
        keys = self.series_keys(frame)
        mean = float(target[known].mean()) if known.any() else 0.0
        spread = float(target[known].std()) if known.sum() > 1 else 0.0
        self.fallback_ = (mean, spread if spread > _TINY else 1.0)
        table = pd.DataFrame({"key": keys[known], "value": target[known]})
        grouped = table.groupby("key", sort=True)["value"]
        means, spreads = grouped.mean(), grouped.std(ddof=0)
        self.statistics_ = {
            str(key): (float(means[key]), self._scale(means[key], spreads[key]))
            for key in means.index
        }
        return self

    def _scale(self, mean: float, spread: float) -> float:
        """The spread, or for a constant series its level (else the global scale)."""
        if np.isfinite(spread) and spread > _TINY:
            return float(spread)
        return float(abs(mean)) if abs(mean) > _TINY else self.fallback_[1]

    def row_statistics(
        self, frame: pd.DataFrame, target: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Centre and scale of every row of a table sorted by entity and time.

        Rows of a series seen in training get its training statistics; other
        rows the expanding statistics of their entity's target over its first
        ``window`` rows, up to the row itself (the global ones without a target).
        """
        keys = self.series_keys(frame)
        count = len(frame)
        center = np.full(count, self.fallback_[0])
        scale = np.full(count, self.fallback_[1])
        seen = np.asarray([key in self.statistics_ for key in keys], dtype=bool)
        for key in set(keys[seen]):
            rows = keys == key
            center[rows], scale[rows] = self.statistics_[key]
        if target is not None and (~seen).any():
            own_center, own_scale = self._own_window(frame, target)
            center[~seen], scale[~seen] = own_center[~seen], own_scale[~seen]
        return center, scale

    def _own_window(
        self, frame: pd.DataFrame, target: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expanding mean and scale per entity over its first ``window`` rows."""
        config = self.config
        entity = (
            np.zeros(len(frame), dtype=np.int64)
            if config.id_column is None
            else pd.factorize(frame[config.id_column])[0]
        )
        position = pd.Series(entity).groupby(entity).cumcount().to_numpy()
        use = (position < config.window) & ~np.isnan(target)
        values = np.where(use, target, 0.0)
        sums = pd.Series(values).groupby(entity).cumsum().to_numpy()
        squares = pd.Series(values**2).groupby(entity).cumsum().to_numpy()
        counts = pd.Series(use.astype(float)).groupby(entity).cumsum().to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums / counts
            spread = np.sqrt(np.maximum(squares / counts - mean**2, 0.0))
        center = np.where(counts > 0, mean, self.fallback_[0])
        scale = np.asarray(
            [
                self._scale(m, s) if c > 1 else self._scale(m, 0.0)
                for m, s, c in zip(center, spread, counts, strict=True)
            ]
        )
        return center, scale

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fitted state."""
        return {
            "statistics": {key: list(value) for key, value in self.statistics_.items()},
            "fallback": list(self.fallback_),
        }

    @classmethod
    def from_dict(cls, config: DataConfig, payload: dict[str, Any]) -> SeriesScaler:
        """Rebuild from :meth:`to_dict` output."""
        scaler = cls(config)
        scaler.statistics_ = {
            str(key): (float(value[0]), float(value[1]))
            for key, value in payload["statistics"].items()
        }
        scaler.fallback_ = (
            float(payload["fallback"][0]),
            float(payload["fallback"][1]),
        )
        return scaler


def level_ratio(frame: pd.DataFrame, config: DataConfig) -> float | None:
    """Largest over smallest mean absolute target level across entities.

    ``None`` without an entity column, a regression target or two entities
    with a non-zero level.
    """
    if config.task != "regression" or config.id_column is None:
        return None
    values = pd.to_numeric(frame[config.target_column], errors="coerce").abs()
    levels = values.groupby(frame[config.id_column].to_numpy()).mean().dropna()
    levels = levels[levels > _TINY]
    if len(levels) < 2:
        return None
    return float(levels.max() / levels.min())


#: Entity levels further apart than this suggest per-series scaling.
SUGGEST_RATIO = 10.0


def suggest_series_scaling(frame: pd.DataFrame, config: DataConfig) -> bool:
    """Whether entity levels differ by more than an order of magnitude."""
    ratio = level_ratio(frame, config)
    return ratio is not None and ratio > SUGGEST_RATIO
