"""Each entity's own starting level, subtracted from its numeric features.

Entities of one kind start at different levels: two new engines read
differently from the day they are installed, and that offset says nothing
about their wear. With ``DataConfig.entity_baseline = N`` every scaled numeric
column of the user's has its entity's baseline subtracted: the mean of the
entity's first ``N`` rows, or of its rows so far while it has fewer, so no row
looks at a later one. The baseline is taken after scaling, so with
``normalize_by`` it is the level per operating condition's scale, and derived
inputs (age, time, the target's past) and missing indicators are left as they
are. The changes are then divided by their spread on the training rows (the
one fitted statistic, saved with the preprocessor), so they are on a unit
scale as the other inputs are. A new file gets the same features for the same
rows, provided it holds each entity from its first row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def entity_baselines(values: np.ndarray, entity: np.ndarray, rows: int) -> np.ndarray:
    """Per row, the mean of its entity's first ``rows`` rows up to itself.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, columns)
        Rows sorted by entity and time.
    entity : numpy.ndarray, shape (n,)
        Each row's entity.
    rows : int
        How many first rows of an entity make its baseline.

    Returns
    -------
    numpy.ndarray, shape (n, columns)
        The baselines, in ``values``' units.
    """
    codes = pd.factorize(entity)[0]
    position = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    counted = (position < rows).astype(np.float64)
    sums = pd.DataFrame(values * counted[:, None]).groupby(codes).cumsum().to_numpy()
    counts = pd.Series(counted).groupby(codes).cumsum().to_numpy()
    return sums / counts[:, None]


def subtract_entity_baselines(
    numeric: np.ndarray,
    entity: np.ndarray,
    positions: list[int],
    rows: int,
    spread: list[float] | None = None,
) -> np.ndarray:
    """``numeric`` with the columns at ``positions`` taken from their baselines.

    ``spread`` (one per position, from :func:`baseline_spread` on training
    rows) then divides them, so the changes are on a unit scale again.
    """
    if not positions or not len(numeric):
        return numeric
    shifted = numeric.copy()
    columns = numeric[:, positions].astype(np.float64)
    columns = columns - entity_baselines(columns, entity, rows)
    if spread is not None:
        columns = columns / np.asarray(spread, dtype=np.float64)
    shifted[:, positions] = columns
    return shifted


def baseline_spread(
    numeric: np.ndarray, entity: np.ndarray, positions: list[int], rows: int
) -> list[float]:
    """Standard deviation of each column's change from its baseline (training rows).

    Taking away an entity's offset takes away much of a column's spread (an
    engine's sensors vary more between engines than over its life), so the
    changes are rescaled to a unit spread; a column that does not change
    keeps scale 1.
    """
    shifted = subtract_entity_baselines(numeric, entity, positions, rows)
    spread = shifted[:, positions].astype(np.float64).std(axis=0)
    return [float(value) if value > _TINY else 1.0 for value in spread]


#: Spreads below this are treated as none (a column that never changes).
_TINY = 1e-9
