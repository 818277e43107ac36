"""Repairs of a table that the user asks for (the data page offers them).

Each repair returns a new table and a note saying what changed; nothing here runs
unless the user chose it, so the pipeline's own checks stay strict.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from core.data.columns import require_columns
from core.data.values import parse_numbers, timestamp_from_parts

#: Name of the time column built from date parts (a suffix is added if taken).
TIMESTAMP_COLUMN = "timestamp"


def _free_name(df: pd.DataFrame, wanted: str) -> str:
    taken = {str(name) for name in df.columns}
    name, suffix = wanted, 1
    while name in taken:
        name, suffix = f"{wanted}_{suffix}", suffix + 1
    return name


def add_timestamp(df: pd.DataFrame, parts: Iterable[str]) -> tuple[pd.DataFrame, str]:
    """Add one timestamp column built from separate date-part columns.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    parts : iterable of str
        Year, month, day (and hour, minute, second) columns, as found by
        :func:`core.data.values.date_part_columns`. They stay in the table.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        The table with the new column after the parts, and its name.

    Raises
    ------
    DataValidationError
        If the parts do not form valid dates.
    """
    parts = list(parts)
    name = _free_name(df, TIMESTAMP_COLUMN)
    stamps = timestamp_from_parts(df, parts).rename(name)
    position = max(list(df.columns).index(part) for part in parts) + 1
    frame = df.copy(deep=False)
    frame.insert(position, name, stamps.to_numpy())
    return frame, name


def numbers_or_missing(
    df: pd.DataFrame, columns: Iterable[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Read columns as numbers, turning the values that do not parse into missing.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    columns : iterable of str
        Columns that should be numeric.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        The table with those columns as float64, and one note per column that
        lost values, naming them.

    Raises
    ------
    DataValidationError
        If a column is not in the table.
    """
    columns = list(columns)
    require_columns(df, columns)
    frame, notes = df.copy(deep=False), []
    for column in columns:
        parsed = parse_numbers(df[column])
        frame[column] = parsed.values
        if parsed.failed:
            shown = ", ".join(repr(value) for value in list(parsed.failed)[:5])
            notes.append(
                f"column {column!r}: {parsed.failed_rows} value(s) that are not "
                f"numbers ({shown}) now count as missing"
            )
    return frame, notes
