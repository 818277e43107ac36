"""A run's model on a new table, read against that run.

Two things the bare predictions do not say (issue 23 items 6 and 7): binary
decisions and their metrics must use the threshold the user chose for the run,
not 0.5; and rows of entities the run trained on score better than new ones,
so their share is counted and the metrics of the other entities come apart.
Pure functions of prediction tables (:func:`core.model.evaluation.prediction_table`)
and the run's stored table; no Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig
from core.examples.prepare import plan_experiment
from core.examples.sequences import TRAIN
from core.model.metrics import compute_metrics, metrics_at_threshold

#: The prediction table's column saying whether the row's entity was trained on.
IN_TRAINING = "in_training"


@dataclass(frozen=True)
class NewDataReport:
    """Predictions on a new table with decisions, metrics and training overlap.

    Attributes
    ----------
    table : pandas.DataFrame
        The predictions; binary ``predicted`` taken at ``threshold``; an
        ``in_training`` column when the training entities are known.
    metrics : dict or None
        On every labelled example (``None`` without labels).
    unseen_metrics : dict or None
        On the labelled examples of entities outside the training split;
        ``None`` when the training entities are unknown or there are none.
    entities : int
        Distinct entities in the table.
    overlapping : int or None
        Of those, how many the run trained on (``None``: unknown).
    threshold : float or None
        The binary decision threshold used (``None`` for other tasks).
    """

    table: pd.DataFrame
    metrics: dict[str, Any] | None
    unseen_metrics: dict[str, Any] | None
    entities: int
    overlapping: int | None
    threshold: float | None


def training_entities(frame: pd.DataFrame, config: ExperimentConfig) -> frozenset[str]:
    """Entities with at least one row in a run's training part, as text.

    The run's own split, recomputed from its stored table: the same ordering
    and seeded split the run used. Ids are compared as text because a CSV
    and the stored Parquet may type them differently (``7`` and ``"7"``).

    Examples
    --------
    >>> from core.config import DataConfig, ExperimentConfig, SplitConfig
    >>> table = pd.DataFrame(
    ...     {"id": [1, 1, 2, 2, 3], "t": [0, 1, 0, 1, 0], "x": 1.0, "y": 0.0}
    ... )
    >>> data = DataConfig(target_column="y", id_column="id", time_column="t",
    ...                   numeric_columns=("x",))
    >>> split = SplitConfig(validation_fraction=0.0, test_fraction=0.0)
    >>> sorted(training_entities(table, ExperimentConfig(data=data, split=split)))
    ['1', '2', '3']
    """
    plan = plan_experiment(frame, config, memory_limit_bytes=None)
    ids = np.repeat(plan.layout.ids, plan.layout.lengths)
    return frozenset(str(value) for value in pd.unique(ids[plan.row_parts == TRAIN]))


def table_metrics(
    table: pd.DataFrame,
    data: DataConfig,
    classes: list[str] | None,
    threshold: float | None = None,
) -> dict[str, Any] | None:
    """Task metrics of a prediction table's labelled rows (``None`` without any).

    Binary decision metrics use ``threshold`` (0.5 when ``None``); regression
    truth is capped at the config's ``target_cap`` as in training.
    """
    if "actual" not in table.columns:
        return None
    labelled = table[table["actual"].notna()]
    if labelled.empty:
        return None
    actual = labelled["actual"]
    if data.task == "regression":
        truth = actual.to_numpy(dtype=np.float64)
        if data.target_cap is not None:
            truth = np.minimum(truth, data.target_cap)
        return compute_metrics("regression", truth, labelled["predicted"])
    names = [str(label) for label in classes or []]
    truth = actual.astype(str).map({name: i for i, name in enumerate(names)})
    # A class the model never saw cannot be scored against its classes.
    labelled, truth = labelled[truth.notna()], truth[truth.notna()].astype(int)
    if labelled.empty:
        return None
    if data.task == "binary":
        scores = labelled["probability"].to_numpy(dtype=np.float64)
        metrics = compute_metrics("binary", truth, scores)
        if threshold is not None:
            metrics.update(metrics_at_threshold(truth, scores, threshold))
        return metrics
    columns = [f"probability_{name}" for name in names]
    return compute_metrics("multiclass", truth, labelled[columns])


def report_new_data(
    table: pd.DataFrame,
    data: DataConfig,
    classes: list[str] | None,
    threshold: float | None = None,
    trained_on: frozenset[str] | None = None,
) -> NewDataReport:
    """Decisions at ``threshold``, metrics, and the overlap with ``trained_on``.

    Parameters
    ----------
    table : pandas.DataFrame
        Predictions on the new table (``PredictionResult.table``).
    data : DataConfig
        The model's data config (task, id column, target cap).
    classes : list of str or None
        The target encoder's classes (binary, multiclass).
    threshold : float or None
        Binary decision threshold; ``None`` keeps 0.5.
    trained_on : frozenset of str or None
        :func:`training_entities` of the run; ``None`` when unknown (an
        uploaded bundle) or when the data has no entity column.

    Returns
    -------
    NewDataReport
    """
    binary = data.task == "binary"
    cutoff = (0.5 if threshold is None else float(threshold)) if binary else None
    table = table.copy()
    if binary and classes:
        positive = table["probability"].to_numpy() >= cutoff
        table["predicted"] = [classes[int(p)] for p in positive]
    id_column = data.id_column or "entity"
    ids = table[id_column].astype(str) if id_column in table.columns else None
    entities = 0 if ids is None else int(ids.nunique())
    overlapping = unseen_metrics = None
    if trained_on is not None and ids is not None and data.id_column is not None:
        seen = ids.isin(trained_on).to_numpy()
        table[IN_TRAINING] = seen
        overlapping = int(ids[seen].nunique())
        if not seen.all():
            unseen_metrics = table_metrics(table[~seen], data, classes, cutoff)
    return NewDataReport(
        table,
        table_metrics(table, data, classes, cutoff),
        unseen_metrics,
        entities,
        overlapping,
        cutoff,
    )
