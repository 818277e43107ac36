"""Which columns does the model rely on? Mask-aware permutation importance.

For each feature column, the column's values are shuffled among the **valid
steps** of a batch of examples (positions where the step mask is true), the
model predicts again and the metric is compared with the unshuffled baseline.
Padded steps are never read and never written, so padding cannot leak into real
steps or real values into padding. A numeric column is shuffled together with
its missing-value indicator. Shuffling is within a prediction batch (up to 256
examples, thousands of steps), so memory stays one batch.

The **drop** is signed so that larger means more important: ``baseline −
permuted`` for metrics where larger is better, ``permuted − baseline`` for
errors such as RMSE. Repeats (default 5, seeded) give a mean and spread.

The **ablation** replaces one categorical column's embedding by the mean vector
of its categories (every category then looks alike), on a private copy of the
model, and reports the same signed drop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.permutation import Inputs, permute_column
from core.errors import ConfigError, DataValidationError
from core.examples.prepare import PreparedData, prepare_prediction
from core.features.naming import embedding_layer_name
from core.features.preprocessor import SequencePreprocessor
from core.features.vocabulary import FIRST_CATEGORY_INDEX, UNKNOWN_INDEX
from core.model.metric_registry import headline_metric, lower_is_better

DEFAULT_REPEATS = 5
#: Examples scored at most (a seeded sample of a larger part).
DEFAULT_MAX_EXAMPLES = 5000
BATCH_SIZE = 256
CATEGORICAL, NUMERIC = "categorical", "numeric"


@dataclass(frozen=True)
class ColumnImportance:
    """One column's metric drop when its values are shuffled."""

    column: str
    kind: str
    drop_mean: float
    drop_std: float
    drops: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "column": self.column,
            "kind": self.kind,
            "drop_mean": self.drop_mean,
            "drop_std": self.drop_std,
            "drops": list(self.drops),
        }


