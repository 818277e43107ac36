"""Horizons in time for irregular steps: "event within 90 days" labels and their purge.

With ``DataConfig.horizon_time`` a window ending at time ``t`` is labelled from
the rows of its entity with time in ``(t, t + horizon_time]``, however many rows
that is. Its label is unknown (censored) when the entity's rows end before
``t + horizon_time`` without an event. A time split's purge drops the training
windows whose label would read a held-out row.

Times are plain float arrays of the sorted rows (sorted by entity, then time):
seconds for a date/time column, so whole-second boundaries compare exactly, or
the column's own numbers. The functions take arrays only, so
:mod:`core.examples.sequences` can call them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.time_units import (
    AUTO_UNIT,
    UNIT_SECONDS,
    resolve_time_unit,
    time_numbers,
    unit_label,
)


def uses_time_unit(data: DataConfig) -> bool:
    """Whether time inputs or a horizon in time count in ``data.time_unit``."""
    return data.time_deltas or data.time_as_input or data.horizon_time is not None


def training_time_unit(
    train_rows: pd.DataFrame, entity_of_row: np.ndarray, data: DataConfig
) -> str | None:
    """The resolved time unit (read from the training rows alone when ``"auto"``).

    ``None`` when nothing counts in it; ``"auto"`` for a numeric time column.

    Raises
    ------
    DataValidationError
        If a unit is set for a numeric time column, or a time is unreadable.
    """
    if not uses_time_unit(data):
        return None
    column = str(data.time_column)
    return resolve_time_unit(train_rows[column], column, data.time_unit, entity_of_row)


def unit_seconds(unit: str) -> float:
    """Seconds in one ``unit``; 1 for a numeric column's own units (``"auto"``)."""
    return 1.0 if unit == AUTO_UNIT else UNIT_SECONDS[unit]


@dataclass(frozen=True)
class TimeHorizon:
    """The time of every sorted row and a horizon, in one scale.

    Attributes
    ----------
    times : numpy.ndarray of float64
        Seconds since the epoch for date/times, else the column's numbers.
    horizon : float
        ``DataConfig.horizon_time`` in the same scale.
    """

    times: np.ndarray
    horizon: float


def time_horizon(frame: pd.DataFrame, config: DataConfig, unit: str) -> TimeHorizon:
    """Times of the sorted rows and ``horizon_time`` in the same scale.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows sorted by entity and time.
    config : DataConfig
        With a ``horizon_time``.
    unit : str
        The resolved time unit (``"auto"`` for a numeric column).

    Returns
    -------
    TimeHorizon
        Seconds for date/times (whole-second boundaries compare exactly),
        else the column's own numbers.
    """
    column = str(config.time_column)
    scale = "seconds" if unit != AUTO_UNIT else AUTO_UNIT
    times = time_numbers(frame[column], column, scale)
    return TimeHorizon(times, float(config.horizon_time) * unit_seconds(unit))


def rows_through(
    times: np.ndarray,
    entity_of_row: np.ndarray,
    query_entity: np.ndarray,
    query_times: np.ndarray,
    inclusive: bool = True,
) -> np.ndarray:
    """For each query, the last row of its entity with time <= (or <) its time.

    Rows must be sorted by entity position, then time. Where no row of the
    entity qualifies, the result is the row before the entity's first.

    >>> times = np.array([0.0, 2.0, 5.0, 1.0, 4.0])
    >>> entity = np.array([0, 0, 0, 1, 1])
    >>> rows_through(times, entity, np.array([0, 0, 1]), np.array([2.0, 4.9, 0.5]))
    array([1, 1, 2])
    >>> rows_through(times, entity, np.array([0]), np.array([2.0]), inclusive=False)
    array([0])
    """
    count = len(times)
    entity = np.concatenate([entity_of_row, query_entity])
    value = np.concatenate([times, query_times])
    # At an equal time a row sorts before an inclusive query, after a strict one.
    kind = np.concatenate(
        [np.zeros(count), np.full(len(query_times), 1.0 if inclusive else -1.0)]
    )
    order = np.lexsort((kind, value, entity))
    is_row = order < count
    rows_before = np.cumsum(is_row) - is_row
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return (rows_before[position[count:]] - 1).astype(np.int64)


