"""Advice before training: embedding sizes, a value audit and a pre-flight estimate.

Everything here is cheap (no TensorFlow import, no model built), so the
configure page can show it on every change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig
from core.embedding_sizes import (
    RULE_DESCRIPTIONS,
    RULES,
    embedding_parameters,
    suggest_embedding_dim,
)
from core.numeric import to_numeric_values
from core.prepare import estimate_memory_bytes
from core.sequences import (
    PART_NAMES,
    entity_layout,
    example_positions,
    order_rows,
    split_rows,
)
from core.validation import validate_against
from core.vocabulary import (
    FIRST_CATEGORY_INDEX,
    MISSING_KEY,
    UNKNOWN_INDEX,
    build_vocabulary,
    key_counts,
)

#: Rough sustained floating-point rate of LSTM training on one small CPU, used
#: only to give an order of magnitude for the epoch time (see bench/ for real
#: measurements).
ASSUMED_FLOPS_PER_SECOND = 2e9


def advise_embedding_sizes(cardinality: int) -> pd.DataFrame:
    """Width and parameter count each known rule suggests for one column.

    Returns
    -------
    pandas.DataFrame
        Columns ``rule``, ``formula``, ``dimension``, ``parameters``.
    """
    rows = []
    for rule in RULES:
        dimension = suggest_embedding_dim(cardinality, rule)
        rows.append(
            {
                "rule": rule,
                "formula": RULE_DESCRIPTIONS[rule],
                "dimension": dimension,
                "parameters": embedding_parameters(cardinality, dimension),
            }
        )
    return pd.DataFrame(rows)


def audit_column(
    train_values: pd.Series,
    min_count: int = 1,
    max_categories: int | None = None,
    new_values: pd.Series | None = None,
) -> pd.DataFrame:
    """Where each value of a categorical column will go, with its index.

    Parameters
    ----------
    train_values : pandas.Series
        The column in the data the vocabulary is built from.
    min_count, max_categories : int
        The vocabulary settings.
    new_values : pandas.Series or None
        The same column in a prediction file; values never seen are listed.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``rows``, ``status`` (``category``, ``missing``,
        ``rare`` or ``never seen``) and ``index`` the model will receive,
        most frequent first.
    """
    counts = key_counts(train_values)
    vocabulary = build_vocabulary(counts, min_count, max_categories)
    index = {key: FIRST_CATEGORY_INDEX + i for i, key in enumerate(vocabulary)}
    rows = []
    for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        status = "missing" if key == MISSING_KEY else "category"
        if key not in index:
            status = "rare"
        rows.append(
            {
                "value": key,
                "rows": count,
                "status": status,
                "index": index.get(key, UNKNOWN_INDEX),
            }
        )
    if new_values is not None:
        for key, count in key_counts(new_values).items():
            if key not in counts:
                rows.append(
                    {"value": key, "rows": count, "status": "never seen", "index": 1}
                )
    return pd.DataFrame(rows, columns=["value", "rows", "status", "index"])


@dataclass(frozen=True)
class Preflight:
    """Size of a run before any tensor is built.

    Attributes
    ----------
    examples : dict of str to int
        Examples per part (train, validation, test).
    memory_bytes : int
        Encoded rows plus a few padded batches.
    embedding_parameters : dict of str to int
        Trainable weights per embedding table.
    other_parameters : int
        LSTM and head weights.
    rough_epoch_seconds : float
        Order-of-magnitude epoch time on a small CPU.
    warnings : tuple of str
        What :func:`core.validation.validate_against` will repair or ignore.
    """

    examples: dict[str, int]
    memory_bytes: int
    embedding_parameters: dict[str, int]
    other_parameters: int
    rough_epoch_seconds: float
    warnings: tuple[str, ...] = ()


def _lstm_parameters(
    input_width: int, units: tuple[int, ...], bidirectional: bool
) -> int:
    total = 0
    width = input_width
    for layer_units in units:
        per_direction = 4 * (layer_units * (width + layer_units) + layer_units)
        directions = 2 if bidirectional else 1
        total += per_direction * directions
        width = layer_units * directions
    return total


def _indicator_count(train_rows: pd.DataFrame, data: DataConfig) -> int:
    """Numeric columns that get a missing-value flag: those missing in training."""
    if not data.missing_indicators:
        return 0
    return sum(
        bool(np.isnan(to_numeric_values(train_rows[column], column)).any())
        for column in data.numeric_columns
    )


def preflight(df: pd.DataFrame, config: ExperimentConfig) -> Preflight:
    """Count examples and estimate memory, parameters and epoch time.

    Raises
    ------
    DataValidationError
        Naming the column, if the data cannot be trained on (as
        :func:`core.validation.validate_against`).
    """
    data, model = config.data, config.model
    # Refuse unusable data here, on the configure step, not after training starts.
    warnings = validate_against(data, df)
    frame, _ = order_rows(df, data)
    layout = entity_layout(frame, data)
    parts = split_rows(layout, config.split)
    examples = {
        name: len(example_positions(layout, parts, part, data)[0])
        for part, name in enumerate(PART_NAMES)
    }
    train_rows = frame[parts == 0]
    embedding: dict[str, int] = {}
    input_width = len(data.numeric_columns) + _indicator_count(train_rows, data)
    for spec in data.categorical_columns:
        cardinality = len(
            build_vocabulary(
                key_counts(train_rows[spec.name]),
                data.min_category_count,
                data.max_categories,
            )
        )
        if model.encoding == "onehot":
            dimension, trainable = cardinality + 2, 0
        else:
            dimension = spec.embedding_dim or suggest_embedding_dim(cardinality)
            trainable = embedding_parameters(cardinality, dimension)
        embedding[spec.name] = trainable
        input_width += dimension
    recurrent = _lstm_parameters(input_width, model.lstm_units, model.bidirectional)
    top = model.lstm_units[-1] * (2 if model.bidirectional else 1)
    head = (top + 1) * model.dense_units + (model.dense_units or top) + 1
    # Forward plus backward is about three times the forward multiply-adds.
    flops = 6 * recurrent * data.sequence_width * max(examples["train"], 1)
    return Preflight(
        examples=examples,
        memory_bytes=estimate_memory_bytes(len(df), config, input_width),
        embedding_parameters=embedding,
        other_parameters=recurrent + head,
        rough_epoch_seconds=float(np.round(flops / ASSUMED_FLOPS_PER_SECOND, 2)),
        warnings=tuple(warnings),
    )
