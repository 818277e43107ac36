"""Time inputs for irregular steps: time since the previous row, since the first,
and the time itself.

Rows of clinical visits, transactions or inspections come at irregular times,
so "the previous step" may be a day or a year ago. ``DataConfig.time_deltas``
gives the model ``<time>__since_previous`` (0 on an entity's first row) and
``<time>__since_first``; ``DataConfig.time_as_input`` gives it
``<time>__value``, the time itself. All are counted in the resolved
``DataConfig.time_unit`` (:mod:`core.data.time_units`) from the row itself and
the rows before it in its entity, so they are the same for training and for a
new file, and a later row never changes an earlier value. The time itself is
counted from an origin the fitted preprocessor keeps (the earliest training
time), so a timestamp never enters the model as 1.7e9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.time_units import time_numbers

SINCE_PREVIOUS_SUFFIX = "__since_previous"
SINCE_FIRST_SUFFIX = "__since_first"
TIME_VALUE_SUFFIX = "__value"


def since_previous_name(config: DataConfig) -> str:
    """Name of the "time since the entity's previous row" input."""
    return f"{config.time_column}{SINCE_PREVIOUS_SUFFIX}"


def since_first_name(config: DataConfig) -> str:
    """Name of the "time since the entity's first row" input."""
    return f"{config.time_column}{SINCE_FIRST_SUFFIX}"


def time_value_name(config: DataConfig) -> str:
    """Name of the input holding the time itself."""
    return f"{config.time_column}{TIME_VALUE_SUFFIX}"


def time_input_columns(config: DataConfig) -> tuple[str, ...]:
    """The time inputs the config asks for, in feature order."""
    names: list[str] = []
    if config.time_deltas:
        names += [since_previous_name(config), since_first_name(config)]
    if config.time_as_input:
        names.append(time_value_name(config))
    return tuple(names)


def time_inputs(
    frame: pd.DataFrame, config: DataConfig, entity: np.ndarray
) -> dict[str, np.ndarray]:
    """The time input columns of rows sorted by entity and time.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows sorted by entity and time.
    config : DataConfig
        With ``time_deltas`` or ``time_as_input``; its ``time_unit`` resolved
        (``"auto"`` on a date/time column is read from these rows).
    entity : numpy.ndarray
        Entity position of every row.

    Returns
    -------
    dict of str to numpy.ndarray
        Float64 values per derived column name.

    Raises
    ------
    DataValidationError
        If the time column is missing, holds a value that is not a time, or a
        unit is set for plain numbers.

    Examples
    --------
    >>> from core.config import DataConfig
    >>> data = DataConfig(target_column="y", time_column="day",
    ...                   numeric_columns=("x",), time_deltas=True)
    >>> frame = pd.DataFrame({"day": [0, 3, 10, 2, 2]})
    >>> columns = time_inputs(frame, data, np.array([0, 0, 0, 1, 1]))
    >>> columns["day__since_previous"].tolist(), columns["day__since_first"].tolist()
    ([0.0, 3.0, 7.0, 0.0, 0.0], [0.0, 3.0, 10.0, 0.0, 0.0])
    """
    names = time_input_columns(config)
    if not names:
        return {}
    column = str(config.time_column)
    times = time_numbers(frame[column], column, config.time_unit, entity)
    first_row = np.ones(len(entity), dtype=bool)
    first_row[1:] = entity[1:] != entity[:-1]
    starts = np.flatnonzero(first_row)
    lengths = np.diff(np.append(starts, len(entity)))
    columns: dict[str, np.ndarray] = {}
    if config.time_deltas:
        previous = np.roll(times, 1)
        columns[since_previous_name(config)] = np.where(
            first_row, 0.0, times - previous
        )
        columns[since_first_name(config)] = times - np.repeat(times[starts], lengths)
    if config.time_as_input:
        columns[time_value_name(config)] = times
    return columns
