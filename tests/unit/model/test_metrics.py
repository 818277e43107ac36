"""Reported metrics: values, undefined cases, JSON safety, baselines and curves."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.errors import ConfigError, DataValidationError
from core.model.metrics import (
    MAX_CURVE_POINTS,
    baseline_name,
    baseline_predictions,
    best_f1_threshold,
    compute_metrics,
    curve_points,
    metrics_at_threshold,
    phm08_score,
)

BINARY_KEYS = {
    "accuracy",
    "roc_auc",
    "pr_auc",
    "f1",
    "precision",
    "recall",
    "log_loss",
    "confusion_matrix",
    "n",
    "positive_rate",
}
MULTICLASS_KEYS = {"accuracy", "macro_f1", "f1", "log_loss", "confusion_matrix", "n"}
REGRESSION_KEYS = {"rmse", "mae", "r2", "smape", "n"}


def _plain(value: object) -> bool:
    """True for values made only of None, bool, int, float, str and lists."""
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return value is None or type(value) in (bool, int, float, str)


def _random_case(task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if task == "binary":
        return rng.integers(0, 2, 40), rng.random(40).astype(np.float32)
    if task == "multiclass":
        return rng.integers(0, 3, 40), rng.dirichlet([1, 1, 1], 40).astype(np.float32)
    return rng.normal(size=40), rng.normal(size=40)


@pytest.mark.parametrize(
    ("task", "keys"),
    [
        ("binary", BINARY_KEYS),
        ("multiclass", MULTICLASS_KEYS),
        ("regression", REGRESSION_KEYS),
    ],
    ids=["binary", "multiclass", "regression"],
)
def test_metric_names_are_lower_case_and_values_plain(task, keys):
    metrics = compute_metrics(task, *_random_case(task))
    assert set(metrics) == keys
    assert all(name == name.lower() for name in metrics)
    assert all(_plain(value) for value in metrics.values())
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    assert metrics["n"] == 40


@pytest.mark.parametrize(
    "task", ["binary", "multiclass", "regression"], ids=lambda task: task
)
def test_empty_input_gives_none_everywhere(task):
    predictions = np.zeros((0, 3)) if task == "multiclass" else np.zeros(0)
    metrics = compute_metrics(task, np.zeros(0), predictions)
    assert metrics.pop("n") == 0
    assert set(metrics.values()) == {None}


def test_binary_values_match_hand_computation():
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0.1, 0.6, 0.4, 0.8, 0.9])
    metrics = compute_metrics("binary", y_true, y_pred)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["confusion_matrix"] == [[1, 1], [1, 2]]
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["f1"] == pytest.approx(2 / 3)
    assert metrics["roc_auc"] == pytest.approx(5 / 6)
    assert metrics["positive_rate"] == pytest.approx(0.6)
    expected_loss = -np.mean(np.log([0.9, 0.4, 0.4, 0.8, 0.9]))
    assert metrics["log_loss"] == pytest.approx(expected_loss)


def test_binary_threshold_is_inclusive_at_one_half():
    metrics = compute_metrics("binary", [1, 0], [0.5, 0.49])
    assert metrics["accuracy"] == 1.0


@pytest.mark.parametrize("label", [0, 1], ids=["all-negative", "all-positive"])
def test_binary_single_class_has_no_auc_but_other_metrics(label):
    metrics = compute_metrics("binary", [label] * 4, [0.2, 0.4, 0.6, 0.8])
    assert metrics["roc_auc"] is None
    assert metrics["pr_auc"] is None
    assert metrics["accuracy"] == 0.5
    assert metrics["log_loss"] is not None
    json.dumps(metrics, allow_nan=False)


def test_binary_rejects_labels_other_than_zero_and_one():
    with pytest.raises(DataValidationError, match="expected class indices 0..1"):
        compute_metrics("binary", [0, 2], [0.1, 0.9])


def test_multiclass_values_and_full_confusion_matrix():
    y_true = np.array([0, 1, 1, 0])
    probabilities = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.5, 0.25, 0.25]],
        dtype=np.float32,
    )
    metrics = compute_metrics("multiclass", y_true, probabilities)
    assert metrics["accuracy"] == pytest.approx(0.75)
    assert metrics["f1"] == metrics["macro_f1"]
    # Class 2 never occurs but keeps its row and column.
    assert metrics["confusion_matrix"] == [[2, 0, 0], [1, 1, 0], [0, 0, 0]]
    expected_loss = -np.mean(np.log([0.7, 0.8, 0.3, 0.5]))
    assert metrics["log_loss"] == pytest.approx(expected_loss, rel=1e-5)


def test_multiclass_rejects_flat_predictions():
    with pytest.raises(DataValidationError, match=r"shape \(n, classes\)"):
        compute_metrics("multiclass", [0, 1], [0.2, 0.8])


def test_regression_values():
    metrics = compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert metrics["mae"] == pytest.approx(2 / 3)
    assert metrics["rmse"] == pytest.approx(math.sqrt(4 / 3))
    assert metrics["r2"] == pytest.approx(1 - 4 / 2)


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [([2.0], [1.0]), ([3.0, 3.0, 3.0], [1.0, 2.0, 3.0])],
    ids=["one-sample", "constant-truth"],
)
def test_regression_r2_undefined_is_none(y_true, y_pred):
    metrics = compute_metrics("regression", y_true, y_pred)
    assert metrics["r2"] is None
    assert metrics["rmse"] is not None


def test_mismatched_lengths_and_non_finite_predictions_raise():
    with pytest.raises(DataValidationError, match="as many predictions as labels"):
        compute_metrics("regression", [1.0, 2.0], [1.0])
    with pytest.raises(DataValidationError, match="expected finite predictions"):
        compute_metrics("regression", [1.0, 2.0], [1.0, np.nan])


def test_unknown_task_raises_config_error():
    with pytest.raises(ConfigError, match="data.task"):
        compute_metrics("ranking", [1], [1])


def test_phm08_score_is_asymmetric():
    late = phm08_score([50.0], [60.0])
    early = phm08_score([50.0], [40.0])
    assert late == pytest.approx(math.e - 1)
    assert early == pytest.approx(math.exp(10 / 13) - 1)
    assert late > early
    assert phm08_score([10.0, 20.0], [10.0, 20.0]) == 0.0
    assert phm08_score([], []) == 0.0


def test_binary_baseline_predicts_the_majority_class():
    y_train = np.array([1, 1, 1, 0])
    predictions = baseline_predictions("binary", y_train, 5)
    assert predictions.shape == (5,)
    assert np.allclose(predictions, 0.75)
    y_test = np.array([1, 1, 0, 1, 0])
    assert compute_metrics("binary", y_test, predictions)["accuracy"] == 0.6


def test_multiclass_baseline_uses_training_frequencies():
    predictions = baseline_predictions("multiclass", [2, 2, 0, 2], 3, n_classes=4)
    assert predictions.shape == (3, 4)
    assert np.allclose(predictions[0], [0.25, 0.0, 0.75, 0.0])
    metrics = compute_metrics("multiclass", [2, 1, 2], predictions)
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["log_loss"] is not None


def test_regression_baseline_is_training_mean():
    predictions = baseline_predictions("regression", [1.0, 2.0, 6.0], 2)
    assert np.allclose(predictions, [3.0, 3.0])


def test_baseline_needs_training_labels():
    with pytest.raises(DataValidationError, match="at least one training label"):
        baseline_predictions("regression", [], 2)


@pytest.mark.parametrize(
    ("task", "name"),
    [
        ("binary", "majority_class"),
        ("multiclass", "majority_class"),
        ("regression", "training_mean"),
    ],
    ids=["binary", "multiclass", "regression"],
)
def test_baseline_name(task, name):
    assert baseline_name(task) == name


def test_curve_points_are_plain_lists_with_auc():
    y_true, y_score = _random_case("binary", seed=3)
    points = curve_points(y_true, y_score)
    assert len(points["fpr"]) == len(points["tpr"]) == len(points["roc_thresholds"])
    assert len(points["precision"]) == len(points["recall"])
    assert len(points["pr_thresholds"]) == len(points["recall"])
    assert points["fpr"][0] == 0.0
    assert points["tpr"][-1] == 1.0
    assert points["roc_auc"] == compute_metrics("binary", y_true, y_score)["roc_auc"]
    json.dumps(points, allow_nan=False)


def test_curve_points_empty_with_one_class_and_ignore_missing_labels():
    points = curve_points([1, 1, np.nan], [0.2, 0.9, 0.5])
    assert points["fpr"] == []
    assert points["precision"] == []
    assert points["roc_auc"] is None


def test_curve_points_are_thinned_for_large_inputs():
    rng = np.random.default_rng(1)
    points = curve_points(rng.integers(0, 2, 6000), rng.random(6000))
    assert len(points["precision"]) <= MAX_CURVE_POINTS
    assert points["recall"][0] == 1.0
    assert points["recall"][-1] == 0.0


def test_metrics_at_threshold_match_hand_counts():
    truth = [0, 0, 0, 1, 1]
    scores = [0.1, 0.3, 0.35, 0.4, 0.9]
    at_half = metrics_at_threshold(truth, scores, 0.5)
    assert at_half["confusion_matrix"] == [[3, 0], [1, 1]]
    lower = metrics_at_threshold(truth, scores, 0.3)
    # 0.3 itself counts as positive: the rule is score >= threshold.
    assert lower["confusion_matrix"] == [[1, 2], [0, 2]]
    assert lower["recall"] == 1.0
    assert lower["precision"] == pytest.approx(0.5)
    assert lower["threshold"] == 0.3


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "0.5", True, float("nan")])
def test_threshold_outside_zero_one_is_refused(threshold):
    with pytest.raises(DataValidationError, match="threshold"):
        metrics_at_threshold([0, 1], [0.2, 0.8], threshold)


def test_best_f1_threshold_separates_the_classes_when_it_can():
    truth = [0, 0, 0, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.35, 0.9]
    threshold = best_f1_threshold(truth, scores)
    assert threshold == pytest.approx(0.35)
    assert metrics_at_threshold(truth, scores, threshold)["f1"] == 1.0
    assert best_f1_threshold([0, 0], [0.2, 0.4]) is None


def test_smape_matches_hand_computation_and_counts_zero_over_zero_as_no_error():
    truth = np.array([100.0, 0.0, 10.0, -4.0])
    predicted = np.array([50.0, 0.0, 30.0, 4.0])
    # 2*50/150, 0 (both zero), 2*20/40, 2*8/8
    expected = 100.0 * np.mean([100 / 150, 0.0, 40 / 40, 16 / 8])
    assert compute_metrics("regression", truth, predicted)["smape"] == pytest.approx(
        expected
    )
