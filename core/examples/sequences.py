"""Long format to examples: ordering, entity layout, splits, windows and labels.

Examples are never materialised. The encoded rows are kept once, sorted by entity
and time, and an example is just ``(end_row, length)``: the rows
``end_row - length + 1 .. end_row`` of one entity. :func:`gather_batch` builds the
padded arrays of one batch on demand, so memory grows with rows, not with
rows x window length. Padding is always on the right and every example has at
least one real step (both are what the cuDNN LSTM kernel requires).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig, SplitConfig
from core.data.columns import require_columns
from core.data.values import parse_time_utc
from core.errors import ConfigError, DataValidationError
from core.examples.time_horizon import (
    TimeHorizon,
    time_horizon_labels,
    time_purged_last,
)

TRAIN, VALIDATION, TEST = 0, 1, 2
PART_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class EntityLayout:
    """Where each entity's rows lie in the sorted table.

    Attributes
    ----------
    starts, lengths : numpy.ndarray of int64
        First row and number of rows of each entity.
    ids : numpy.ndarray
        Entity identifier of each entity.
    """

    starts: np.ndarray
    lengths: np.ndarray
    ids: np.ndarray

    @property
    def count(self) -> int:
        """Number of entities."""
        return len(self.starts)

    def entity_of_rows(self) -> np.ndarray:
        """Entity position of every row."""
        return np.repeat(np.arange(self.count), self.lengths)


@dataclass(frozen=True)
class Examples:
    """Examples of one part as index arrays (nothing copied).

    Attributes
    ----------
    end_rows : numpy.ndarray of int64
        Last row of each example in the sorted table.
    lengths : numpy.ndarray of int64
        Real steps of each example (1 .. width).
    labels : numpy.ndarray of float64 or None
        Encoded label per example, shape (n,); with ``DataConfig.horizons``,
        one per step ``1 .. horizons``, shape (n, horizons). ``None`` when the
        data has no target.
    actual : numpy.ndarray of float64 or None
        Regression only: the label in the target's own units, taken from the
        raw values (not unscaled from ``labels``, which would turn 40 into
        40.00000000000001); shaped like ``labels``.
    label_center, label_scale : numpy.ndarray or None
        With per-series target scaling: each example's series centre and scale;
        with ``DataConfig.target_change``, the centre is the window's last
        target value. In encoded target units; the model learns and predicts
        ``(label - label_center) / label_scale`` (see :meth:`model_labels`).
    """

    end_rows: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray | None
    actual: np.ndarray | None = None
    label_center: np.ndarray | None = None
    label_scale: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.end_rows)

    def subset(self, keep: np.ndarray) -> Examples:
        """Examples where ``keep`` is true."""

        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[keep]

        return Examples(
            self.end_rows[keep],
            self.lengths[keep],
            pick(self.labels),
            pick(self.actual),
            pick(self.label_center),
            pick(self.label_scale),
        )

    def known(self) -> np.ndarray:
        """Whether each example's label is known (every step's, with horizons)."""
        if self.labels is None:
            return np.zeros(len(self), dtype=bool)
        known = ~np.isnan(self.labels)
        return known if known.ndim == 1 else known.all(axis=1)

    def model_labels(self, selection: Any = slice(None)) -> np.ndarray:
        """Labels in the units the model learns: per series where scaled."""
        labels = self.labels[selection]
        if self.label_center is None:
            return labels
        center = _per_example(self.label_center[selection], labels.ndim)
        scale = _per_example(self.label_scale[selection], labels.ndim)
        return (labels - center) / scale

    def from_model_units(self, scores: np.ndarray) -> np.ndarray:
        """A model's regression outputs (any trailing shape) in encoded target units."""
        if self.label_center is None:
            return scores
        scale = _per_example(self.label_scale, scores.ndim)
        return scores * scale + _per_example(self.label_center, scores.ndim)


