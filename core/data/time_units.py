"""Times as numbers in one unit: for time deltas, the time as input and horizons.

A numeric time column (step numbers, days since admission) is used in its own
units. A date/time column is counted in seconds, minutes, hours or days since
the Unix epoch: the unit the user picks, or one read from the typical step
between an entity's rows (:func:`infer_time_unit`), so "within 90 days" and
"3.5 days since the previous visit" mean what they say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.values import parse_time_utc
from core.errors import DataValidationError

#: Seconds in each unit a date/time column can be counted in.
UNIT_SECONDS: dict[str, float] = {
    "seconds": 1.0,
    "minutes": 60.0,
    "hours": 3600.0,
    "days": 86400.0,
}
#: The unit of a numeric time column: its own numbers.
AUTO_UNIT = "auto"
_NANOSECONDS = 1e9


def infer_time_unit(step_seconds: float | None) -> str:
    """The unit a typical step suggests: days, hours or seconds.

    Daily or coarser rows count in days, hourly or coarser in hours, anything
    finer in seconds.

    >>> infer_time_unit(86400.0), infer_time_unit(7200.0), infer_time_unit(30.0)
    ('days', 'hours', 'seconds')
    """
    if step_seconds is None:
        return "seconds"
    if step_seconds >= UNIT_SECONDS["days"]:
        return "days"
    if step_seconds >= UNIT_SECONDS["hours"]:
        return "hours"
    return "seconds"


def _epoch_seconds(parsed: pd.Series) -> np.ndarray:
    """Seconds since the Unix epoch of parsed date/times (NaN where missing)."""
    stamps = parsed.to_numpy().astype("datetime64[ns]")
    seconds = stamps.astype(np.int64).astype(np.float64) / _NANOSECONDS
    seconds[np.isnat(stamps)] = np.nan
    return seconds


def typical_step_seconds(seconds: np.ndarray, entity: np.ndarray) -> float | None:
    """Median positive step between consecutive rows of one entity (or None)."""
    steps = np.diff(seconds)
    same = entity[1:] == entity[:-1]
    steps = steps[same & (steps > 0)]
    return float(np.median(steps)) if len(steps) else None


def resolve_time_unit(
    series: pd.Series, column: str, unit: str, entity: np.ndarray
) -> str:
    """The concrete unit of a time column: ``unit``, or the one its rows imply.

    Parameters
    ----------
    series : pandas.Series
        The time column of rows sorted by entity and time (training rows).
    column : str
        Its name, for errors.
    unit : str
        ``DataConfig.time_unit``.
    entity : numpy.ndarray
        Entity position of every row, so steps across entities do not count.

    Returns
    -------
    str
        ``"auto"`` for a numeric column (its own units), else a key of
        :data:`UNIT_SECONDS`.

    Raises
    ------
    DataValidationError
        If a unit is given for a numeric time column, or a value is not a time.
    """
    parsed = parse_time_utc(series.rename(column))
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        _require_auto(unit, column)
        return AUTO_UNIT
    if unit != AUTO_UNIT:
        return unit
    return infer_time_unit(typical_step_seconds(_epoch_seconds(parsed), entity))


def _require_auto(unit: str, column: str) -> None:
    if unit != AUTO_UNIT:
        raise DataValidationError(
            column,
            f"expected dates/times for data.time_unit {unit!r}, received plain "
            "numbers; leave data.time_unit 'auto' for a numeric time column "
            "(its own units are used)",
        )


def time_numbers(
    series: pd.Series, column: str, unit: str, entity: np.ndarray | None = None
) -> np.ndarray:
    """The time column as float64 numbers in ``unit``.

    Date/times count ``unit`` since the Unix epoch (``"auto"`` is resolved
    from the typical step between rows of one ``entity`` first; without
    ``entity``, the rows count as one sequence); numbers are returned as they
    are.

    Raises
    ------
    DataValidationError
        If a unit is given for a numeric time column, or a value is not a time.

    Examples
    --------
    >>> times = pd.Series(["1970-01-02", "1970-01-04 12:00"])
    >>> time_numbers(times, "visit", "days").tolist()
    [1.0, 3.5]
    >>> time_numbers(pd.Series([3, 7]), "day", "auto").tolist()
    [3.0, 7.0]
    """
    parsed = parse_time_utc(series.rename(column))
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        _require_auto(unit, column)
        return parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    seconds = _epoch_seconds(parsed)
    if unit == AUTO_UNIT:
        if entity is None:
            entity = np.zeros(len(seconds), dtype=np.int64)
        unit = infer_time_unit(typical_step_seconds(seconds, entity))
    return seconds / UNIT_SECONDS[unit]


def unit_label(unit: str) -> str:
    """How a resolved unit reads in a note: ``"days"``, or the column's own units."""
    return "the time column's own units" if unit == AUTO_UNIT else unit
