"""The non-sequence arm: gradient boosting on summaries of the very same windows.

Does the LSTM earn its keep at all? This arm answers it on the same split and
the same examples: each window is summarised per numeric feature as its last
value, mean and least-squares slope over the valid steps (optionally values a
few steps back), plus the categories of the window's last step, and
scikit-learn's ``HistGradientBoosting`` learns from those. Categorical columns
with more categories than the booster's bins are given as integer codes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.examples.prepare import PreparedData
from core.features.naming import MASK_INPUT, NUMERIC_INPUT, categorical_input_name
from core.model.arms import Arm

#: Name of this arm wherever encodings are listed (kept for its importers).
GBM_ENCODING = Arm.GBM
CHUNK = 4096
#: HistGradientBoosting's largest number of bins for a native categorical.
MAX_CATEGORICAL_BINS = 255


def window_features(
    inputs: dict[str, np.ndarray],
    categorical: Sequence[str],
    lags: Sequence[int] = (),
) -> np.ndarray:
    """Feature matrix of one batch of model inputs (categorical codes last)."""
    mask = inputs[MASK_INPUT].astype(np.float64)
    rows = np.arange(len(mask))
    lengths = np.maximum(mask.sum(axis=1), 1.0)
    last_index = (lengths - 1).astype(int)
    columns = []
    if NUMERIC_INPUT in inputs:
        numeric = inputs[NUMERIC_INPUT].astype(np.float64)
        last = numeric[rows, last_index]
        mean = (numeric * mask[:, :, None]).sum(axis=1) / lengths[:, None]
        steps = np.arange(numeric.shape[1], dtype=np.float64)[None, :]
        centred = (steps - ((steps * mask).sum(axis=1) / lengths)[:, None]) * mask
        denominator = np.maximum((centred**2).sum(axis=1), 1e-9)
        slope = (centred[:, :, None] * (numeric - mean[:, None, :])).sum(axis=1)
        slope /= denominator[:, None]
        columns += [last, mean, slope]
        for lag in lags:
            columns.append(numeric[rows, np.maximum(last_index - lag, 0)])
    for column in categorical:
        codes = inputs[categorical_input_name(column)][rows, last_index]
        columns.append(codes[:, None].astype(np.float64))
    return np.hstack(columns) if columns else np.zeros((len(mask), 0))


def part_features(
    prepared: PreparedData, part: str, lags: Sequence[int] = ()
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Features, labels (in model units) and the count of numeric feature columns."""
    # Start-up cost: core.model.batches imports Keras, and this module must not
    # (core.analysis.comparison reads GBM_ENCODING for the app's pages).
    from core.model.batches import input_batches

    data = prepared.preprocessor.config
    categorical = data.categorical_names
    batches = input_batches(prepared, prepared.parts[part], CHUNK)
    count = len(batches.examples)
    blocks = [
        window_features(
            batches.inputs_for(np.arange(start, min(start + CHUNK, count))),
            categorical,
            lags,
        )
        for start in range(0, count, CHUNK)
    ]
    width = _feature_width(prepared, lags)
    X = np.vstack(blocks) if blocks else np.zeros((0, width))
    examples = prepared.parts[part]
    labels = None if examples.labels is None else examples.model_labels()
    return X, labels, X.shape[1] - len(categorical)


def _feature_width(prepared: PreparedData, lags: Sequence[int]) -> int:
    numeric = len(prepared.preprocessor.numeric_feature_names)
    categorical = len(prepared.preprocessor.config.categorical_names)
    return numeric * (3 + len(lags)) + categorical


def _native_categoricals(prepared: PreparedData, n_numeric: int) -> list[int] | None:
    """Feature positions given to the booster as categories (small vocabularies)."""
    dims = prepared.preprocessor.input_dims_
    positions = [
        n_numeric + i
        for i, column in enumerate(prepared.preprocessor.config.categorical_names)
        if dims[column] <= MAX_CATEGORICAL_BINS
    ]
    return positions or None


