"""Derived inputs: the target's own past, entity age and causal smoothing.

These features are computed from the rows sorted by entity and time, the same
way for training and for new files, and none of them looks at a later step:

- the target's past values (``DataConfig.target_as_input``) become a feature
  column ``<target>__past``: numeric for regression, categorical (its own
  vocabulary and embedding) otherwise. The label lies ``horizon`` steps after
  the window's last step, so it is never among the inputs;
- ``entity_age`` counts the steps since the entity's first row in the table;
- ``smoothing_alpha`` replaces each numeric column by its exponentially
  weighted mean over the entity's past and present steps (``adjust=False``).

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
from core.data.values import parse_numbers
from core.errors import ConfigError, DataValidationError
from core.features.numeric import to_numeric_values

#: Suffix of the feature column holding the target's past values.
TARGET_INPUT_SUFFIX = "__past"
#: Name of the entity-age feature column.
AGE_COLUMN = "entity_age"


def target_input_name(config: DataConfig) -> str:
    """Name of the feature column holding the target's past values."""
    return f"{config.target_column}{TARGET_INPUT_SUFFIX}"


def derived_columns(config: DataConfig) -> tuple[str, ...]:
    """Names of the feature columns the config derives (none by default)."""
    names = []
    if config.target_as_input:
        names.append(target_input_name(config))
    if config.entity_age:
        names.append(AGE_COLUMN)
    return tuple(names)


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
    return frame.assign(**changes)
