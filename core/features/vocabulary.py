"""Category keys and vocabularies: 0 = padding, 1 = unknown, real categories from 2.

Categories arrive as strings, integers, floats or booleans, and the same value may
be read as ``1`` from one file and ``1.0`` from another. Every value is reduced to a
canonical text key first, so ``1``, ``1.0`` and ``"1"`` are one category, and every
form of missing (``NaN``, ``None``, ``pd.NA``, ``""``) is the one key
:data:`MISSING_KEY`, a category of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PADDING_INDEX = 0
UNKNOWN_INDEX = 1
FIRST_CATEGORY_INDEX = 2
MISSING_KEY = "<missing>"
UNKNOWN_LABEL = "<unknown>"


def _canonical(value: object) -> str:
    """Text key of one non-missing value."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return str(int(number))
        return repr(number)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    text = str(value)
    return MISSING_KEY if text == "" else text


def category_keys(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorise ``series`` into canonical keys.

    Only the distinct values are canonicalised, so the cost grows with the
    cardinality, not with the number of rows.

    Parameters
    ----------
    series : pandas.Series
        Raw category values of any dtype.

    Returns
    -------
    codes : numpy.ndarray of int64
        Position of each row's key in ``keys``.
    keys : numpy.ndarray of object
        Distinct canonical keys (strings); may repeat when two raw values share a
        key (``1`` and ``"1"``), which callers handle through a dictionary.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = np.append(_canonical_keys(uniques), MISSING_KEY).astype(object)
    codes = np.where(codes < 0, len(keys) - 1, codes)
    return codes.astype(np.int64), keys


def _canonical_keys(uniques: Any) -> np.ndarray:
    """Keys of distinct values; all-text and all-integer columns vectorised."""
    kind = pd.api.types.infer_dtype(uniques, skipna=False)
    values = np.asarray(uniques, dtype=object)
    if kind == "string":
        # A million identifiers would cost seconds one _canonical call at a time.
        return np.where(values == "", MISSING_KEY, values)
    if kind == "integer" and pd.api.types.is_integer_dtype(uniques.dtype):
        return np.asarray(uniques).astype(str).astype(object)
    return np.asarray([_canonical(value) for value in values], dtype=object)


def key_counts(series: pd.Series) -> dict[str, int]:
    """Number of rows per canonical key."""
    codes, keys = category_keys(series)
    counts = np.bincount(codes, minlength=len(keys))
    totals: dict[str, int] = {}
    for key, count in zip(keys, counts, strict=True):
        if count:
            totals[key] = totals.get(key, 0) + int(count)
    return totals


@dataclass(frozen=True)
class Lookup:
    """Row indices of a column under a vocabulary, with what was not in it.

    Attributes
    ----------
    indices : numpy.ndarray of int32
        One index per row: 1 for unknown, 2.. for vocabulary entries.
    unknown_values : dict of str to int
        Keys mapped to the unknown index, with their row counts.
    """

    indices: np.ndarray
    unknown_values: dict[str, int]

    @property
    def unknown_count(self) -> int:
        """Rows that received the unknown index."""
        return int(sum(self.unknown_values.values()))


def build_vocabulary(
    counts: dict[str, int], min_count: int = 1, max_size: int | None = None
) -> list[str]:
    """Keys kept as categories, most frequent first (ties by key, for determinism).

    Keys seen fewer than ``min_count`` times are left out and will map to the
    unknown index; so are all but the ``max_size`` most frequent.
    """
    kept = [(key, count) for key, count in counts.items() if count >= min_count]
    kept.sort(key=lambda item: (-item[1], item[0]))
    if max_size is not None:
        kept = kept[:max_size]
    return [key for key, _ in kept]


def lookup(series: pd.Series, vocabulary: Sequence[str]) -> Lookup:
    """Map raw values to vocabulary indices; values outside it get index 1.

    Never raises for unseen values: they are counted in the result instead.
    """
    codes, keys = category_keys(series)
    positions = {key: FIRST_CATEGORY_INDEX + i for i, key in enumerate(vocabulary)}
    key_indices = np.fromiter(
        (positions.get(key, UNKNOWN_INDEX) for key in keys),
        dtype=np.int32,
        count=len(keys),
    )
    indices = key_indices[codes]
    unknown: dict[str, int] = {}
    if (key_indices == UNKNOWN_INDEX).any():
        counts = np.bincount(codes, minlength=len(keys))
        for key, index, count in zip(keys, key_indices, counts, strict=True):
            if index == UNKNOWN_INDEX and count:
                unknown[key] = unknown.get(key, 0) + int(count)
    return Lookup(indices=indices, unknown_values=unknown)


def labels_for(indices: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    """Inverse of :func:`lookup`: labels, ``None`` for padding, unknown label for 1."""
    table = np.asarray([None, UNKNOWN_LABEL, *vocabulary], dtype=object)
    return table[np.asarray(indices, dtype=np.int64)]
