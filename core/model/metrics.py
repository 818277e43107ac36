"""Reported metrics, computed from per-example predictions.

Keras's running metrics count padded time steps and average over batches, so
every number shown to a user or written to ``metrics.json`` comes from here
instead. Metric names are lower-case and every value is a plain Python ``int``,
``float``, ``list`` or ``None``, so a report always passes through ``json.dumps``.
Which metrics a task reports, and in which order, is
:mod:`core.model.metric_registry`'s table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as sk

from core.config import TASKS
from core.errors import ConfigError, DataValidationError
from core.model.metric_registry import reported_metrics

#: Probability floor (and ``1 - floor`` ceiling) used for log loss.
PROBABILITY_FLOOR = 1e-7
#: Most points kept per curve in :func:`curve_points`; enough for a smooth plot.
MAX_CURVE_POINTS = 2000


def ordered_metrics(metrics: dict[str, Any], task: str) -> dict[str, Any]:
    """Scalar metrics in the task's reading order, whatever order they came in.

    A bundle's ``metrics.json`` comes back with its keys sorted; tables built
    from it would list ``accuracy, f1, log_loss, ...`` alphabetically.

    Parameters
    ----------
    metrics : dict
        Output of :func:`compute_metrics` (or the same read back from JSON).
    task : {"binary", "multiclass", "regression"}
        The task, which decides the order.

    Returns
    -------
    dict
        The task's headline metrics first (in :func:`compute_metrics` order),
        then ``n``, then anything else in its given order; the confusion matrix
        is left out.

    Examples
    --------
    >>> read_back = {"r2": 0.5, "mae": 1.0, "n": 3, "rmse": 2.0}
    >>> list(ordered_metrics(read_back, "regression"))
    ['rmse', 'mae', 'r2', 'n']
    """
    first = [name for name in (*reported_metrics(task), "n") if name in metrics]
    rest = [name for name in metrics if name not in first]
    return {
        name: metrics[name] for name in (*first, *rest) if name != "confusion_matrix"
    }


def _number(value: Any) -> float | None:
    """A plain float, or ``None`` for NaN and infinities."""
    number = float(value)
    return number if math.isfinite(number) else None


def _check_task(task: str) -> None:
    """Raise ConfigError unless ``task`` is a known task."""
    if task not in TASKS:
        raise ConfigError("data.task", f"expected one of {TASKS}, received {task!r}")


def _arrays(task: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions as arrays, with matching lengths and finite scores."""
    truth = np.asarray(y_true, dtype=np.float64).reshape(-1)
    predictions = np.asarray(y_pred, dtype=np.float64)
    if task != "multiclass":
        predictions = predictions.reshape(-1)
    elif predictions.ndim != 2:
        raise DataValidationError(
            None,
            "expected multiclass predictions of shape (n, classes), received "
            f"shape {predictions.shape}",
        )
    if len(truth) != len(predictions):
        raise DataValidationError(
            None,
            f"expected as many predictions as labels, received {len(predictions)} "
            f"predictions for {len(truth)} labels",
        )
    bad = int((~np.isfinite(predictions)).sum())
    if bad:
        raise DataValidationError(
            None, f"expected finite predictions, received {bad} NaN or infinite"
        )
    return truth, predictions


