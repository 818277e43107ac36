"""Target encoding for binary, multiclass and regression tasks.

Binary targets become 0/1 with a documented positive class, multiclass targets
become class indices, and regression targets are standardised with training
statistics (an LSTM head learns faster on values near zero) and unscaled again for
every reported number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.config import Task
from core.data.schema import task_for_classes
from core.data.values import natural_order
from core.errors import DataValidationError
from core.features.numeric import to_numeric_values
from core.features.vocabulary import MISSING_KEY, category_keys, key_counts


class TargetEncoder:
    """Encode a target column for one task.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The prediction task.
    column : str
        Target column name, used in error messages.

    Attributes
    ----------
    classes_ : list of str or None
        Class keys (binary: ``[negative, positive]``); ``None`` for regression.
    mean_, std_ : float
        Regression scaling statistics (0 and 1 for classification).
    """

    def __init__(self, task: Task, column: str, cap: float | None = None) -> None:
        self.task = task
        self.column = column
        self.cap = cap

    def _numbers(self, series: pd.Series) -> np.ndarray:
        values = to_numeric_values(series, self.column)
        return values if self.cap is None else np.minimum(values, self.cap)

    def fit(self, series: pd.Series) -> TargetEncoder:
        """Learn classes or scaling from training target values."""
        self.mean_, self.std_ = 0.0, 1.0
        if self.task == "regression":
            self.classes_ = None
            values = self._numbers(series)
            known = values[~np.isnan(values)]
            self._require(len(known) > 0, "at least one non-missing target value")
            self.mean_ = float(known.mean())
            std = float(known.std())
            self.std_ = std if std > 1e-12 else 1.0
            return self
        if pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            infinite = int(np.isinf(values).sum())
            self._require(
                infinite == 0, f"class labels, received {infinite} infinite value(s)"
            )
        counts = key_counts(series)
        counts.pop(MISSING_KEY, None)
        keys = natural_order(counts)
        self._require(
            len(keys) > 0, "target values in the training rows, received only missing"
        )
        self._require(
            len(keys) >= 2, f"at least two classes in training, received {keys}"
        )
        if self.task == "binary":
            self._require(
                len(keys) == 2,
                f"exactly two classes for a binary task, received {len(keys)}: "
                f"{keys[:10]} (choose task {task_for_classes(keys)!r})",
            )
        self.classes_ = keys
        return self

    def _require(self, condition: bool, expected: str) -> None:
        if not condition:
            raise DataValidationError(self.column, f"expected {expected}")

    @property
    def positive_class(self) -> str | None:
        """The class encoded as 1 in a binary task."""
        if self.task != "binary":
            return None
        return self.classes_[1]

    @property
    def n_classes(self) -> int:
        """Number of classes (1 for regression)."""
        return len(self.classes_) if self.classes_ else 1

    def transform(self, series: pd.Series) -> np.ndarray:
        """Encoded float64 values; ``NaN`` for missing or unseen classes."""
        if self.task == "regression":
            return (self._numbers(series) - self.mean_) / self.std_
        return self.raw_values(series)

    def raw_values(self, series: pd.Series) -> np.ndarray:
        """Class indices (float, ``NaN`` if unusable) or unscaled regression values."""
        if self.task == "regression":
            return self._numbers(series)
        codes, keys = category_keys(series)
        positions = {key: float(i) for i, key in enumerate(self.classes_)}
        key_values = np.asarray([positions.get(key, np.nan) for key in keys])
        return key_values[codes]

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """Regression values unscaled, or class indices back to class keys."""
        values = np.asarray(values, dtype=np.float64)
        if self.task == "regression":
            return values * self.std_ + self.mean_
        table = np.asarray(self.classes_, dtype=object)
        return table[np.rint(values).astype(np.int64)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fitted state."""
        return {
            "task": self.task,
            "column": self.column,
            "cap": self.cap,
            "classes": self.classes_,
            "mean": self.mean_,
            "std": self.std_,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> TargetEncoder:
        """Rebuild from :meth:`to_dict` output."""
        encoder = cls(payload["task"], payload["column"], payload.get("cap"))
        encoder.classes_ = payload["classes"]
        encoder.mean_ = float(payload["mean"])
        encoder.std_ = float(payload["std"])
        return encoder
