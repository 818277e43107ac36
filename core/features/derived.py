"""Derived inputs: the target's own past, entity age and causal smoothing.

These features are computed from the rows sorted by entity and time, the same
way for training and for new files, and none of them looks at a later step:

- the target's past values (``DataConfig.target_as_input``) become a feature
  column ``<target>__past``: numeric for regression, categorical (its own
  vocabulary and embedding) otherwise. The label lies ``horizon`` steps after
  the window's last step, so it is never among the inputs;
- ``entity_age`` counts the steps since the entity's first row in the table;
- ``smoothing_alpha`` replaces each numeric column by its exponentially
  weighted mean over the entity's past and present steps (``adjust=False``);
- ``time_deltas`` and ``time_as_input`` add the time since the entity's
  previous and first rows, and the time itself, as numeric columns
  (:mod:`core.features.time_inputs`);
- ``time_features`` derive calendar parts of a date/time time column (hour of
  the day, day of the week, month) as categorical columns ``<time>__<part>``;
- ``known_future`` columns are known in advance, so a forecast may see them at
  the predicted steps: ``<column>__ahead<h>`` holds the column's value ``h``
  rows later in the same entity, for each predicted step ``h`` (a calendar
  part past the entity's last row is read from the time extrapolated by the
  typical step; another column is missing there, imputed and flagged). These
  are the only inputs that look past the window's end, and only at columns
  the user declared known in advance.

:func:`input_config` turns the user's :class:`~core.config.DataConfig` into the
one the preprocessor is fitted with: the derived columns become ordinary
feature columns, so the model, the batches and the gradient-boosting arm see
them without knowing where they came from.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from core.config import ColumnSpec, DataConfig
from core.data.columns import require_columns
from core.data.values import parse_numbers, parse_time_utc
from core.errors import ConfigError, DataValidationError
from core.features.numeric import to_numeric_values
from core.features.time_inputs import time_input_columns, time_inputs

#: Suffix of the feature column holding the target's past values.
TARGET_INPUT_SUFFIX = "__past"
#: Name of the entity-age feature column.
AGE_COLUMN = "entity_age"
#: Between a known-future column's name and the step of its value ahead.
AHEAD_INFIX = "__ahead"


def target_input_name(config: DataConfig) -> str:
    """Name of the feature column holding the target's past values."""
    return f"{config.target_column}{TARGET_INPUT_SUFFIX}"


def calendar_name(config: DataConfig, part: str) -> str:
    """Name of the derived calendar column ``part`` (``hour``, ``day_of_week``...)."""
    return f"{config.time_column}__{part}"


def known_future_source(config: DataConfig, name: str) -> str:
    """The column a known-future name refers to (a calendar part's derived one)."""
    if name in config.feature_columns:
        return name
    return calendar_name(config, name)


def ahead_steps(config: DataConfig) -> tuple[int, ...]:
    """The predicted steps known-future columns are fed for."""
    if not config.known_future or config.horizon is None:
        return ()
    if config.horizons is not None:
        return tuple(range(1, config.horizons + 1))
    return (config.horizon,)


def ahead_name(column: str, step: int) -> str:
    """Name of the column holding ``column``'s value ``step`` rows later."""
    return f"{column}{AHEAD_INFIX}{step}"


def _ahead_columns(config: DataConfig) -> list[tuple[str, str, int]]:
    """(derived name, source column, step) of every known-future input."""
    return [
        (ahead_name(known_future_source(config, name), step), name, step)
        for name in config.known_future
        for step in ahead_steps(config)
    ]


def derived_columns(config: DataConfig) -> tuple[str, ...]:
    """Names of the feature columns the config derives (none by default)."""
    names = []
    if config.target_as_input:
        names.append(target_input_name(config))
    if config.entity_age:
        names.append(AGE_COLUMN)
    names += time_input_columns(config)
    names += [calendar_name(config, part) for part in config.time_features]
    names += [name for name, _, _ in _ahead_columns(config)]
    return tuple(dict.fromkeys(names))


