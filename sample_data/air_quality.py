"""A small air-quality table shaped like the Beijing multi-site data.

Hourly rows per station with the time spread over separate ``year``, ``month``,
``day`` and ``hour`` columns, a wind-direction category, and a ``PM2.5`` target
that follows the previous hours. Built from a seeded RNG, never at import time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WIND = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def make_air_quality_table(
    stations: int = 4, hours: int = 240, seed: int = 0
) -> pd.DataFrame:
    """Columns ``No, year, month, day, hour, PM2.5, TEMP, wd, WSPM, station``."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2013-03-01", periods=hours, freq="h")
    frames = []
    for position in range(stations):
        wind = rng.integers(0, len(WIND), hours)
        level = np.empty(hours)
        level[0] = 50.0
        for step in range(1, hours):
            push = 8.0 if WIND[wind[step]] in ("S", "SW") else -4.0
            level[step] = max(2.0, 0.9 * level[step - 1] + 5.0 + push)
        frames.append(
            pd.DataFrame(
                {
                    "No": np.arange(1, hours + 1),
                    "year": stamps.year,
                    "month": stamps.month,
                    "day": stamps.day,
                    "hour": stamps.hour,
                    "PM2.5": np.round(level + rng.normal(0, 2, hours), 1),
                    "TEMP": np.round(10 + 5 * np.sin(np.arange(hours) / 4), 1),
                    "wd": [WIND[i] for i in wind],
                    "WSPM": np.round(rng.gamma(2.0, 1.0, hours), 1),
                    "station": f"Station{position + 1}",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
