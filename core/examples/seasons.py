"""The season of a forecast: chosen by the user or read from the time step.

The seasonal naive baseline predicts the value one season before the target
time. Its season is a number of rows; :func:`detect_season` reads the usual one
from the typical step between rows (hourly rows: a day of 24, daily rows: a week
of 7, monthly rows: a year of 12), the way Darts and GluonTS pick a default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.values import parse_time

HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)

#: (shortest step, longest step, rows per season): a step within the bounds
#: gives that season.
SEASON_BY_STEP: tuple[tuple[pd.Timedelta, pd.Timedelta, int], ...] = (
    (HOUR, HOUR, 24),
    (DAY, DAY, 7),
    (7 * DAY, 7 * DAY, 52),
    (28 * DAY, 31 * DAY, 12),
    (89 * DAY, 92 * DAY, 4),
)


def typical_step(time_values: np.ndarray) -> pd.Timedelta | None:
    """The median positive step between consecutive date/time values.

    Parameters
    ----------
    time_values : numpy.ndarray
        Time of every row, sorted by entity and time (text or datetimes).

    Returns
    -------
    pandas.Timedelta or None
        ``None`` when the values are plain numbers (no unit to read), do not
        parse as dates or have no positive step.
    """
    parsed = parse_time(pd.Series(time_values))
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        return None
    steps = parsed.diff().dropna()
    # Entity boundaries step backwards (or not at all): only forward steps count.
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        return None
    return pd.Timedelta(steps.median())


def detect_season(time_values: np.ndarray | None) -> int | None:
    """Rows per season read from the typical time step, or ``None``.

    Examples
    --------
    >>> hours = pd.date_range("2024-01-01", periods=48, freq="h").astype(str)
    >>> detect_season(hours.to_numpy())
    24
    >>> detect_season(np.arange(10)) is None
    True
    """
    if time_values is None or len(time_values) < 2:
        return None
    step = typical_step(time_values)
    if step is None:
        return None
    for shortest, longest, season in SEASON_BY_STEP:
        if shortest <= step <= longest:
            return season
    return None


def forecast_season(config: DataConfig, time_values: np.ndarray | None) -> int | None:
    """The season the seasonal naive baseline uses: the user's, else detected.

    ``None`` outside forecasting (window framing with a horizon).
    """
    if config.framing != "window" or config.horizon is None:
        return None
    if config.season is not None:
        return config.season
    return detect_season(time_values)


def seasonal_offset(season: int, horizon: int) -> int:
    """Rows back from the window's end whose label is the seasonal naive forecast.

    The target ``horizon`` rows ahead is predicted by the value a whole number
    of seasons earlier, the nearest one already observed at the window's end:
    ``k * season`` rows before the target, ``k = ceil(horizon / season)``.

    Examples
    --------
    >>> seasonal_offset(24, 3), seasonal_offset(7, 7), seasonal_offset(7, 8)
    (24, 7, 14)
    """
    return -(-horizon // season) * season