def input_config(config: DataConfig) -> DataConfig:
    """The data config the preprocessor is fitted with: derived columns added.

    Parameters
    ----------
    config : DataConfig
        The user's data settings.

    Returns
    -------
    DataConfig
        ``config`` itself when nothing is derived; otherwise a copy whose
        categorical or numeric columns end with the derived columns.

    Raises
    ------
    ConfigError
        If a feature column already carries a derived column's name.
    """
    derived = derived_columns(config)
    clash = sorted(set(derived).intersection(config.feature_columns))
    if clash:
        raise ConfigError(
            "data.numeric_columns",
            f"expected no feature column named {clash[0]!r} (reserved for a "
            f"derived input), received it among the features",
        )
    if not derived:
        return config
    categorical = list(config.categorical_columns)
    numeric = list(config.numeric_columns)
    if config.target_as_input:
        if config.task == "regression":
            numeric.append(target_input_name(config))
        else:
            categorical.append(ColumnSpec(target_input_name(config)))
    if config.entity_age:
        numeric.append(AGE_COLUMN)
    numeric += time_input_columns(config)
    present = {spec.name for spec in categorical} | set(numeric)
    for part in config.time_features:
        if calendar_name(config, part) not in present:
            categorical.append(ColumnSpec(calendar_name(config, part)))
    categorical_sources = {spec.name for spec in categorical}
    for name, source, _ in _ahead_columns(config):
        if name in present:
            continue
        if known_future_source(config, source) in categorical_sources:
            categorical.append(ColumnSpec(name))
        else:
            numeric.append(name)
    return dataclasses.replace(
        config, categorical_columns=tuple(categorical), numeric_columns=tuple(numeric)
    )


def smoothed_columns(config: DataConfig) -> tuple[str, ...]:
    """The user's numeric columns that smoothing applies to (none when off)."""
    if config.smoothing_alpha is None:
        return ()
    derived = set(derived_columns(config))
    return tuple(name for name in config.numeric_columns if name not in derived)


def causal_smoothing(
    values: np.ndarray, entity_of_row: np.ndarray, alpha: float
) -> np.ndarray:
    """Exponentially weighted mean per entity over past and present rows only.

    Missing values stay missing (imputation and its flag still see them) and
    are skipped by the running mean.

    Examples
    --------
    >>> causal_smoothing(np.array([0.0, 2.0, 9.0]), np.array([0, 0, 1]), 0.5)
    array([0., 1., 9.])
    """
    series = pd.Series(values, dtype=np.float64)
    running = series.groupby(entity_of_row, sort=False).ewm(
        alpha=alpha, adjust=False, ignore_na=True
    )
    smoothed = running.mean().droplevel(0).reindex(series.index).to_numpy()
    return np.where(np.isnan(values), np.nan, smoothed)


def _entity_positions(frame: pd.DataFrame, config: DataConfig) -> np.ndarray:
    """Entity number of every row of a frame sorted by entity and time."""
    if config.id_column is None:
        return np.zeros(len(frame), dtype=np.int64)
    ids = frame[config.id_column].to_numpy()
    change = np.ones(len(ids), dtype=bool)
    change[1:] = ids[1:] != ids[:-1]
    return np.cumsum(change) - 1


def _target_input(frame: pd.DataFrame, config: DataConfig) -> pd.Series:
    if config.target_column not in frame.columns:
        raise DataValidationError(
            config.target_column,
            "expected the target column in the data (its past values are an "
            "input of this model), received a table without it",
        )
    series = frame[config.target_column]
    if config.task == "regression":
        # Text that is not a number becomes missing: imputed and flagged.
        return pd.Series(parse_numbers(series).values, index=frame.index)
    return series


