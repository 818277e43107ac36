"""Feature columns that probably leak the answer.

A column that is constant within every entity and predicts the target across
entities almost perfectly was usually recorded after the outcome, or computed
from it: a follow-up time in a survival table (a patient who died early has a
short one), a machine's total lifetime beside its remaining useful life. The
model then learns the column instead of the sequence, and held-out metrics look
far better than any real use will be. :func:`find_likely_leaks` flags such
columns on the training rows, only where there are enough entities to tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.config import ExperimentConfig
from core.examples.prepare import ExperimentPlan
from core.examples.sequences import TRAIN
from core.features.numeric import to_numeric_values
from core.features.vocabulary import category_keys

#: Fewer training entities than this say too little about a per-entity column.
MIN_LEAK_ENTITIES = 10
#: Binary target: ROC AUC of the entity's value against its outcome, at least.
LEAK_AUC = 0.98
#: Regression target: |Spearman| with the entity's mean target, at least.
LEAK_SPEARMAN = 0.95
#: Multiclass target: accuracy of mapping each value to its entities' class.
LEAK_ACCURACY = 0.95


@dataclass(frozen=True)
class LikelyLeak:
    """A per-entity constant column that predicts the target almost perfectly.

    Attributes
    ----------
    column : str
        The feature column.
    entities : int
        Training entities the statistic was computed over.
    statistic : str
        ``"ROC AUC"`` (binary), ``"|Spearman|"`` (regression) or
        ``"accuracy"`` (multiclass).
    value : float
        The statistic.
    outcome : str
        What each entity's value was compared with.
    """

    column: str
    entities: int
    statistic: str
    value: float
    outcome: str


def _ranks(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank().to_numpy()


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC of ``score`` for the boolean ``positive`` (Mann-Whitney, ties half)."""
    ranks = _ranks(score)
    count = int(positive.sum())
    others = len(positive) - count
    return float((ranks[positive].sum() - count * (count + 1) / 2) / (count * others))


def _spearman(first: np.ndarray, second: np.ndarray) -> float:
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        return 0.0
    return float(np.corrcoef(_ranks(first), _ranks(second))[0, 1])


