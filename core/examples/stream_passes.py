"""Passes over a Parquet dataset: the streaming fit, chunk examples, a held-out sample.

Every pass reads :func:`core.data.parquet.iter_entity_chunks` (whole entities
per chunk) and reuses the in-memory builders per chunk: :func:`order_rows`,
:func:`entity_layout`, :func:`example_positions` and :func:`example_labels` from
:mod:`core.examples.sequences`, so a chunk's windows are exactly the in-memory
windows of
its entities.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.config import ExperimentConfig
from core.data.derived_target import apply_derived_target, derived_target_sources
from core.data.parquet import (
    DatasetSource,
    chunk_rows_for,
    estimate_row_bytes,
    iter_entity_chunks,
)
from core.errors import ConfigError
from core.examples.prepare import PreparedData
from core.examples.sequences import (
    PART_NAMES,
    TRAIN,
    VALIDATION,
    EntityLayout,
    Examples,
    entity_layout,
    example_labels,
    example_positions,
    last_per_entity,
    order_rows,
    split_rows,
)
from core.examples.streaming import StreamingFit, hash_entity_parts
from core.features.preprocessor import SequencePreprocessor

#: Default memory budget of the data pipeline (chunks, encoded rows, batches).
DEFAULT_MEMORY_BUDGET_MB = 1024
#: Default rows of held-out entities kept in memory for validation and metrics.
DEFAULT_MAX_EVAL_ROWS = 300_000


@dataclass(frozen=True)
class StreamOptions:
    """How a dataset is streamed.

    Parameters
    ----------
    memory_budget_mb : int
        Memory for the data pipeline; sets the rows per chunk.
    max_train_windows : int or None
        Train on a seeded random subset of about this many windows per epoch
        (spread over the whole table); ``None`` trains on all.
    max_eval_rows : int
        Rows of whole entities kept for validation, test and the baseline.
    chunk_rows : int or None
        Rows per chunk, overriding the budget's (tests use tiny chunks).
    """

    memory_budget_mb: int = DEFAULT_MEMORY_BUDGET_MB
    max_train_windows: int | None = None
    max_eval_rows: int = DEFAULT_MAX_EVAL_ROWS
    chunk_rows: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        """JSON-serialisable form."""
        return {
            "memory_budget_mb": self.memory_budget_mb,
            "max_train_windows": self.max_train_windows,
            "max_eval_rows": self.max_eval_rows,
            "chunk_rows": self.chunk_rows,
        }


def check_streamable(config: ExperimentConfig) -> None:
    """Refuse settings the streaming path does not support yet.

    Raises
    ------
    ConfigError
        Without an id column, with derived inputs (the target's past, smoothing,
        entity age, calendar, known-future and time inputs), with a horizon in
        time, per-series target scaling or balanced class weights.
    """
    if config.data.id_column is None:
        raise ConfigError(
            "data.id_column",
            "expected an entity id column to stream a Parquet dataset, received none",
        )
    # Derived inputs (core.features.derived) are computed on whole in-memory tables; the
    # chunked path does not add them yet, and silently dropping them would train
    # a different model than the config says.
    for name, off in (
        ("target_as_input", False),
        ("smoothing_alpha", None),
        ("entity_age", False),
        ("entity_baseline", None),
        ("known_future", ()),
        ("time_features", ()),
        ("time_deltas", False),
        ("time_as_input", False),
    ):
        value = getattr(config.data, name)
        if value != off:
            raise ConfigError(
                f"data.{name}",
                f"expected {off!r} when streaming a Parquet dataset (derived inputs "
                f"are not streamed yet), received {value!r}",
            )
    if config.data.horizon_time is not None:
        # Labels in time need the time unit read from the training rows and a
        # purge in time; the chunked passes label by rows only.
        raise ConfigError(
            "data.horizon_time",
            "expected none when streaming a Parquet dataset (horizons in time "
            f"are not streamed yet), received {config.data.horizon_time!r}",
        )
    if config.data.target_scaling is not None:
        # Per-series statistics of the target need every training row of a
        # series first; the chunked passes fit one global target scale.
        raise ConfigError(
            "data.target_scaling",
            "expected none when streaming a Parquet dataset (per-series target "
            f"scaling is not streamed yet), received {config.data.target_scaling!r}",
        )
    if config.train.class_weight == "balanced":
        raise ConfigError(
            "train.class_weight",
            "expected 'none' when streaming a Parquet dataset, received 'balanced' "
            "(class counts would need an extra pass)",
        )


def stream_columns(config: ExperimentConfig) -> list[str]:
    """The columns a pass reads (ids, time, target, features), once each.

    A derived target is not read: the columns its expression reads are, and
    :func:`chunks` computes it per chunk.
    """
    data = config.data
    target = derived_target_sources(data) or (data.target_column,)
    names = [data.id_column, data.time_column, *target]
    return list(dict.fromkeys(n for n in (*names, *data.feature_columns) if n))


def chunks(
    source: DatasetSource, config: ExperimentConfig, options: StreamOptions
) -> Iterator[pd.DataFrame]:
    """Chunks of whole entities sized by the memory budget, target derived.

    The target expression is row-wise, so deriving it per chunk gives the
    labels the in-memory path derives from the whole table.
    """
    columns = stream_columns(config)
    row_bytes = estimate_row_bytes(source, columns)
    # Encoded features, sort copies and example indices roughly triple a row.
    rows = options.chunk_rows or chunk_rows_for(
        options.memory_budget_mb * 1024**2, 3 * row_bytes + 64
    )
    data = config.data
    for chunk in iter_entity_chunks(source, columns, str(data.id_column), rows):
        yield apply_derived_target(chunk, data)


def row_parts_of(layout: EntityLayout, config: ExperimentConfig) -> np.ndarray:
    """Part of every row of a chunk: hashed entities, or each timeline's tail."""
    if config.split.method == "entity":
        parts = hash_entity_parts(layout.ids, config.split)
        return np.repeat(parts, layout.lengths).astype(np.int8)
    return split_rows(layout, config.split)


