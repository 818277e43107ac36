"""One entity's history: the prediction at every step, and what-if changes.

The timeline scores an example ending at **every** row of the entity's history
(the last ``window`` rows in window framing, up to ``max_length`` in sequence
framing), so the result has one row per real step and no padding. A what-if
replaces one categorical column's value on every step of the history (by
another category, or by the unknown index that unseen values get) and scores
the same examples again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig
from core.data.derived_target import apply_derived_target
from core.errors import DataValidationError
from core.examples.prepare import PreparedData, prepare_prediction, series_scaled
from core.examples.sequences import Examples, order_rows
from core.features.preprocessor import SequencePreprocessor
from core.features.vocabulary import FIRST_CATEGORY_INDEX, UNKNOWN_INDEX, UNKNOWN_LABEL


def entity_ids(frame: pd.DataFrame, data: DataConfig) -> list[Any]:
    """The entities of a table, in order of first appearance."""
    if data.id_column is None:
        return ["all"]
    if data.id_column not in frame.columns:
        raise DataValidationError(
            data.id_column, "expected the id column in the data, received none"
        )
    return list(pd.unique(frame[data.id_column].dropna()))


def entity_history(frame: pd.DataFrame, data: DataConfig, entity: Any) -> pd.DataFrame:
    """The rows of one entity (all rows when the data has no id column).

    Raises
    ------
    DataValidationError
        If no row belongs to ``entity``.
    """
    if data.id_column is None:
        return frame
    rows = frame[frame[data.id_column] == entity]
    if rows.empty:
        raise DataValidationError(
            data.id_column, f"expected an entity of the data, received {entity!r}"
        )
    return rows


def _one_entity(
    history: pd.DataFrame, preprocessor: SequencePreprocessor
) -> PreparedData:
    """Prepared rows of one entity, with an example ending at every row."""
    prepared = prepare_prediction(history, preprocessor)
    if prepared.layout.count != 1:
        raise DataValidationError(
            preprocessor.config.id_column,
            f"expected the history of one entity, received {prepared.layout.count}",
        )
    data = preprocessor.config
    rows = len(prepared.entity_of_row)
    ends = np.arange(rows, dtype=np.int64)
    lengths = np.minimum(ends + 1, data.sequence_width)
    # Per-series target scaling: the model's outputs are unscaled with each
    # step's series statistics, exactly as for a prediction file.
    steps = series_scaled(
        Examples(ends, lengths, None),
        prepared.encoded,
        preprocessor,
        prepared.target_of_row,
    )
    return replace(prepared, parts={"steps": steps})


def _scores(model: Any, prepared: PreparedData) -> np.ndarray:
    # Start-up cost: Keras, only where a model scores; the web server picks
    # entities here (entity_ids, entity_history) without TensorFlow.
    from core.model.evaluation import predict_scores
    from core.model.forecast_report import point_scores

    scores = predict_scores(model, prepared, "steps")
    data = prepared.preprocessor.config
    if data.task == "regression" and scores.ndim == 2:
        # Several steps or quantiles: one number per step, the farthest median.
        scores = point_scores(scores, data)
        scores = scores[:, -1] if scores.ndim == 2 else scores
    return scores


def _main_output(
    preprocessor: SequencePreprocessor, scores: np.ndarray, class_index: int | None
) -> tuple[str, np.ndarray]:
    """The one number per step a chart shows: P(positive), a value, or P(class)."""
    task = preprocessor.config.task
    if task == "binary":
        return "probability", scores
    if task == "regression":
        return "predicted", preprocessor.decode_target(scores)
    label = preprocessor.target_encoder_.classes_[class_index]
    return f"probability_{label}", scores[:, class_index]


def _step_frame(prepared: PreparedData, history: pd.DataFrame) -> pd.DataFrame:
    """Step number, time and actual target of every sorted row."""
    data = prepared.preprocessor.config
    table = pd.DataFrame({"step": np.arange(len(prepared.entity_of_row))})
    if prepared.time_of_row is not None:
        table[data.time_column] = prepared.time_of_row
    # A derived target is computed as at prediction, so "actual" means the same.
    history = apply_derived_target(history, data, required=False)
    if data.target_column in history.columns:
        ordered, _ = order_rows(history, data)
        table["actual"] = ordered[data.target_column].to_numpy()
    return table


def timeline(
    model: Any, preprocessor: SequencePreprocessor, history: pd.DataFrame
) -> pd.DataFrame:
    """The model's prediction at every step of one entity's history.

    Parameters
    ----------
    model : keras.Model
        The trained model.
    preprocessor : SequencePreprocessor
        Its fitted preprocessor.
    history : pandas.DataFrame
        The entity's rows (:func:`entity_history`), in any order.

    Returns
    -------
    pandas.DataFrame
        One row per real step: ``step``, the time column, ``actual`` (when the
        target is present) and ``probability`` (binary), ``predicted``
        (regression, in target units) or ``probability_<class>`` (multiclass).
    """
    prepared = _one_entity(history, preprocessor)
    scores = _scores(model, prepared)
    table = _step_frame(prepared, history)
    if preprocessor.config.task == "multiclass":
        for position, label in enumerate(preprocessor.target_encoder_.classes_):
            table[f"probability_{label}"] = scores[:, position]
        return table
    name, values = _main_output(preprocessor, scores, None)
    table[name] = values
    return table


def replacement_index(
    preprocessor: SequencePreprocessor, column: str, replacement: str | None
) -> int:
    """Model index of a category key; ``None`` or ``"<unknown>"`` give 1.

    Raises
    ------
    DataValidationError
        If the column is not categorical or the key is not in its vocabulary.
    """
    vocabularies = preprocessor.vocabularies_
    if column not in vocabularies:
        raise DataValidationError(
            column,
            f"expected a categorical column {sorted(vocabularies)}, received "
            f"{column!r}",
        )
    if replacement is None or replacement == UNKNOWN_LABEL:
        return UNKNOWN_INDEX
    vocabulary = vocabularies[column]
    if replacement not in vocabulary:
        raise DataValidationError(
            column,
            f"expected one of the {len(vocabulary)} learned categories or "
            f"{UNKNOWN_LABEL!r}, received {replacement!r}",
        )
    return vocabulary.index(replacement) + FIRST_CATEGORY_INDEX


def what_if(
    model: Any,
    preprocessor: SequencePreprocessor,
    history: pd.DataFrame,
    column: str,
    replacement: str | None,
) -> pd.DataFrame:
    """Predictions at every step before and after replacing one column's value.

    Parameters
    ----------
    model, preprocessor
        The trained model and its fitted preprocessor.
    history : pandas.DataFrame
        One entity's rows.
    column : str
        A categorical column.
    replacement : str or None
        A category key of the column's vocabulary, or ``None`` /
        ``"<unknown>"`` for the unknown index.

    Returns
    -------
    pandas.DataFrame
        ``step``, time, ``actual``, ``value`` (the column's original label),
        ``original``, ``changed`` and ``difference`` (changed − original), in
        the units of :func:`timeline` (multiclass: the probability of the class
        predicted at the last step).
    """
    index = replacement_index(preprocessor, column, replacement)
    prepared = _one_entity(history, preprocessor)
    position = preprocessor.config.categorical_names.index(column)
    categorical = prepared.encoded.categorical.copy()
    original_values = categorical[:, position].copy()
    categorical[:, position] = index
    changed = replace(
        prepared, encoded=replace(prepared.encoded, categorical=categorical)
    )
    before, after = _scores(model, prepared), _scores(model, changed)
    class_index = int(np.argmax(before[-1])) if before.ndim == 2 else None
    name, before_values = _main_output(preprocessor, before, class_index)
    _, after_values = _main_output(preprocessor, after, class_index)
    table = _step_frame(prepared, history)
    vocabulary = [UNKNOWN_LABEL, *preprocessor.vocabularies_[column]]
    table["value"] = [vocabulary[i - UNKNOWN_INDEX] for i in original_values]
    table["original"] = before_values
    table["changed"] = after_values
    table["difference"] = after_values - before_values
    table.attrs["output"] = name
    return table
