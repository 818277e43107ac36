"""Reading raw cell values: times, timestamps from date parts, lenient numbers, order.

The pipeline (:mod:`core.examples.sequences`, :mod:`core.data.validation`) and
the suggestion
heuristics (:mod:`core.data.schema`) both parse values; the rules live here, once, so
the pipeline never depends on the heuristics.

Examples
--------
>>> import pandas as pd
>>> parts = pd.DataFrame({"year": [2024], "month": [3], "day": [1], "hour": [5]})
>>> date_part_columns(parts)
('year', 'month', 'day', 'hour')
>>> timestamp_from_parts(parts, date_part_columns(parts)).iloc[0]
Timestamp('2024-03-01 05:00:00')
>>> natural_order(["10", "2", "1"])
['1', '2', '10']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from core.errors import DataValidationError

#: Date parts in the order ``pandas.to_datetime`` assembles them, with valid ranges.
DATE_PARTS: dict[str, tuple[int, int]] = {
    "year": (1, 9999),
    "month": (1, 12),
    "day": (1, 31),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
_REQUIRED_PARTS = ("year", "month", "day")


def parse_time(series: pd.Series) -> pd.Series:
    """Time values as numbers or datetimes, ready to sort.

    Parameters
    ----------
    series : pandas.Series
        Integers, floats, datetimes, or text holding numbers or dates/times.
        Missing values (and empty text) stay missing.

    Returns
    -------
    pandas.Series
        Numbers unchanged (numeric text converted), text parsed with
        ``pandas.to_datetime`` in the format inferred from the first value.

    Raises
    ------
    DataValidationError
        If a value is neither a number nor a date/time.
    """
    if pd.api.types.is_bool_dtype(series):
        raise DataValidationError(
            _label(series),
            "expected integers or date/time strings, received true/false values",
        )
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(
        series
    ):
        return series
    text = series.astype("string").str.strip()
    text = text.where(text.notna() & (text != ""))
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() == text.notna().sum():
        return numbers.rename(series.name)
    parsed = _to_datetime(text)
    failed = text.notna() & parsed.isna()
    if failed.any():
        raise DataValidationError(
            _label(series),
            "expected integers or date/time strings, received "
            f"{text[failed].iloc[0]!r} in {int(failed.sum())} rows",
        )
    return parsed.rename(series.name)


def parse_time_utc(series: pd.Series) -> pd.Series:
    """:func:`parse_time`, with time-zone-aware date/times as tz-naive UTC.

    Aware and naive date/times cannot be compared or subtracted; every
    computation over times (order, steps, calendar parts, horizons) uses this.
    """
    parsed = parse_time(series)
    if pd.api.types.is_datetime64_any_dtype(parsed) and parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _to_datetime(text: pd.Series) -> pd.Series:
    """Parse with the format guessed from the first value, else value by value."""
    present = text.dropna()
    for dayfirst in (False, True):
        guessed = guess_datetime_format(present.iloc[0], dayfirst=dayfirst)
        if guessed is not None:
            parsed = _datetime_or_utc(text, guessed)
            if parsed.notna().sum() == len(present):
                return parsed
    return _datetime_or_utc(text, "mixed")


def _datetime_or_utc(text: pd.Series, date_format: str) -> pd.Series:
    """``pandas.to_datetime``, in UTC when the values mix time-zone offsets."""
    try:
        return pd.to_datetime(text, format=date_format, errors="coerce")
    except (ValueError, TypeError):
        return pd.to_datetime(text, format=date_format, errors="coerce", utc=True)


def _label(series: pd.Series) -> str | None:
    return None if series.name is None else str(series.name)


def date_part_columns(df: pd.DataFrame) -> tuple[str, ...]:
    """Columns holding separate date parts (year, month, day[, hour, minute, second]).

    A part is a column named exactly like it (any case) whose values are whole
    numbers in the part's range. Year, month and day are required; the time
    parts are kept while they continue the sequence (``minute`` needs ``hour``).

    Returns
    -------
    tuple of str
        The column names in part order, or ``()`` when year, month and day are
        not all present.
    """
    by_part = {str(name).strip().lower(): name for name in df.columns}
    found: list[str] = []
    for part, (low, high) in DATE_PARTS.items():
        name = by_part.get(part)
        if name is None or not _whole_numbers_within(df[name], low, high):
            break
        found.append(str(name))
    return tuple(found) if len(found) >= len(_REQUIRED_PARTS) else ()


def _whole_numbers_within(series: pd.Series, low: int, high: int) -> bool:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return False
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any() or len(values) == 0:
        return False
    return bool(np.all(np.mod(values, 1) == 0) and values.min() >= low) and bool(
        values.max() <= high
    )


def timestamp_from_parts(df: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """One timestamp per row assembled from date-part columns.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    columns : iterable of str
        Columns from :func:`date_part_columns`, in part order.

    Returns
    -------
    pandas.Series of datetime64
        Named ``"timestamp"``.

    Raises
    ------
    DataValidationError
        If the parts do not make a date (such as 31 February).
    """
    columns = list(columns)
    if len(columns) < len(_REQUIRED_PARTS):
        raise DataValidationError(
            None,
            f"expected year, month and day columns, received {columns}",
        )
    parts = df[columns].copy()
    parts.columns = [str(name).strip().lower() for name in columns]
    try:
        stamps = pd.to_datetime(parts, errors="raise")
    except (ValueError, OverflowError) as error:
        raise DataValidationError(
            columns[0],
            f"expected date parts that form valid dates, received an error: {error}",
        ) from error
    return stamps.rename("timestamp")


@dataclass(frozen=True)
class NumberParse:
    """How well a text column reads as numbers.

    Attributes
    ----------
    values : numpy.ndarray of float64
        The numbers, ``NaN`` where a value is missing or did not parse.
    failed : dict of str to int
        Text that is not a number, with its row count, most frequent first.
    present : int
        Non-missing values.
    """

    values: np.ndarray
    failed: dict[str, int]
    present: int

    @property
    def failed_rows(self) -> int:
        """Rows whose value did not parse."""
        return sum(self.failed.values())


def parse_numbers(series: pd.Series) -> NumberParse:
    """Read a column as numbers without raising, listing values that do not parse.

    Decimal commas are accepted when they fix every failing value, as in
    :func:`core.features.numeric.to_numeric_values`.
    """
    text = series.astype("string").str.strip()
    present = text.notna() & (text != "")
    parsed = pd.to_numeric(text.where(present), errors="coerce")
    failed = present & parsed.isna()
    if failed.any():
        comma = pd.to_numeric(
            text.where(present).str.replace(",", ".", regex=False), errors="coerce"
        )
        if not (present & comma.isna()).any():
            parsed, failed = comma, failed & False
    counts = text[failed].value_counts()
    return NumberParse(
        parsed.to_numpy(dtype=np.float64, na_value=np.nan),
        {str(key): int(count) for key, count in counts.items()},
        int(present.sum()),
    )


def natural_order(labels: Iterable[object]) -> list:
    """Labels that all read as numbers in numeric order, other labels as text.

    ``["0", "1", "10", "2"]`` becomes ``["0", "1", "2", "10"]`` (hours, codes);
    mixed labels are sorted as text.
    """
    items = list(labels)
    try:
        return sorted(items, key=lambda label: float(str(label)))
    except ValueError:
        return sorted(items, key=str)