def compute_metrics(task: str, y_true: Any, y_pred: Any) -> dict[str, Any]:
    """Task metrics of predictions against true values.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The prediction task.
    y_true : array-like of shape (n,)
        Binary: 0/1 labels. Multiclass: class indices. Regression: values.
    y_pred : array-like
        Binary: P(positive), shape (n,). Multiclass: class probabilities,
        shape (n, k). Regression: predicted values, shape (n,).

    Returns
    -------
    dict
        Binary: ``accuracy`` (threshold 0.5), ``roc_auc``, ``pr_auc`` (average
        precision), ``f1``, ``precision``, ``recall``, ``log_loss``,
        ``confusion_matrix`` (rows actual, columns predicted), ``positive_rate``.
        Multiclass: ``accuracy``, ``macro_f1``, ``f1`` (macro), ``log_loss``,
        ``confusion_matrix`` (k x k). Regression: ``rmse``, ``mae``, ``r2``, ``smape``
        (:func:`smape`).
        Always ``n``. A metric that is undefined (AUC with one class, R² of a
        constant truth, anything on empty input) is ``None``.

    Raises
    ------
    ConfigError
        If ``task`` is unknown.
    DataValidationError
        If shapes disagree or a prediction is not finite.

    Examples
    --------
    >>> compute_metrics("regression", [1.0, 2.0], [1.0, 4.0])["mae"]
    1.0
    """
    _check_task(task)
    truth, predictions = _arrays(task, y_true, y_pred)
    if len(truth) == 0:
        return {**dict.fromkeys(reported_metrics(task)), "n": 0}
    if task == "binary":
        report = _binary(_class_indices(truth, 2), predictions)
    elif task == "multiclass":
        classes = predictions.shape[1]
        report = _multiclass(_class_indices(truth, classes), predictions)
    else:
        report = _regression(truth, predictions)
    return {**report, "n": len(truth)}


def _class_indices(truth: np.ndarray, classes: int) -> np.ndarray:
    """Labels as int64 class indices, checked to lie in ``range(classes)``."""
    valid = (truth == np.round(truth)) & (truth >= 0) & (truth < classes)
    if not valid.all():
        bad = truth[~valid][:3].tolist()
        raise DataValidationError(
            None,
            f"expected class indices 0..{classes - 1}, received values such as {bad}",
        )
    return truth.astype(np.int64)


def _thresholded(
    truth: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, Any]:
    """Metrics of the hard decisions ``scores >= threshold``."""
    predicted = (scores >= threshold).astype(np.int64)
    return {
        "accuracy": float(sk.accuracy_score(truth, predicted)),
        "f1": float(sk.f1_score(truth, predicted, zero_division=0)),
        "precision": float(sk.precision_score(truth, predicted, zero_division=0)),
        "recall": float(sk.recall_score(truth, predicted, zero_division=0)),
        "confusion_matrix": sk.confusion_matrix(
            truth, predicted, labels=[0, 1]
        ).tolist(),
    }