def time_horizon_labels(
    target: np.ndarray,
    times: np.ndarray,
    entity_of_row: np.ndarray,
    entity_last: np.ndarray,
    end_rows: np.ndarray,
    horizon: float,
) -> np.ndarray:
    """1 when the event occurs in ``(t, t + horizon]``, 0 when the entity is
    observed that long without one, NaN (censored) otherwise.

    Parameters
    ----------
    target : numpy.ndarray
        Encoded binary target of every sorted row (NaN counts as no event).
    times : numpy.ndarray
        Time of every sorted row, in the scale of ``horizon``.
    entity_of_row : numpy.ndarray
        Entity position of every sorted row.
    entity_last : numpy.ndarray
        Last row of each window's entity.
    end_rows : numpy.ndarray
        Last row of each window.
    horizon : float
        How far after the window's end events count.

    Examples
    --------
    >>> times = np.array([0.0, 10.0, 40.0, 100.0])
    >>> target = np.array([0.0, 0.0, 1.0, 0.0])
    >>> entity, last = np.zeros(4, int), np.full(3, 3)
    >>> time_horizon_labels(target, times, entity, last, np.array([0, 2, 3]), 40.0)
    array([ 1.,  0., nan])
    """
    positive = np.nan_to_num(target, nan=0.0) >= 0.5
    cumulative = np.concatenate([[0], np.cumsum(positive)])
    entity = entity_of_row[end_rows]
    start = times[end_rows]
    # Rows after the end row at the very same time are not "after t".
    after = rows_through(times, entity_of_row, entity, start)
    through = rows_through(times, entity_of_row, entity, start + horizon)
    events = cumulative[through + 1] - cumulative[after + 1]
    observed = times[entity_last] >= start + horizon
    return np.where(events > 0, 1.0, np.where(observed, 0.0, np.nan))


def time_purged_last(
    times: np.ndarray,
    entity_of_row: np.ndarray,
    last: np.ndarray,
    entity_last: np.ndarray,
    horizon: float,
) -> np.ndarray:
    """Each part's last row usable as a window end when labels look ``horizon`` ahead.

    Where the entity goes on after the part, the next row (the first held-out
    one) has time ``T``; a window ending at time ``t`` reads rows up to
    ``t + horizon``, so it must end before ``T - horizon``. Where the part
    runs to the entity's end, nothing is held out after it.

    >>> times = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    >>> time_purged_last(times, np.zeros(5, int), np.array([3]), np.array([4]), 15.0)
    array([2])
    """
    continuing = last < entity_last
    following = np.minimum(last + 1, len(times) - 1)
    cutoff = times[following] - horizon
    usable = rows_through(
        times, entity_of_row, entity_of_row[last], cutoff, inclusive=False
    )
    return np.where(continuing, np.minimum(usable, last), last)


def time_unit_note(config: DataConfig, unit: str) -> str:
    """Which unit the time inputs and ``horizon_time`` are counted in, for the log."""
    uses = []
    if config.time_deltas or config.time_as_input:
        uses.append("time inputs")
    if config.horizon_time is not None:
        uses.append(f"horizon_time {config.horizon_time:g}")
    how = ""
    if unit != AUTO_UNIT and config.time_unit == AUTO_UNIT:
        how = (
            " (read from the typical step of the training rows; set "
            "data.time_unit to choose)"
        )
    return f"{' and '.join(uses)} in {unit_label(unit)}{how}"


def censored_note(part: str, count: int, config: DataConfig, unit: str) -> str:
    """Note on the windows of ``part`` dropped because their label is censored."""
    return (
        f"{count} {part} window(s) dropped as censored: the entity's rows end "
        f"before t + horizon_time ({config.horizon_time:g} {unit_label(unit)}) "
        "without an event, so the label is unknown"
    )


def censored_prediction_notes(censored: int, data: DataConfig) -> list[str]:
    """Say how many windows of a new file cannot be scored: their label is censored."""
    if not censored:
        return []
    return [
        f"{censored} window(s) censored: the entity's rows end before t + "
        f"horizon_time ({data.horizon_time:g} {unit_label(data.time_unit)}) "
        "without an event; they are predicted but left out of the metrics"
    ]