class OutputBoosters:
    """One booster per output of a forecast of several steps or quantiles.

    ``HistGradientBoostingRegressor`` predicts one value: each step (and each
    quantile of it, under scikit-learn's quantile loss) gets its own, on the
    same features, in the network's output order (horizon-major).
    """

    def __init__(self, boosters: list[Any]) -> None:
        self.boosters = boosters

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions of every output, shape (n, outputs)."""
        return np.column_stack([booster.predict(X) for booster in self.boosters])

    @property
    def n_iter_(self) -> int:
        """Boosting iterations, summed over the boosters."""
        return sum(int(booster.n_iter_) for booster in self.boosters)

    n_trees_per_iteration_ = 1


def fit_gbm(
    prepared: PreparedData,
    seed: int,
    balanced: bool = False,
    quantiles: tuple[float, ...] | None = None,
) -> Any:
    """A HistGradientBoosting model fitted on the training windows' summaries.

    A forecast of several steps or quantiles gets :class:`OutputBoosters`.
    """
    # Start-up cost: scikit-learn's ensembles take seconds to import.
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    X, labels, n_numeric = part_features(prepared, "train")
    task = prepared.preprocessor.config.task
    options = {
        "categorical_features": _native_categoricals(prepared, n_numeric),
        "random_state": seed,
        "early_stopping": len(X) > 10_000,
    }
    if task == "regression" and (labels.ndim == 2 or quantiles):
        steps = labels if labels.ndim == 2 else labels[:, None]
        losses = [{"loss": "quantile", "quantile": q} for q in quantiles or ()]
        boosters = [
            HistGradientBoostingRegressor(**options, **loss).fit(X, steps[:, step])
            for step in range(steps.shape[1])
            for loss in (losses or [{}])
        ]
        return OutputBoosters(boosters)
    if task == "regression":
        return HistGradientBoostingRegressor(**options).fit(X, labels)
    weight = "balanced" if balanced else None
    classifier = HistGradientBoostingClassifier(class_weight=weight, **options)
    return classifier.fit(X, np.rint(labels).astype(np.int64))


def gbm_scores(model: Any, prepared: PreparedData, part: str) -> np.ndarray:
    """Outputs shaped like :func:`core.model.evaluation.predict_scores` for one part."""
    X, _, _ = part_features(prepared, part)
    task = prepared.preprocessor.config.task
    if task == "regression":
        if not len(X):
            width = len(model.boosters) if isinstance(model, OutputBoosters) else 0
            return np.zeros((0, width) if width else 0)
        # Learned per series where the target is scaled so (like the LSTMs).
        predicted = model.predict(X).astype(np.float64)
        if predicted.ndim == 2 and predicted.shape[1] == 1:
            predicted = predicted[:, 0]
        return prepared.parts[part].from_model_units(predicted)
    classes = prepared.preprocessor.target_encoder_.n_classes
    probabilities = np.zeros((len(X), classes))
    if len(X):
        probabilities[:, model.classes_] = model.predict_proba(X)
    return probabilities[:, 1] if task == "binary" else probabilities


def train_gbm_arm(
    prepared: PreparedData,
    seed: int,
    balanced: bool = False,
    quantiles: tuple[float, ...] | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Fit and evaluate the arm; returns (metrics like an LSTM's, held-out scores)."""
    # Start-up cost: core.model.evaluation imports Keras (see part_features).
    from core.model.evaluation import HELD_OUT_PARTS, evaluate

    started = time.perf_counter()
    model = fit_gbm(prepared, seed, balanced, quantiles)
    seconds = time.perf_counter() - started
    scores = {part: gbm_scores(model, prepared, part) for part in HELD_OUT_PARTS}
    metrics = evaluate(None, prepared, scores, quantiles)
    metrics["training"] = {
        "status": "completed",
        "epochs_run": int(model.n_iter_),
        "seconds": round(seconds, 3),
    }
    trees = int(model.n_iter_) * int(model.n_trees_per_iteration_)
    metrics["parameters"] = {"total": None, "trees": trees}
    metrics["encoding"] = GBM_ENCODING
    return metrics, scores
