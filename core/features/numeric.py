"""Numeric columns: strict parsing, scaling with training statistics, imputation.

Scaling statistics can be global or per value of one categorical column
(``DataConfig.normalize_by``), the operating-condition normalisation that
turbofan and process data need. Both cases share one code path: a table of
centres and scales with one row per group index, where rows 0 (padding) and
1 (unknown) hold the global statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.data.values import parse_numbers
from core.errors import DataValidationError

_GLOBAL_ROWS = 2


def to_numeric_values(series: pd.Series, column: str) -> np.ndarray:
    """Parse a column as float64, accepting numeric text and decimal commas.

    Missing values (``NaN``, ``None``, ``""``) become ``NaN``.

    Raises
    ------
    DataValidationError
        If a value is text that is not a number, or infinite.
    """
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = _parse_text_numbers(series, column)
    infinite = np.isinf(values)
    if infinite.any():
        raise DataValidationError(
            column,
            f"expected finite numbers, received {int(infinite.sum())} infinite "
            "value(s); replace or drop them",
        )
    return values


def _parse_text_numbers(series: pd.Series, column: str) -> np.ndarray:
    parsed = parse_numbers(series)
    if parsed.failed:
        example = next(iter(parsed.failed))
        raise DataValidationError(
            column,
            f"expected numbers, received text such as {example!r} in "
            f"{parsed.failed_rows} row(s)",
        )
    return parsed.values


class NumericScaler:
    """Scale numeric columns with training statistics; impute and flag missing values.

    Parameters
    ----------
    columns : tuple of str
        Numeric columns, in feature order.
    scaling : {"standard", "minmax", "none"}
        How values are scaled.
    missing_indicators : bool
        Append a 0/1 feature for every column with missing training values.
    """

    def __init__(
        self, columns: tuple[str, ...], scaling: str, missing_indicators: bool
    ) -> None:
        self.columns = tuple(columns)
        self.scaling = scaling
        self.missing_indicators = missing_indicators

    def _matrix(self, df: pd.DataFrame) -> np.ndarray:
        matrix = np.empty((len(df), len(self.columns)), dtype=np.float64)
        for position, column in enumerate(self.columns):
            matrix[:, position] = to_numeric_values(df[column], column)
        return matrix

    def fit(
        self, df: pd.DataFrame, group_indices: np.ndarray | None, group_count: int
    ) -> NumericScaler:
        """Learn centres and scales (per group when ``group_indices`` is given)."""
        values = self._matrix(df)
        global_stats = self._statistics(values)
        rows = max(group_count, _GLOBAL_ROWS)
        self.center_, self.scale_, self.mean_ = (
            np.tile(stat, (rows, 1)) for stat in global_stats
        )
        if group_indices is not None:
            for group in np.unique(group_indices):
                members = values[group_indices == group]
                # Too few values give a meaningless scale: keep the global one.
                if group >= _GLOBAL_ROWS and len(members) >= 2:
                    center, scale, mean = self._statistics(members, global_stats)
                    self.center_[group], self.scale_[group] = center, scale
                    self.mean_[group] = mean
        missing = np.isnan(values).any(axis=0)
        self.indicator_columns_ = (
            [c for c, m in zip(self.columns, missing, strict=True) if m]
            if self.missing_indicators
            else []
        )
        return self

    def _statistics(
        self,
        values: np.ndarray,
        fallback: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre, scale and mean (the imputation value) of each column."""
        width = values.shape[1]
        all_missing = np.isnan(values).all(axis=0)
        # A fully missing column has no statistics: pretend it is all zeros.
        safe = np.where(all_missing, 0.0, values)
        mean = np.nanmean(safe, axis=0) if len(values) else np.zeros(width)
        if self.scaling == "none" or len(values) == 0:
            center, scale = np.zeros(width), np.ones(width)
        elif self.scaling == "standard":
            center, scale = mean, np.nanstd(safe, axis=0)
        else:
            center = np.nanmin(safe, axis=0)
            scale = np.nanmax(safe, axis=0) - center
        # A constant column would divide by zero; leave it centred, unscaled.
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        if fallback is not None:
            center = np.where(all_missing, fallback[0], center)
            scale = np.where(all_missing, fallback[1], scale)
            mean = np.where(all_missing, fallback[2], mean)
        return center, scale, mean

    def keep_global(self, columns: tuple[str, ...]) -> NumericScaler:
        """Scale ``columns`` with the global statistics in every group."""
        for column in columns:
            position = self.columns.index(column)
            for table in (self.center_, self.scale_, self.mean_):
                table[:, position] = table[0, position]
        return self

    @property
    def feature_names(self) -> list[str]:
        """Model feature names: the columns, then ``<column>__missing`` indicators."""
        return [*self.columns, *(f"{c}__missing" for c in self.indicator_columns_)]

    def _groups(self, group_indices: np.ndarray | None, rows: int) -> np.ndarray:
        if group_indices is None:
            return np.zeros(rows, dtype=np.int64)
        return np.asarray(group_indices, dtype=np.int64)

    def transform(
        self, df: pd.DataFrame, group_indices: np.ndarray | None
    ) -> np.ndarray:
        """Scaled float32 features; missing values take the training mean."""
        values = self._matrix(df)
        groups = self._groups(group_indices, len(values))
        missing = np.isnan(values)
        filled = np.where(missing, self.mean_[groups], values)
        scaled = (filled - self.center_[groups]) / self.scale_[groups]
        positions = [self.columns.index(c) for c in self.indicator_columns_]
        indicators = missing[:, positions].astype(np.float64)
        return np.hstack([scaled, indicators]).astype(np.float32)

    def inverse_transform(
        self, features: np.ndarray, group_indices: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """Unscaled columns; ``NaN`` where a missing indicator is set."""
        width = len(self.columns)
        groups = self._groups(group_indices, len(features))
        values = features[:, :width].astype(np.float64) * self.scale_[groups]
        values = values + self.center_[groups]
        for offset, column in enumerate(self.indicator_columns_):
            position = self.columns.index(column)
            flagged = features[:, width + offset] > 0.5
            values[flagged, position] = np.nan
        return {column: values[:, i] for i, column in enumerate(self.columns)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fitted state."""
        return {
            "columns": list(self.columns),
            "scaling": self.scaling,
            "missing_indicators": self.missing_indicators,
            "indicator_columns": list(self.indicator_columns_),
            "center": self.center_.tolist(),
            "scale": self.scale_.tolist(),
            "mean": self.mean_.tolist(),
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> NumericScaler:
        """Rebuild from :meth:`to_dict` output."""
        scaler = cls(
            tuple(payload["columns"]),
            payload["scaling"],
            payload["missing_indicators"],
        )
        width = len(scaler.columns)
        scaler.indicator_columns_ = list(payload["indicator_columns"])
        scaler.center_, scaler.scale_, scaler.mean_ = (
            # Rows given explicitly: reshape(-1, 0) fails without numeric columns.
            np.asarray(payload[name], dtype=np.float64).reshape(
                len(payload[name]), width
            )
            for name in ("center", "scale", "mean")
        )
        return scaler