def _per_example(values: np.ndarray, ndim: int) -> np.ndarray:
    """Per-example ``values`` shaped to broadcast over arrays of ``ndim`` dimensions."""
    return values.reshape(values.shape + (1,) * (ndim - 1))


def last_per_entity(examples: Examples, layout: EntityLayout) -> Examples:
    """Each entity's last example only (the one ending on its latest row).

    The validation scheme ``split.validation_windows = "last"``: when the test
    protocol scores one last window per entity, validating on every window
    weights long entities' early, easy windows instead.

    >>> layout = EntityLayout(np.array([0, 3]), np.array([3, 2]), np.array(["a", "b"]))
    >>> examples = Examples(np.array([1, 2, 3, 4]), np.ones(4, int), None)
    >>> last_per_entity(examples, layout).end_rows.tolist()
    [2, 4]
    """
    if not len(examples):
        return examples
    entity = np.searchsorted(layout.starts, examples.end_rows, side="right") - 1
    order = np.lexsort((examples.end_rows, entity))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = entity[order][1:] != entity[order][:-1]
    keep = np.zeros(len(examples), dtype=bool)
    keep[order[last]] = True
    return examples.subset(keep)


def ordering_keys(
    df: pd.DataFrame, config: DataConfig
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Entity ids and sortable float times of every row: the one ordering rule.

    Returns
    -------
    ids, times : numpy.ndarray or None
        ``None`` for a role the config leaves empty.

    Raises
    ------
    DataValidationError
        If a column is missing, an id is missing, or a time is missing,
        unreadable or infinite.
    """
    require_columns(df, (config.id_column, config.time_column))
    ids = times = None
    if config.id_column is not None:
        missing = int(df[config.id_column].isna().sum())
        if missing:
            raise DataValidationError(
                config.id_column,
                f"expected an entity id in every row, received {missing} missing",
            )
        ids = df[config.id_column].to_numpy()
    if config.time_column is not None:
        times = _time_order(df[config.time_column], config.time_column)
    return ids, times


def order_rows(df: pd.DataFrame, config: DataConfig) -> tuple[pd.DataFrame, list[str]]:
    """Sort rows by entity and time (stable), reporting what was changed.

    Returns
    -------
    frame : pandas.DataFrame
        Sorted rows with a fresh ``RangeIndex``.
    notes : list of str
        Automatic fixes, e.g. that rows were sorted.

    Raises
    ------
    DataValidationError
        As :func:`ordering_keys`.
    """
    ids, times = ordering_keys(df, config)
    notes: list[str] = []
    keys: list[str] = []
    frame = df
    if ids is not None:
        keys.append(str(config.id_column))
    if times is not None:
        frame = df.assign(__order__=times)
        keys.append("__order__")
    if keys:
        try:
            sorted_frame = frame.sort_values(keys, kind="stable")
        except TypeError:
            # Ids mixing numbers and text (1, "A") cannot be compared: use their text.
            frame = frame.assign(__id__=frame[config.id_column].astype(str))
            sorted_frame = frame.sort_values(["__id__", *keys[1:]], kind="stable")
            notes.append(
                f"column '{config.id_column}': ids mix numbers and text; "
                "entities ordered by their text"
            )
        if not sorted_frame.index.equals(frame.index):
            notes.append(f"rows were not in order; sorted by {', '.join(keys)}")
        frame = sorted_frame.drop(columns=["__order__", "__id__"], errors="ignore")
    return frame.reset_index(drop=True), [
        note.replace("__order__", str(config.time_column)) for note in notes
    ]


def _time_order(series: pd.Series, column: str) -> np.ndarray:
    """Sortable float values of a time column (numbers or date/time strings)."""
    # Numbers stored as text ("0", "1") order like numbers.
    parsed = parse_time_utc(series.rename(column))
    if pd.api.types.is_datetime64_any_dtype(parsed):
        # In pandas' own unit: nanoseconds overflow before year 1677.
        stamps = parsed.to_numpy()
        values = stamps.astype(np.int64).astype(np.float64)
        values[np.isnat(stamps)] = np.nan
    else:
        values = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        raise DataValidationError(
            column,
            f"expected a time in every row, received {int(np.isnan(values).sum())} "
            "missing",
        )
    if np.isinf(values).any():
        raise DataValidationError(
            column,
            f"expected finite times, received {int(np.isinf(values).sum())} "
            "infinite value(s)",
        )
    return values


def entity_layout(frame: pd.DataFrame, config: DataConfig) -> EntityLayout:
    """Entity boundaries of a table already sorted by :func:`order_rows`."""
    if config.id_column is None or len(frame) == 0:
        rows = len(frame)
        return EntityLayout(
            np.zeros(1 if rows else 0, dtype=np.int64),
            np.asarray([rows] if rows else [], dtype=np.int64),
            np.asarray(["all"] if rows else [], dtype=object),
        )
    ids = frame[config.id_column].to_numpy()
    change = np.ones(len(ids), dtype=bool)
    change[1:] = ids[1:] != ids[:-1]
    starts = np.flatnonzero(change).astype(np.int64)
    lengths = np.diff(np.append(starts, len(ids))).astype(np.int64)
    return EntityLayout(starts, lengths, ids[starts])


def split_rows(layout: EntityLayout, config: SplitConfig) -> np.ndarray:
    """Assign every row to train (0), validation (1) or test (2).

    ``"entity"`` sends whole entities to one part (seeded shuffle);
    ``"time"`` holds out the last part of every entity's timeline.

    Raises
    ------
    DataValidationError
        If the split would leave the training part empty.
    """
    if config.method == "entity":
        parts = _entity_parts(layout.count, config)
        row_parts = np.repeat(parts, layout.lengths)
    else:
        row_parts = _time_parts(layout, config)
    if not (row_parts == TRAIN).any():
        raise DataValidationError(
            None,
            "expected rows left for training after the split, received none "
            f"({layout.count} entities); lower the validation/test fractions",
        )
    return row_parts.astype(np.int8)


def _entity_parts(count: int, config: SplitConfig) -> np.ndarray:
    order = np.random.default_rng(config.seed).permutation(count)
    n_test = _share(count, config.test_fraction)
    n_validation = _share(count - n_test, config.validation_fraction, count)
    parts = np.full(count, TRAIN, dtype=np.int8)
    parts[order[:n_test]] = TEST
    parts[order[n_test : n_test + n_validation]] = VALIDATION
    return parts


def _share(available: int, fraction: float, total: int | None = None) -> int:
    """Held-out count: at least one when asked for and two remain for training."""
    total = available if total is None else total
    wanted = int(round(fraction * total))
    if fraction > 0 and wanted == 0 and available >= 3:
        wanted = 1
    return min(wanted, max(available - 1, 0))


def _time_parts(layout: EntityLayout, config: SplitConfig) -> np.ndarray:
    lengths = layout.lengths
    n_test = np.floor(lengths * config.test_fraction).astype(np.int64)
    n_validation = np.floor(lengths * config.validation_fraction).astype(np.int64)
    position = np.arange(lengths.sum()) - np.repeat(layout.starts, lengths)
    length_of_row = np.repeat(lengths, lengths)
    from_end = length_of_row - position
    parts = np.full(len(position), TRAIN, dtype=np.int8)
    parts[from_end <= np.repeat(n_test + n_validation, lengths)] = VALIDATION
    parts[from_end <= np.repeat(n_test, lengths)] = TEST
    return parts


@dataclass(frozen=True)
class _Segments:
    """Per entity with rows in one part: its first row, and the part's first and
    last row and the entity's last row (arrays, in entity order)."""

    entity_start: np.ndarray
    first: np.ndarray
    last: np.ndarray
    entity_last: np.ndarray


def _segments(layout: EntityLayout, row_parts: np.ndarray, part: int) -> _Segments:
    rows = np.flatnonzero(row_parts == part)
    entity = layout.entity_of_rows()[rows]
    # Rows are sorted by entity: each entity's rows of the part are one run.
    entities, first_index = np.unique(entity, return_index=True)
    last_index = np.append(first_index[1:] - 1, len(rows) - 1)[: len(entities)]
    entity_start = layout.starts[entities].astype(np.int64)
    return _Segments(
        entity_start,
        rows[first_index].astype(np.int64),
        rows[last_index].astype(np.int64),
        entity_start + layout.lengths[entities] - 1,
    )


def example_positions(
    layout: EntityLayout,
    row_parts: np.ndarray,
    part: int,
    config: DataConfig,
    purge: int = 0,
    time_purge: TimeHorizon | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """End rows, lengths and part-start rows of one part's examples.

    Window framing: windows end every ``stride`` rows counting back from the
    part's last row, full-length where the entity's history allows; an entity
    shorter than the window gives one shorter, padded window. Sequence framing:
    one example per entity, ending at the part's last row. ``purge`` drops
    window ends whose look-ahead would reach rows after the part;
    ``time_purge`` does so for a look-ahead in time
    (:mod:`core.examples.time_horizon`).
    """
    width = config.sequence_width
    segments = _segments(layout, row_parts, part)
    last = segments.last
    if purge:
        last = np.where(last < segments.entity_last, last - purge, last)
    if time_purge is not None:
        last = time_purged_last(
            time_purge.times,
            layout.entity_of_rows(),
            last,
            segments.entity_last,
            time_purge.horizon,
        )
    span = last - segments.entity_start + 1
    lower = np.maximum(
        segments.first, segments.entity_start + np.minimum(width, span) - 1
    )
    keep = last >= lower
    last, lower, first = last[keep], lower[keep], segments.first[keep]
    if config.framing == "window":
        # Window ends last, last - stride, ... down to lower, in ascending order.
        counts = (last - lower) // config.stride + 1
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        from_last = np.repeat(counts, counts) - 1 - within
        end_rows = np.repeat(last, counts) - from_last * config.stride
    else:
        counts = np.ones(len(last), dtype=np.int64)
        end_rows = last
    end_rows = end_rows.astype(np.int64)
    first_rows = np.repeat(first, counts).astype(np.int64)
    if len(end_rows) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    entity_starts = layout.starts[layout.entity_of_rows()[end_rows]]
    lengths = np.minimum(end_rows - entity_starts + 1, width)
    return end_rows, lengths, first_rows


def example_labels(
    target: np.ndarray,
    layout: EntityLayout,
    end_rows: np.ndarray,
    first_rows: np.ndarray,
    config: DataConfig,
    time_horizon: TimeHorizon | None = None,
) -> np.ndarray:
    """Encoded label of each example (``NaN`` where it cannot be known).

    Window framing: the target at the window's last row; with a horizon, the
    target ``horizon`` rows later in the same entity (``NaN`` past its last row),
    or for a binary task 1 when the positive class occurs in the next
    ``horizon`` rows of the entity.
    With ``horizon_time``: 1 when the positive class occurs at a time in
    ``(t, t + horizon_time]``, 0 when the entity is observed that long without
    it, ``NaN`` (censored) otherwise, read from ``time_horizon``
    (:func:`core.examples.time_horizon.time_horizon`).
    Sequence framing: ``label_reduction`` over the part's rows up to the end.
    With ``horizons``: the target at each of the next ``horizons`` rows, shape
    (n, horizons).
    """
    if config.framing == "window" and config.horizon_time is not None:
        if time_horizon is None:
            raise ConfigError(
                "data.horizon_time",
                "expected the time of every row to measure the horizon, received none",
            )
        entity = layout.entity_of_rows()
        owner = entity[end_rows]
        entity_last = layout.starts[owner] + layout.lengths[owner] - 1
        return time_horizon_labels(
            target,
            time_horizon.times,
            entity,
            entity_last,
            end_rows,
            time_horizon.horizon,
        )
    if config.framing == "window" and config.horizons is not None:
        return horizon_steps(target, layout, end_rows, config.horizons)
    if config.framing == "window" and config.horizon is None:
        return target[end_rows]
    if config.framing == "window" and config.task == "binary":
        return _horizon_labels(target, layout, end_rows, config.horizon)
    if config.framing == "window":
        return _shifted_labels(target, layout, end_rows, config.horizon)
    return _reduced_labels(target, end_rows, first_rows, config.label_reduction)


def _horizon_labels(
    target: np.ndarray, layout: EntityLayout, end_rows: np.ndarray, horizon: int
) -> np.ndarray:
    positive = np.nan_to_num(target, nan=0.0) >= 0.5
    cumulative = np.concatenate([[0], np.cumsum(positive)])
    entity = layout.entity_of_rows()[end_rows]
    entity_last = layout.starts[entity] + layout.lengths[entity] - 1
    look_to = np.minimum(end_rows + horizon, entity_last)
    events = cumulative[look_to + 1] - cumulative[end_rows + 1]
    return (events > 0).astype(np.float64)


def _shifted_labels(
    target: np.ndarray, layout: EntityLayout, end_rows: np.ndarray, horizon: int
) -> np.ndarray:
    """The target ``horizon`` rows after each end row, NaN beyond its entity."""
    entity = layout.entity_of_rows()[end_rows]
    entity_last = layout.starts[entity] + layout.lengths[entity] - 1
    label_rows = end_rows + horizon
    inside = label_rows <= entity_last
    labels = np.full(len(end_rows), np.nan)
    labels[inside] = target[label_rows[inside]]
    return labels


def horizon_steps(
    target: np.ndarray, layout: EntityLayout, end_rows: np.ndarray, horizons: int
) -> np.ndarray:
    """The target at each of the ``horizons`` rows after each end row.

    Column ``h - 1`` holds step ``h``; NaN beyond the entity's last row.

    >>> layout = EntityLayout(np.array([0, 4]), np.array([4, 2]), np.array(["a", "b"]))
    >>> horizon_steps(np.arange(6.0), layout, np.array([1, 4]), 2).tolist()
    [[2.0, 3.0], [5.0, nan]]
    """
    return np.stack(
        [
            _shifted_labels(target, layout, end_rows, step)
            for step in range(1, horizons + 1)
        ],
        axis=1,
    ).reshape(len(end_rows), horizons)


def _reduced_labels(
    target: np.ndarray, end_rows: np.ndarray, first_rows: np.ndarray, reduction: str
) -> np.ndarray:
    if reduction == "last":
        return target[end_rows]
    if reduction == "first":
        return target[first_rows]
    reducer = {"max": np.nanmax, "min": np.nanmin, "mean": np.nanmean}[reduction]
    labels = np.empty(len(end_rows))
    for i, (first, last) in enumerate(zip(first_rows, end_rows, strict=True)):
        values = target[first : last + 1]
        labels[i] = reducer(values) if (~np.isnan(values)).any() else np.nan
    return labels


def gather_batch(
    categorical: np.ndarray,
    numeric: np.ndarray,
    end_rows: np.ndarray,
    lengths: np.ndarray,
    width: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded arrays of one batch, built from row indices.

    Returns
    -------
    categorical : numpy.ndarray of int32, shape (batch, width, columns)
        Indices, 0 on padded steps.
    numeric : numpy.ndarray of float32, shape (batch, width, features)
        Features, 0 on padded steps.
    mask : numpy.ndarray of bool, shape (batch, width)
        True on real steps, which come first (right padding).
    """
    steps = np.arange(width)
    mask = steps[None, :] < lengths[:, None]
    rows = (end_rows - lengths + 1)[:, None] + steps[None, :]
    rows = np.where(mask, rows, 0)
    batch_categorical = categorical[rows] * mask[:, :, None]
    batch_numeric = numeric[rows] * mask[:, :, None]
    return (
        batch_categorical.astype(np.int32, copy=False),
        batch_numeric.astype(np.float32, copy=False),
        mask,
    )
