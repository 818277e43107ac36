"""The value audit per part of the split: which rows each count comes from.

The vocabulary is built from the training rows only, so a count over the whole
table hides the values that only the validation or test rows hold (the model
reads those as unknown). :func:`audit_by_part` counts each value per part, with
the status and index training will give it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.values import natural_order
from core.examples.prepare import ExperimentPlan
from core.examples.sequences import PART_NAMES
from core.features.vocabulary import (
    FIRST_CATEGORY_INDEX,
    MISSING_KEY,
    UNKNOWN_INDEX,
    build_vocabulary,
    category_keys,
)


def _status(key: str, train_rows: int, index: dict[str, int]) -> str:
    """What training makes of one value, from its training rows and the vocabulary."""
    if not train_rows:
        return "never seen in training"
    if key not in index:
        return "rare"
    return "missing" if key == MISSING_KEY else "category"


def audit_by_part(
    plan: ExperimentPlan,
    column: str,
    min_count: int = 1,
    max_categories: int | None = None,
) -> pd.DataFrame:
    """Where each value of a column goes, counted per part of the split.

    The vocabulary comes from the training rows only, as training builds it,
    so a value of the validation or test rows alone is ``never seen in
    training`` and gets the unknown index.

    Parameters
    ----------
    plan : ExperimentPlan
        The ordered, split rows.
    column : str
        A categorical column of ``plan.frame``.
    min_count, max_categories : int
        The vocabulary settings.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``train``, ``validation``, ``test`` (rows per part),
        ``status`` (``category``, ``missing``, ``rare`` or ``never seen in
        training``) and ``index``; training's most frequent values first, then
        the unseen ones.
    """
    codes, distinct = category_keys(plan.frame[column])
    keys = distinct[codes]
    table = pd.crosstab(keys, plan.row_parts).reindex(
        columns=range(len(PART_NAMES)), fill_value=0
    )
    table.columns = list(PART_NAMES)
    train = table["train"]
    vocabulary = build_vocabulary(
        {key: int(count) for key, count in train.items() if count},
        min_count,
        max_categories,
    )
    index = {key: FIRST_CATEGORY_INDEX + i for i, key in enumerate(vocabulary)}
    status = [_status(key, int(count), index) for key, count in train.items()]
    table = table.assign(
        status=status, index=[index.get(key, UNKNOWN_INDEX) for key in table.index]
    )
    table = table.rename_axis("value").reset_index()
    table["value"] = table["value"].astype(str)
    held = table["validation"] + table["test"]
    natural = {value: rank for rank, value in enumerate(natural_order(table["value"]))}
    ranks = table["value"].map(natural).to_numpy()
    order = np.lexsort((ranks, -held.to_numpy(), -table["train"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)