def _binary(truth: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """Binary metrics of P(positive) ``scores`` (hard decisions at 0.5)."""
    both_classes = len(np.unique(truth)) == 2
    clipped = np.clip(scores, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return {
        **_thresholded(truth, scores, 0.5),
        "roc_auc": _number(sk.roc_auc_score(truth, scores)) if both_classes else None,
        "pr_auc": (
            _number(sk.average_precision_score(truth, scores)) if both_classes else None
        ),
        "log_loss": _number(sk.log_loss(truth, clipped, labels=[0, 1])),
        "positive_rate": float(truth.mean()),
    }


def _check_threshold(threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise DataValidationError(
            None, f"expected a threshold between 0 and 1, received {threshold!r}"
        )
    if not 0.0 <= threshold <= 1.0:
        raise DataValidationError(
            None, f"expected a threshold between 0 and 1, received {threshold}"
        )
    return float(threshold)


def metrics_at_threshold(y_true: Any, y_score: Any, threshold: float) -> dict[str, Any]:
    """Binary decision metrics when "positive" means ``score >= threshold``.

    With a rare positive class the default 0.5 often predicts no positive at
    all; this shows what another operating point gives.

    Parameters
    ----------
    y_true : array-like of 0/1
        Actual labels.
    y_score : array-like of float
        Predicted probability of the positive class.
    threshold : float
        Between 0 and 1.

    Returns
    -------
    dict
        ``threshold``, ``accuracy``, ``precision``, ``recall``, ``f1`` and
        ``confusion_matrix`` (rows actual 0/1, columns predicted 0/1).

    Raises
    ------
    DataValidationError
        If the threshold is outside [0, 1] or the labels are not 0/1.
    """
    cutoff = _check_threshold(threshold)
    truth, scores = _arrays("binary", y_true, y_score)
    return {
        "threshold": cutoff,
        **_thresholded(_class_indices(truth, 2), scores, cutoff),
    }


def best_f1_threshold(y_true: Any, y_score: Any) -> float | None:
    """The score threshold with the highest F1, or ``None`` without both classes.

    Choose it on validation data: picked on the test part, it flatters the test
    metrics.
    """
    truth, scores = _arrays("binary", y_true, y_score)
    truth = _class_indices(truth, 2)
    if len(np.unique(truth)) < 2:
        return None
    precision, recall, thresholds = sk.precision_recall_curve(truth, scores)
    # The last precision/recall pair has no threshold (it is recall 0).
    denominator = precision[:-1] + recall[:-1]
    f1 = np.divide(
        2 * precision[:-1] * recall[:-1],
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    return float(thresholds[int(np.argmax(f1))])


def _multiclass(truth: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """Multiclass metrics of class ``probabilities`` of shape (n, k)."""
    classes = list(range(probabilities.shape[1]))
    predicted = probabilities.argmax(axis=1)
    clipped = np.clip(probabilities, PROBABILITY_FLOOR, 1.0)
    # Renormalised so float32 softmax rounding never trips sklearn's sum check.
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    macro_f1 = float(sk.f1_score(truth, predicted, average="macro", zero_division=0))
    return {
        "accuracy": float(sk.accuracy_score(truth, predicted)),
        "macro_f1": macro_f1,
        "f1": macro_f1,
        "log_loss": _number(sk.log_loss(truth, clipped, labels=classes)),
        "confusion_matrix": sk.confusion_matrix(
            truth, predicted, labels=classes
        ).tolist(),
    }


def _regression(truth: np.ndarray, predictions: np.ndarray) -> dict[str, Any]:
    """Regression metrics in the units of ``truth``."""
    defined = len(truth) >= 2 and float(np.ptp(truth)) > 0
    return {
        "rmse": float(sk.root_mean_squared_error(truth, predictions)),
        "mae": float(sk.mean_absolute_error(truth, predictions)),
        "r2": _number(sk.r2_score(truth, predictions)) if defined else None,
        "smape": smape(truth, predictions),
    }


def smape(y_true: Any, y_pred: Any) -> float | None:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    ``mean(2 |y - ŷ| / (|y| + |ŷ|))``, the form of the M4 competition and the
    Kaggle demand benchmarks; a step where both are 0 counts as no error.

    Examples
    --------
    >>> smape([100.0, 0.0], [50.0, 0.0])
    33.33333333333333
    """
    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(y_pred, dtype=float)
    if truth.size == 0:
        return None
    scale = np.abs(truth) + np.abs(predicted)
    error = np.divide(
        2.0 * np.abs(truth - predicted),
        scale,
        out=np.zeros_like(scale),
        where=scale > 0,
    )
    return float(100.0 * error.mean())


def phm08_score(y_true: Any, y_pred: Any) -> float:
    """Asymmetric PHM08 score of remaining-useful-life predictions (lower is better).

    With ``d = y_pred - y_true``, late predictions (``d >= 0``) cost
    ``exp(d / 10) - 1`` and early ones ``exp(-d / 13) - 1``, as in the
    C-MAPSS / PHM 2008 challenge. Very large errors overflow to ``inf``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted remaining useful life.

    Returns
    -------
    float
        Sum of the per-example costs; 0.0 for empty input.

    Examples
    --------
    >>> round(phm08_score([10.0, 10.0], [20.0, 0.0]), 3)
    2.876
    """
    truth, predictions = _arrays("regression", y_true, y_pred)
    difference = predictions - truth
    with np.errstate(over="ignore"):
        costs = np.where(
            difference < 0,
            np.exp(-difference / 13.0) - 1.0,
            np.exp(difference / 10.0) - 1.0,
        )
    return float(costs.sum())


def baseline_name(task: str) -> str:
    """Name of the naive baseline: ``"majority_class"`` or ``"training_mean"``."""
    _check_task(task)
    return "training_mean" if task == "regression" else "majority_class"


def baseline_predictions(
    task: str, y_train: Any, n: int, n_classes: int | None = None
) -> np.ndarray:
    """Predictions of the naive baseline, fitted on training labels only.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The prediction task.
    y_train : array-like of shape (m,)
        Training labels (0/1, class indices, or values).
    n : int
        Number of predictions to return.
    n_classes : int, optional
        Multiclass: number of classes; defaults to the largest label + 1.

    Returns
    -------
    numpy.ndarray
        Binary: the training positive rate, shape (n,); at threshold 0.5 this
        predicts the majority class. Multiclass: the training class
        frequencies, shape (n, k), whose argmax is the majority class.
        Regression: the training mean, shape (n,).

    Raises
    ------
    DataValidationError
        If there are no training labels.
    """
    _check_task(task)
    labels = np.asarray(y_train, dtype=np.float64).reshape(-1)
    if len(labels) == 0:
        raise DataValidationError(
            None, "expected at least one training label for the baseline, received none"
        )
    if task == "multiclass":
        indices = labels.astype(np.int64)
        size = n_classes if n_classes is not None else int(indices.max()) + 1
        frequencies = np.bincount(indices, minlength=size)[:size] / len(indices)
        return np.tile(frequencies, (n, 1))
    return np.full(n, float(labels.mean()))


def curve_points(y_true: Any, y_score: Any) -> dict[str, Any]:
    """ROC and precision-recall curve points of binary scores, for plotting.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels; pairs with a missing label or score are ignored.
    y_score : array-like of shape (n,)
        P(positive).

    Returns
    -------
    dict
        ``fpr``, ``tpr``, ``roc_thresholds``, ``precision``, ``recall``,
        ``pr_thresholds`` (lists of float; a threshold sklearn sets to
        infinity is ``None``), ``roc_auc``, ``pr_auc`` and ``positive_rate``.
        The lists are empty and the numbers ``None`` unless both classes occur.
    """
    truth = np.asarray(y_true, dtype=np.float64).reshape(-1)
    scores = np.asarray(y_score, dtype=np.float64).reshape(-1)
    keep = np.isfinite(truth) & np.isfinite(scores)
    truth, scores = truth[keep].astype(np.int64), scores[keep]
    names = ("fpr", "tpr", "roc_thresholds", "precision", "recall", "pr_thresholds")
    points: dict[str, Any] = {name: [] for name in names}
    points.update(roc_auc=None, pr_auc=None, positive_rate=None)
    if len(np.unique(truth)) < 2:
        return points
    curves = {
        ("fpr", "tpr", "roc_thresholds"): sk.roc_curve(truth, scores),
        ("precision", "recall", "pr_thresholds"): sk.precision_recall_curve(
            truth, scores
        ),
    }
    for names_of_curve, (first, second, thresholds) in curves.items():
        # precision/recall carry one point more than their thresholds: pad.
        padded = np.append(thresholds, [np.inf] * (len(first) - len(thresholds)))
        for name, values in zip(
            names_of_curve, _thin(first, second, padded), strict=True
        ):
            points[name] = [_number(value) for value in values]
    points["roc_auc"] = _number(sk.roc_auc_score(truth, scores))
    points["pr_auc"] = _number(sk.average_precision_score(truth, scores))
    points["positive_rate"] = float(truth.mean())
    return points


def _thin(*columns: np.ndarray) -> list[np.ndarray]:
    """At most MAX_CURVE_POINTS evenly spaced rows, always keeping both ends."""
    size = len(columns[0])
    if size <= MAX_CURVE_POINTS:
        return list(columns)
    rows = np.unique(np.linspace(0, size - 1, MAX_CURVE_POINTS).round().astype(int))
    return [column[rows] for column in columns]