def _leave_one_out_means(codes: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Each entity's category scored by the mean outcome of the *other* entities in
    it, so a category held by one entity alone predicts nothing (overall mean)."""
    sums = np.bincount(codes, weights=outcome)
    counts = np.bincount(codes)
    others = counts[codes] - 1
    means = (sums[codes] - outcome) / np.maximum(others, 1)
    return np.where(others > 0, means, outcome.mean())


def _leave_one_out_accuracy(codes: np.ndarray, classes: np.ndarray) -> float:
    """Accuracy of predicting each entity's class by the most common class of the
    other entities with the same value (wrong when there are none)."""
    table = np.zeros((codes.max() + 1, classes.max() + 1))
    np.add.at(table, (codes, classes), 1)
    others = table[codes]
    others[np.arange(len(codes)), classes] -= 1
    correct = (others.sum(axis=1) > 0) & (others.argmax(axis=1) == classes)
    return float(correct.mean())


def _entity_constants(
    series: pd.Series, entity: np.ndarray, categorical: bool
) -> np.ndarray | None:
    """One value per entity (category codes, or numbers), or None if any varies."""
    if categorical:
        codes, keys = category_keys(series)
        # Keys can repeat (1 and "1"); one code per distinct key.
        values = pd.factorize(keys[codes])[0]
    else:
        values = to_numeric_values(series, str(series.name))
    per_entity = pd.Series(values).groupby(entity, sort=True)
    if (per_entity.nunique(dropna=False) > 1).any():
        return None
    return per_entity.first().to_numpy()


def _outcomes(target: np.ndarray, entity: np.ndarray, task: str) -> pd.Series:
    """Each entity's outcome: ever positive (binary), mean (regression) or its last
    class (multiclass); entities without a known label are dropped."""
    known = ~np.isnan(target)
    grouped = pd.Series(target[known]).groupby(entity[known], sort=True)
    if task == "binary":
        return grouped.max()
    if task == "regression":
        return grouped.mean()
    return grouped.last()


_OUTCOME_TEXT = {
    "binary": "whether the entity ever has a positive label",
    "regression": "the entity's mean target",
    "multiclass": "the entity's last class",
}


def _statistic(
    values: np.ndarray, outcome: np.ndarray, task: str, categorical: bool
) -> tuple[str, float] | None:
    """The predictive statistic of a per-entity value, or None if undefined."""
    known = ~pd.isna(values)
    values, outcome = values[known], outcome[known]
    if len(values) < MIN_LEAK_ENTITIES or len(np.unique(values)) < 2:
        return None
    if task == "multiclass":
        classes = outcome.astype(np.int64)
        if np.bincount(classes).max() >= LEAK_ACCURACY * len(classes):
            return None  # one class alone is that accurate
        codes = pd.factorize(values)[0]
        return "accuracy", _leave_one_out_accuracy(codes, classes)
    if categorical:
        # Scored by the others' outcomes, so it is never flipped below.
        score = _leave_one_out_means(pd.factorize(values)[0], outcome)
    else:
        score = values.astype(np.float64)
    if task == "binary":
        positive = outcome > 0.5
        if positive.all() or not positive.any():
            return None
        auc = _auc(score, positive)
        return "ROC AUC", (auc if categorical else max(auc, 1.0 - auc))
    rho = _spearman(score, outcome)
    return "|Spearman|", (rho if categorical else abs(rho))


_THRESHOLDS = {
    "ROC AUC": LEAK_AUC,
    "|Spearman|": LEAK_SPEARMAN,
    "accuracy": LEAK_ACCURACY,
}


def find_likely_leaks(
    plan: ExperimentPlan, config: ExperimentConfig, target: np.ndarray
) -> list[LikelyLeak]:
    """Feature columns constant per entity that predict the target almost perfectly.

    Computed on the training rows, one value per entity: the column's constant
    value against the entity's outcome (binary: whether it ever has a positive
    label, ROC AUC at least :data:`LEAK_AUC`; regression: its mean target,
    |Spearman| at least :data:`LEAK_SPEARMAN`; multiclass: its last class,
    accuracy at least :data:`LEAK_ACCURACY`). A categorical value is scored by
    the outcomes of the *other* entities holding it, so an identifier-like
    column unique per entity is never flagged.

    Parameters
    ----------
    plan : ExperimentPlan
        The ordered, split rows.
    config : ExperimentConfig
        The experiment (its entity column, features and task).
    target : numpy.ndarray
        Encoded target of every row of ``plan.frame`` (NaN where unknown).

    Returns
    -------
    list of LikelyLeak
        Empty without an entity column or with fewer than
        :data:`MIN_LEAK_ENTITIES` training entities.
    """
    data = config.data
    train = plan.row_parts == TRAIN
    entity = plan.layout.entity_of_rows()[train]
    if data.id_column is None:
        return []
    outcome = _outcomes(np.asarray(target, dtype=np.float64)[train], entity, data.task)
    if len(outcome) < MIN_LEAK_ENTITIES:
        return []
    categorical = set(data.categorical_names)
    leaks = [
        _leak(plan.frame[column][train], entity, outcome, data.task, categorical)
        for column in data.feature_columns
    ]
    return [leak for leak in leaks if leak is not None]


def _leak(
    series: pd.Series,
    entity: np.ndarray,
    outcome: pd.Series,
    task: str,
    categorical: set[str],
) -> LikelyLeak | None:
    """The finding for one feature column, or None when it is not a likely leak."""
    is_categorical = series.name in categorical
    values = _entity_constants(series, entity, is_categorical)
    if values is None:
        return None
    by_entity = pd.Series(values, index=np.unique(entity))[outcome.index]
    measured = _statistic(
        by_entity.to_numpy(), outcome.to_numpy(), task, is_categorical
    )
    if measured is None or measured[1] < _THRESHOLDS[measured[0]]:
        return None
    statistic, value = measured
    return LikelyLeak(
        str(series.name), len(outcome), statistic, value, _OUTCOME_TEXT[task]
    )


def likely_leak_text(leak: LikelyLeak, target_column: str) -> str:
    """One warning sentence for a :class:`LikelyLeak`, with what to do."""
    return (
        f"column {leak.column!r} is constant within every entity and predicts "
        f"{target_column!r} almost perfectly across the {leak.entities:,} training "
        f"entities ({leak.statistic} {leak.value:.2f} against {leak.outcome}): a "
        "likely leak, a value recorded after the outcome or computed from it (like "
        "a follow-up time in a survival table). Leave it out of the features "
        "unless it is known before the outcome; otherwise the held-out metrics "
        "will promise more than the model can deliver."
    )