def derive_features(frame: pd.DataFrame, config: DataConfig) -> pd.DataFrame:
    """Add the derived columns and smooth numeric columns, causally per entity.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows sorted by entity and time (:func:`core.examples.sequences.order_rows`).
    config : DataConfig
        The user's config or the preprocessor's :func:`input_config`.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing is derived, else a copy.

    Raises
    ------
    DataValidationError
        If the target is an input but missing from ``frame``, or a smoothed
        column is missing or holds text that is not a number.
    """
    smoothed = smoothed_columns(config)
    if not derived_columns(config) and not smoothed:
        return frame
    require_columns(frame, smoothed)
    entity = _entity_positions(frame, config)
    changes: dict[str, object] = {}
    for column in smoothed:
        values = to_numeric_values(frame[column], column)
        changes[column] = causal_smoothing(values, entity, config.smoothing_alpha)
    if config.target_as_input:
        changes[target_input_name(config)] = _target_input(frame, config)
    if config.entity_age:
        starts = np.flatnonzero(np.append(True, entity[1:] != entity[:-1]))
        lengths = np.diff(np.append(starts, len(entity)))
        age = np.arange(len(entity)) - np.repeat(starts, lengths)
        changes[AGE_COLUMN] = age.astype(np.float64)
    changes.update(time_inputs(frame, config, entity))
    frame = frame.assign(**changes)
    if config.time_features or config.known_future:
        frame = frame.assign(**_calendar_and_ahead(frame, config, entity))
    return frame


def calendar_parts(times: pd.Series, part: str) -> np.ndarray:
    """A calendar part of date/times: hour 0-23, day of week 0 (Monday)-6, month 1-12.

    Missing times give NaN.
    """
    values = {
        "hour": times.dt.hour,
        "day_of_week": times.dt.day_of_week,
        "month": times.dt.month,
    }[part]
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _datetimes(frame: pd.DataFrame, config: DataConfig) -> pd.Series:
    """The time column as date/times (tz-naive UTC).

    Raises
    ------
    DataValidationError
        If the time column holds plain numbers rather than dates/times.
    """
    parsed = parse_time_utc(frame[config.time_column].rename(config.time_column))
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        raise DataValidationError(
            config.time_column,
            "expected dates/times to derive calendar features from, received "
            "plain numbers",
        )
    return parsed.reset_index(drop=True)


def _shift_ahead(values: np.ndarray, entity: np.ndarray, step: int) -> np.ndarray:
    """Each row's ``values`` ``step`` rows later in its entity (NaN past its end)."""
    shifted = np.full(len(values), np.nan)
    if step < len(values):
        same = entity[step:] == entity[:-step]
        later = values[step:].astype(np.float64)
        shifted[:-step] = np.where(same, later, np.nan)
    return shifted


def _calendar_and_ahead(
    frame: pd.DataFrame, config: DataConfig, entity: np.ndarray
) -> dict[str, object]:
    """Calendar columns and the known-future columns' values ahead."""
    changes: dict[str, object] = {}
    times = None
    if config.time_features:
        times = _datetimes(frame, config)
        for part in config.time_features:
            changes[calendar_name(config, part)] = calendar_parts(times, part)
    for name, source, step in _ahead_columns(config):
        if source in config.time_features and source not in config.feature_columns:
            changes[name] = _calendar_ahead(times, entity, source, step)
            continue
        require_columns(frame, (source,))
        column = frame[source]
        if pd.api.types.is_numeric_dtype(column):
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            changes[name] = _shift_ahead(values, entity, step)
        else:
            # Categories: shift their positions, keep the values themselves.
            positions = _shift_ahead(np.arange(len(column)), entity, step)
            later = column.to_numpy(dtype=object)[
                np.nan_to_num(positions, nan=0).astype(np.int64)
            ]
            changes[name] = np.where(np.isnan(positions), None, later)
    return changes


def _calendar_ahead(
    times: pd.Series, entity: np.ndarray, part: str, step: int
) -> np.ndarray:
    """A calendar part ``step`` rows later; extrapolated by the typical step past
    the entity's last row (a calendar is known however far ahead)."""
    stamps = times.to_numpy().astype("datetime64[ns]").astype(np.int64)
    numbers = stamps.astype(np.float64)
    ahead = _shift_ahead(numbers, entity, step)
    forward = np.diff(numbers)
    forward = forward[forward > 0]
    typical = float(np.median(forward)) if len(forward) else 0.0
    missing = np.isnan(ahead)
    ahead[missing] = numbers[missing] + step * typical
    later = pd.Series(pd.to_datetime(np.rint(ahead).astype(np.int64), unit="ns"))
    return calendar_parts(later, part)