@dataclass(frozen=True)
class FitReport:
    """What the fitting pass saw."""

    rows: int
    train_rows: int
    entities: int
    chunks: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of the pass."""
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


def fit_streaming(
    source: DatasetSource, config: ExperimentConfig, options: StreamOptions
) -> tuple[SequencePreprocessor, FitReport]:
    """Split and fit the preprocessor in one pass over the dataset.

    Raises
    ------
    EntityOrderError
        If the rows are not sorted by the id column.
    DataValidationError
        If values do not fit the configuration or no training row remains.
    """
    check_streamable(config)
    data = config.data
    fit = StreamingFit(data)
    started = time.perf_counter()
    rows = entities = count = 0
    for chunk in chunks(source, config, options):
        frame = chunk if config.split.method == "entity" else order_rows(chunk, data)[0]
        layout = entity_layout(frame, data)
        parts = row_parts_of(layout, config)
        fit.update(frame[parts == TRAIN])
        rows += len(frame)
        entities += layout.count
        count += 1
    preprocessor = fit.finish()
    seconds = time.perf_counter() - started
    return preprocessor, FitReport(rows, fit.rows, entities, count, seconds)


def _labelled(
    target: np.ndarray,
    raw: np.ndarray | None,
    layout: EntityLayout,
    row_parts: np.ndarray,
    part: int,
    config: ExperimentConfig,
) -> Examples:
    """Labelled examples of one part (as ``core.examples.prepare.plan_examples``)."""
    data = config.data
    purge = data.horizon if (config.split.method == "time" and data.horizon) else 0
    end_rows, lengths, first_rows = example_positions(
        layout, row_parts, part, data, purge if part == TRAIN else 0
    )
    labels = example_labels(target, layout, end_rows, first_rows, data)
    actual = None
    if raw is not None:
        actual = example_labels(raw, layout, end_rows, first_rows, data)
    examples = Examples(end_rows, lengths, labels, actual)
    examples = examples.subset(examples.known())
    if part == VALIDATION and config.split.validation_windows == "last":
        return last_per_entity(examples, layout)
    return examples


def prepare_chunk(
    chunk: pd.DataFrame, preprocessor: SequencePreprocessor, config: ExperimentConfig
) -> PreparedData:
    """Encode one chunk of whole entities and list its examples per part."""
    data = config.data
    frame, notes = order_rows(chunk, data)
    layout = entity_layout(frame, data)
    row_parts = row_parts_of(layout, config)
    encoded = preprocessor.transform(frame)
    series = frame[data.target_column]
    target = preprocessor.encode_target(series)
    raw = None
    if data.task == "regression":
        raw = preprocessor.target_encoder_.raw_values(series)
    parts = {
        name: _labelled(target, raw, layout, row_parts, part, config)
        for part, name in enumerate(PART_NAMES)
    }
    entity = frame[data.id_column].to_numpy()
    times = None if data.time_column is None else frame[data.time_column].to_numpy()
    return PreparedData(preprocessor, encoded, layout, entity, times, parts, notes)


def held_out_sample(
    source: DatasetSource,
    preprocessor: SequencePreprocessor,
    config: ExperimentConfig,
    options: StreamOptions,
) -> PreparedData:
    """Whole entities of every part, up to ``max_eval_rows`` rows, prepared.

    Hashed parts are spread evenly over the table, so the pass usually stops
    after the first chunks. The train part only serves the naive baseline.
    """
    quota = max(options.max_eval_rows // len(PART_NAMES), 1)
    taken = np.zeros(len(PART_NAMES), dtype=np.int64)
    split = config.split
    # A part nobody asked for never fills: it must not keep the pass going.
    wanted = np.asarray([True, split.validation_fraction > 0, split.test_fraction > 0])
    kept: list[pd.DataFrame] = []
    for chunk in chunks(source, config, options):
        layout = entity_layout(chunk, config.data)
        if config.split.method == "entity":
            entity_parts = hash_entity_parts(layout.ids, config.split)
        else:
            entity_parts = np.zeros(layout.count, dtype=np.int8)
        keep = np.zeros(layout.count, dtype=bool)
        for index, (part, length) in enumerate(
            zip(entity_parts, layout.lengths, strict=True)
        ):
            if taken[part] < quota * (3 if config.split.method == "time" else 1):
                keep[index] = True
                taken[part] += length
        kept.append(chunk[np.repeat(keep, layout.lengths)])
        if config.split.method == "time" and taken[0] >= 3 * quota:
            break
        if config.split.method == "entity" and (taken[wanted] >= quota).all():
            break
    frame = pd.concat(kept, ignore_index=True)
    return prepare_chunk(frame, preprocessor, config)