@dataclass(frozen=True)
class ImportanceResult:
    """Permutation importance of every feature column, most important first.

    Attributes
    ----------
    metric : str
        The metric the drops are measured in.
    baseline : float
        The metric on the unshuffled examples.
    columns : tuple of ColumnImportance
        Sorted by ``drop_mean``, largest first.
    ablation : dict of str to float
        Per categorical column, the drop when its embedding is its mean vector.
    repeats, examples, seed : int
        Shuffles per column, examples scored, seed of the shuffles.
    """

    metric: str
    baseline: float
    columns: tuple[ColumnImportance, ...]
    ablation: dict[str, float] = field(default_factory=dict)
    repeats: int = DEFAULT_REPEATS
    examples: int = 0
    seed: int = 0

    def table(self) -> pd.DataFrame:
        """One row per column: rank, column, kind, drop mean and std, ablation."""
        return pd.DataFrame(
            {
                "rank": range(1, len(self.columns) + 1),
                "column": [c.column for c in self.columns],
                "kind": [c.kind for c in self.columns],
                "drop_mean": [c.drop_mean for c in self.columns],
                "drop_std": [c.drop_std for c in self.columns],
                "ablation_drop": [
                    self.ablation.get(c.column, np.nan) for c in self.columns
                ],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI writes: ``metric``, ``baseline``, ``columns``, ..."""
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "repeats": self.repeats,
            "examples": self.examples,
            "seed": self.seed,
            "columns": [c.to_dict() for c in self.columns],
            "ablation": [
                {"column": column, "drop": drop}
                for column, drop in self.ablation.items()
            ],
        }


def scored_batches(
    prepared: PreparedData,
    part: str,
    max_examples: int | None = DEFAULT_MAX_EXAMPLES,
    seed: int = 0,
) -> tuple[list[Inputs], np.ndarray]:
    """Model inputs, batch by batch, of a part's labelled examples, and the labels.

    Raises
    ------
    DataValidationError
        If the part has no example with a known label.
    """
    # Keras: the command line reads this module's defaults when it starts.
    from core.model.batches import input_batches

    data = prepared.preprocessor.config
    examples = prepared.parts[part]
    labels = examples.labels
    if labels is None or not (~np.isnan(labels)).any():
        raise DataValidationError(
            data.target_column,
            f"expected examples with known labels in part {part!r}, received none",
        )
    keep = np.flatnonzero(examples.known())
    if max_examples is not None and len(keep) > max_examples:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(keep, max_examples, replace=False))
    chosen = examples.subset(np.isin(np.arange(len(examples)), keep))
    batches = input_batches(prepared, chosen, BATCH_SIZE)
    # Per-series scaled models answer in model units: compare like with like.
    return [batches[i][0] for i in range(len(batches))], chosen.model_labels()


def _predict(model: Any, batches: list[Inputs], change: Callable | None) -> np.ndarray:
    """Scores of every batch, after ``change`` when given (first output column)."""
    outputs = []
    for inputs in batches:
        fed = inputs if change is None else change(inputs)
        outputs.append(np.asarray(model.predict_on_batch(fed), dtype=np.float64))
    scores = np.concatenate(outputs, axis=0)
    return scores[:, 0] if scores.shape[-1] == 1 else scores


def _metric_value(
    preprocessor: SequencePreprocessor,
    labels: np.ndarray,
    scores: np.ndarray,
    metric: str,
) -> float:
    # Start-up cost: evaluation imports Keras; the CLI reads this module's defaults.
    from core.model.evaluation import part_metrics

    metrics = part_metrics(preprocessor, labels, scores)
    numeric = sorted(
        k for k, v in metrics.items() if k != "n" and not isinstance(v, list)
    )
    if metric not in numeric:
        raise ConfigError("metric", f"expected one of {numeric}, received {metric!r}")
    value = metrics[metric]
    if value is None:
        raise DataValidationError(
            preprocessor.config.target_column,
            f"expected {metric} to be defined on these examples, received none "
            "(for example only one class present)",
        )
    return float(value)


def _drop(metric: str, baseline: float, changed: float) -> float:
    """Signed so that a larger drop means a more important column."""
    return changed - baseline if lower_is_better(metric) else baseline - changed


def feature_columns(preprocessor: SequencePreprocessor) -> list[tuple[str, str]]:
    """Every feature column with its kind, categorical columns first."""
    data = preprocessor.config
    categorical = [(column, CATEGORICAL) for column in data.categorical_names]
    return categorical + [(column, NUMERIC) for column in data.numeric_columns]


def _column_importance(
    model: Any,
    batches: list[Inputs],
    labels: np.ndarray,
    preprocessor: SequencePreprocessor,
    metric: str,
    baseline: float,
    column: str,
    kind: str,
    repeats: int,
    rng: np.random.Generator,
) -> ColumnImportance:
    """Drops of ``repeats`` shuffles of one column."""

    def change(inputs: Inputs) -> Inputs:
        return permute_column(inputs, column, preprocessor, rng)

    drops = []
    for _ in range(repeats):
        value = _metric_value(
            preprocessor, labels, _predict(model, batches, change), metric
        )
        drops.append(_drop(metric, baseline, value))
    spread = float(np.std(drops, ddof=1)) if repeats > 1 else 0.0
    return ColumnImportance(column, kind, float(np.mean(drops)), spread, tuple(drops))


def permutation_importance(
    model: Any,
    prepared: PreparedData,
    part: str = "test",
    metric: str | None = None,
    repeats: int = DEFAULT_REPEATS,
    seed: int = 0,
    max_examples: int | None = DEFAULT_MAX_EXAMPLES,
    ablation: bool = True,
) -> ImportanceResult:
    """Mask-aware permutation importance of every feature column.

    Parameters
    ----------
    model : keras.Model
        The trained model.
    prepared : PreparedData
        Encoded data with the part to score (``"test"`` of a run, ``"all"``
        from :func:`core.examples.prepare.prepare_prediction`).
    part : str, default "test"
        Which examples to score; unlabelled ones are left out.
    metric : str or None
        A metric of the task; default ROC AUC, macro F1 or RMSE.
    repeats : int, default 5
        Shuffles per column.
    seed : int, default 0
        Seed of the shuffles (and of the example sample).
    max_examples : int or None, default 5000
        Score a seeded sample of at most this many examples.
    ablation : bool, default True
        Also replace each categorical column's embedding by its mean vector.

    Returns
    -------
    ImportanceResult
        Columns sorted by mean drop.

    Raises
    ------
    DataValidationError
        If there are no labelled examples, ``repeats`` is below 1 or the
        metric is undefined on the examples.
    """
    preprocessor = prepared.preprocessor
    data = preprocessor.config
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise DataValidationError(None, f"expected repeats >= 1, received {repeats!r}")
    metric = metric or headline_metric(data.task)
    batches, labels = scored_batches(prepared, part, max_examples, seed)
    scores = _predict(model, batches, None)
    baseline = _metric_value(preprocessor, labels, scores, metric)
    rng = np.random.default_rng(seed)
    results = [
        _column_importance(
            model,
            batches,
            labels,
            preprocessor,
            metric,
            baseline,
            column,
            kind,
            repeats,
            rng,
        )
        for column, kind in feature_columns(preprocessor)
    ]
    results.sort(key=lambda item: -item.drop_mean)
    ablated = {}
    if ablation:
        ablated = ablation_drops(model, batches, labels, preprocessor, metric, baseline)
    return ImportanceResult(
        metric, baseline, tuple(results), ablated, repeats, len(labels), seed
    )


def ablation_drops(
    model: Any,
    batches: list[Inputs],
    labels: np.ndarray,
    preprocessor: SequencePreprocessor,
    metric: str,
    baseline: float,
) -> dict[str, float]:
    """Per categorical column, the drop when its embedding becomes its mean vector.

    The model itself is never changed: a copy with the same weights is edited.
    """
    # Start-up cost: Keras, only once a model is being ablated.
    import keras

    columns = preprocessor.config.categorical_names
    if not columns:
        return {}
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    drops = {}
    for column in columns:
        layer = copy.get_layer(embedding_layer_name(column))
        original = layer.get_weights()[0]
        ablated = original.copy()
        # The unknown row too: no category, seen or not, keeps its own vector.
        ablated[UNKNOWN_INDEX:] = original[FIRST_CATEGORY_INDEX:].mean(axis=0)
        layer.set_weights([ablated])
        value = _metric_value(
            preprocessor, labels, _predict(copy, batches, None), metric
        )
        layer.set_weights([original])
        drops[column] = _drop(metric, baseline, value)
    return drops


def importance_on_frame(
    bundle: Any, df: pd.DataFrame, **options: Any
) -> ImportanceResult:
    """Permutation importance of a bundle on a labelled table (e.g. a new file).

    ``options`` go to :func:`permutation_importance`.
    """
    prepared = prepare_prediction(df, bundle.preprocessor)
    return permutation_importance(bundle.model, prepared, "all", **options)
