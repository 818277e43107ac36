"""The metric registry: one table, read the same way by reports, views and analyses."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import TASKS
from core.errors import ConfigError
from core.model.metric_registry import (
    METRICS,
    Direction,
    headline_metric,
    lower_is_better,
    metric_info,
    metric_label,
    reported_metrics,
    summary_metrics,
)
from core.model.metrics import compute_metrics, ordered_metrics

#: What each task's predictions look like, for a real report.
PREDICTIONS = {
    "binary": ([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4]),
    "multiclass": ([0, 1, 2, 1], np.eye(3)[[0, 1, 2, 0]] * 0.8 + 0.2 / 3),
    "regression": ([1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 2.5, 4.5]),
}


@pytest.mark.parametrize("task", TASKS)
def test_reports_carry_exactly_the_registered_metrics(task):
    truth, predictions = PREDICTIONS[task]
    report = compute_metrics(task, truth, predictions)
    assert set(report) == {*reported_metrics(task), "n"}
    empty = compute_metrics(task, [], np.empty((0, 3)) if task == "multiclass" else [])
    assert list(empty) == [*reported_metrics(task), "n"]


def test_each_task_keeps_its_headline_summary_and_reading_order():
    assert {task: headline_metric(task) for task in TASKS} == {
        "binary": "roc_auc",
        "multiclass": "macro_f1",
        "regression": "rmse",
    }
    assert {task: summary_metrics(task) for task in TASKS} == {
        "binary": ("accuracy", "roc_auc", "pr_auc", "f1"),
        "multiclass": ("accuracy", "macro_f1"),
        "regression": ("rmse", "mae", "r2"),
    }
    assert reported_metrics("binary") == (
        "accuracy", "roc_auc", "pr_auc", "f1", "precision", "recall", "log_loss",
        "confusion_matrix", "positive_rate",
    )  # fmt: skip
    assert reported_metrics("multiclass") == (
        "accuracy", "macro_f1", "f1", "log_loss", "confusion_matrix",
    )  # fmt: skip
    read_back = dict.fromkeys(sorted(reported_metrics("binary")), 0.5)
    assert list(ordered_metrics(read_back, "binary")) == [
        name for name in reported_metrics("binary") if name != "confusion_matrix"
    ]


@pytest.mark.parametrize("task", TASKS)
def test_summaries_and_headlines_are_metrics_the_task_reports(task):
    assert set(summary_metrics(task)) <= set(reported_metrics(task))
    assert headline_metric(task) in summary_metrics(task)
    assert sum(1 for metric in METRICS if metric.headline_of == task) == 1


def test_directions_match_the_old_lower_is_better_set():
    lower = {metric.name for metric in METRICS if lower_is_better(metric.name)}
    assert lower == {"rmse", "mae", "smape", "log_loss", "phm08_score"}
    assert not lower_is_better("a_metric_nobody_registered")
    assert metric_info("confusion_matrix").direction is Direction.NONE
    assert metric_info("nope") is None


def test_names_are_unique_and_labels_fall_back_to_the_name():
    names = [metric.name for metric in METRICS]
    assert len(names) == len(set(names))
    assert metric_label("roc_auc") == "ROC AUC"
    assert metric_label("custom_score") == "custom_score"


@pytest.mark.parametrize(
    "reader",
    [reported_metrics, summary_metrics, headline_metric],
    ids=lambda reader: reader.__name__,
)
def test_unknown_tasks_are_config_errors(reader):
    with pytest.raises(ConfigError, match="data.task"):
        reader("ranking")
