"""Checks of a table against the column roles the user chose, before any fitting.

:func:`validate_against` raises :class:`~core.errors.DataValidationError` for what
cannot work (a missing column, a target without values, text in a numeric column)
and returns warnings for what will be repaired (numbers stored as text, unsorted
rows, repeated times). :func:`coerce_numeric` does the numeric repair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.columns import require_columns, require_unique_columns
from core.data.derived_target import apply_derived_target
from core.errors import DataValidationError
from core.examples.sequences import ordering_keys
from core.features.numeric import to_numeric_values
from core.features.target import TargetEncoder


def validate_against(
    config: DataConfig, df: pd.DataFrame, require_target: bool = True
) -> list[str]:
    """Check a table against a data config before anything is fitted.

    Parameters
    ----------
    config : DataConfig
        Column roles to check.
    df : pandas.DataFrame
        The table.
    require_target : bool
        ``False`` for prediction files, where the target column may be absent
        or empty.

    Returns
    -------
    list of str
        Warnings about what will be repaired or ignored: numbers stored as text,
        missing target values, repeated timestamps, unsorted rows.

    Raises
    ------
    DataValidationError
        Naming the column, if a configured column is missing, the target has no
        values, a numeric column holds text or infinities, or an id or time
        value is missing or unreadable.
    ConfigError
        If the target is derived (``derive_target``) and a column it reads is
        missing or holds values it cannot compare.
    """
    require_unique_columns(df)
    df = apply_derived_target(df, config, required=require_target)
    target = config.target_column if require_target else None
    require_columns(df, (config.id_column, config.time_column, *config.feature_columns))
    require_columns(df, (target,))
    if len(df) == 0:
        raise DataValidationError(None, "expected at least one row, received none")
    warnings: list[str] = []
    if require_target:
        warnings += _check_target(df[config.target_column], config)
    for column in config.numeric_columns:
        warnings += _check_numeric(df[column], column)
    for column in config.categorical_names:
        warnings += _check_categorical(df[column], column, config.max_categories)
    return warnings + _check_order(df, config)


def coerce_numeric(
    df: pd.DataFrame, columns: tuple[str, ...] | list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Convert columns of numbers stored as text (decimal commas included).

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    columns : sequence of str
        Columns that must be numeric.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        The table with those columns as float64 where they were text (the same
        object when nothing changed), and one note per converted column.

    Raises
    ------
    DataValidationError
        If a column is missing, or holds text that is not a number (the message
        gives an example value) or an infinite value.
    """
    frame, notes = df, []
    require_columns(df, columns)
    for column in columns:
        series = df[column]
        if pd.api.types.is_numeric_dtype(series):
            continue
        values = to_numeric_values(series, column)
        if frame is df:
            frame = df.copy(deep=False)
        frame[column] = values
        notes.append(_conversion_note(series, column))
    return frame, notes


def _conversion_note(series: pd.Series, column: str) -> str:
    text = series.dropna().astype(str)
    comma = bool(text.str.contains(",", regex=False).any())
    detail = " (decimal commas read as points, e.g. '1,5' -> 1.5)" if comma else ""
    return f"column {column!r}: numbers stored as text converted{detail}"


def _check_target(series: pd.Series, config: DataConfig) -> list[str]:
    """The target encoder's own checks on every row, then warnings."""
    column, missing = config.target_column, int(series.isna().sum())
    TargetEncoder(config.task, column, config.target_cap).fit(series)
    warnings = [] if config.task == "regression" else _rare_classes(series, column)
    if missing:
        warnings.append(
            f"target {column!r} is missing in {missing} of {len(series)} rows; "
            "those rows give no labels"
        )
    return warnings


def _rare_classes(series: pd.Series, column: str) -> list[str]:
    counts = series.value_counts()
    rare = [str(label) for label in counts.index[counts == 1]]
    if not rare:
        return []
    return [
        f"target {column!r}: class(es) {rare[:5]} occur in a single row; too rare "
        "to learn, and unseen in training if that row is held out"
    ]


def _check_numeric(series: pd.Series, column: str) -> list[str]:
    if series.isna().all():
        return [f"column {column!r} has no values; it will be all missing"]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        infinite = int(
            np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan)).sum()
        )
        if infinite:
            raise DataValidationError(
                column,
                f"expected finite numbers, received {infinite} infinite value(s)",
            )
        return []
    return coerce_numeric(series.to_frame(column), [column])[1]


def _check_categorical(
    series: pd.Series, column: str, max_categories: int | None
) -> list[str]:
    present = series.dropna()
    if present.empty:
        return [f"column {column!r} has no values; every row maps to 'unknown'"]
    distinct = present.nunique()
    if len(present) > 1 and distinct == len(present):
        # Not capped automatically: the user decides between a cap and dropping it.
        advice = (
            f"only the {max_categories} most frequent are kept (max_categories), "
            "the rest map to 'unknown'"
            if max_categories is not None and max_categories < distinct
            else "drop the column or cap it with a smaller max_categories"
        )
        return [
            f"column {column!r}: every value is unique ({distinct}), so its "
            f"embedding cannot generalise; {advice}"
        ]
    return []


def _check_order(df: pd.DataFrame, config: DataConfig) -> list[str]:
    """Warnings about row order; the parsing and its errors are the pipeline's."""
    ids, times = ordering_keys(df, config)
    keys = [pd.Series(key) for key in (ids, times) if key is not None]
    if not keys:
        return []
    warnings = []
    if times is not None:
        repeated = int(pd.concat(keys, axis=1).duplicated().sum())
        if repeated:
            warnings.append(
                f"{repeated} row(s) repeat a time already seen for the same entity; "
                f"they keep their file order, so {config.time_column!r} does not "
                "order them: choose a time column that is unique per entity (or "
                "build a timestamp from date parts on the data page)"
            )
    try:
        ordered = pd.MultiIndex.from_arrays(keys).is_monotonic_increasing
    except TypeError:
        ordered = False  # ids mixing numbers and text: they will be sorted as text
    if not ordered:
        names = [c for c in (config.id_column, config.time_column) if c is not None]
        warnings.append(
            f"rows are not in order; they will be sorted by {' and '.join(names)}"
        )
    return warnings
