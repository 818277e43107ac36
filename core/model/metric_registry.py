"""The metric registry: one table of what every reported metric means.

Each metric's name (its key in ``metrics.json`` and the CLI's JSON), its
display label, whether a larger or a smaller value is better, the tasks whose
reports carry it, the tasks whose run tables and metric pickers list it, and
the task it is the headline of. :mod:`core.model.metrics` reports in this
order; comparisons, sweeps, importance, run views and the pages read the rest.

Kept apart from :mod:`core.model.metrics` so that reading the table costs no
scikit-learn import (the run list and the command line read it at start-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.config import TASKS
from core.errors import ConfigError


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER = "higher"
    LOWER = "lower"
    #: Not a score (a confusion matrix, the share of positives).
    NONE = "none"


@dataclass(frozen=True)
class MetricInfo:
    """What one metric is and where it is shown.

    Parameters
    ----------
    name : str
        Key in metric reports (``metrics.json``, the CLI's JSON).
    label : str
        How prose and help texts name it.
    direction : Direction
        Whether a larger or a smaller value is better.
    tasks : tuple of str
        Tasks whose reports (:func:`core.model.metrics.compute_metrics`) carry it.
    summary_tasks : tuple of str
        Tasks whose run tables and metric pickers list it.
    headline_of : str or None
        The task whose default (headline) metric this is.
    """

    name: str
    label: str
    direction: Direction
    tasks: tuple[str, ...] = ()
    summary_tasks: tuple[str, ...] = ()
    headline_of: str | None = None


_BINARY = ("binary",)
_CLASSES = ("binary", "multiclass")
_MULTICLASS = ("multiclass",)
_REGRESSION = ("regression",)
_UP, _DOWN = Direction.HIGHER, Direction.LOWER

#: Every metric, in the order reports list them (each task's own order is this
#: order restricted to its metrics).
METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("accuracy", "accuracy", _UP, _CLASSES, _CLASSES),
    MetricInfo("roc_auc", "ROC AUC", _UP, _BINARY, _BINARY, "binary"),
    MetricInfo("pr_auc", "PR AUC", _UP, _BINARY, _BINARY),
    MetricInfo("macro_f1", "macro F1", _UP, _MULTICLASS, _MULTICLASS, "multiclass"),
    MetricInfo("f1", "F1", _UP, _CLASSES, _BINARY),
    MetricInfo("precision", "precision", _UP, _BINARY),
    MetricInfo("recall", "recall", _UP, _BINARY),
    MetricInfo("log_loss", "log loss", _DOWN, _CLASSES),
    MetricInfo("confusion_matrix", "confusion matrix", Direction.NONE, _CLASSES),
    MetricInfo("positive_rate", "positive rate", Direction.NONE, _BINARY),
    MetricInfo("rmse", "RMSE", _DOWN, _REGRESSION, _REGRESSION, "regression"),
    MetricInfo("mae", "MAE", _DOWN, _REGRESSION, _REGRESSION),
    MetricInfo("r2", "R²", _UP, _REGRESSION, _REGRESSION),
    # Forecasting peers (and the M4 / Kaggle demand benchmarks) report it.
    MetricInfo("smape", "sMAPE", _DOWN, _REGRESSION),
    # Not in reports, but benchmarks and comparisons of stored values use it.
    MetricInfo("phm08_score", "PHM08 score", _DOWN),
)
_BY_NAME = {metric.name: metric for metric in METRICS}


def _check_task(task: str) -> None:
    """Raise ConfigError unless ``task`` is a known task."""
    if task not in TASKS:
        raise ConfigError("data.task", f"expected one of {TASKS}, received {task!r}")


def metric_info(name: str) -> MetricInfo | None:
    """The registry's entry for ``name``, or ``None`` for a metric it does not know."""
    return _BY_NAME.get(name)


def reported_metrics(task: str) -> tuple[str, ...]:
    """Names a task's report carries, in reading order (``n`` aside).

    Raises
    ------
    ConfigError
        If ``task`` is unknown.

    Examples
    --------
    >>> reported_metrics("regression")
    ('rmse', 'mae', 'r2', 'smape')
    """
    _check_task(task)
    return tuple(metric.name for metric in METRICS if task in metric.tasks)


def summary_metrics(task: str) -> tuple[str, ...]:
    """Names a task's run tables and metric pickers list, in reading order.

    Raises
    ------
    ConfigError
        If ``task`` is unknown.

    Examples
    --------
    >>> summary_metrics("multiclass")
    ('accuracy', 'macro_f1')
    """
    _check_task(task)
    return tuple(metric.name for metric in METRICS if task in metric.summary_tasks)


def headline_metric(task: str) -> str:
    """The task's default metric: what run lists, comparisons and sweeps show first.

    Raises
    ------
    ConfigError
        If ``task`` is unknown.

    Examples
    --------
    >>> headline_metric("binary")
    'roc_auc'
    """
    _check_task(task)
    return next(metric.name for metric in METRICS if metric.headline_of == task)


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of ``name`` is better (unknown metrics: larger is).

    Examples
    --------
    >>> lower_is_better("rmse"), lower_is_better("roc_auc")
    (True, False)
    """
    metric = _BY_NAME.get(name)
    return metric is not None and metric.direction is Direction.LOWER


def metric_label(name: str) -> str:
    """The display label of ``name`` (the name itself when the registry lacks it)."""
    metric = _BY_NAME.get(name)
    return name if metric is None else metric.label
