"""From a user's table to encoded rows and example indices, ready for a model.

:func:`prepare_experiment` orders rows, splits them (before anything is
fitted), fits the preprocessor on the training rows only, encodes every row once
and lists the examples of each part. :func:`prepare_prediction` does the same for
new data with an already fitted preprocessor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig
from core.data.columns import require_columns
from core.data.derived_target import apply_derived_target, has_target_sources
from core.data.values import parse_numbers
from core.errors import DataValidationError
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
from core.examples.time_horizon import (
    TimeHorizon,
    censored_note,
    censored_prediction_notes,
    time_horizon,
    time_unit_note,
    training_time_unit,
)
from core.features.derived import derive_features, derived_columns, input_config
from core.features.preprocessor import EncodedTable, SequencePreprocessor
from core.features.vocabulary import MISSING_KEY, category_keys

#: Default ceiling on the memory one preparation may use (encoded rows + a batch).
DEFAULT_MEMORY_LIMIT_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class PreparedData:
    """Encoded rows of a table and the examples built from them.

    Attributes
    ----------
    preprocessor : SequencePreprocessor
        Fitted preprocessor (on the training part only).
    encoded : EncodedTable
        Every row, sorted by entity and time, encoded once.
    layout : EntityLayout
        Entity boundaries in the sorted rows.
    entity_of_row : numpy.ndarray
        Entity identifier of every sorted row.
    time_of_row : numpy.ndarray or None
        Time value of every sorted row.
    parts : dict of str to Examples
        ``"train"``, ``"validation"``, ``"test"`` (or ``"all"`` for prediction).
    notes : list of str
        Automatic fixes and dropped examples, for the user to read.
    target_of_row : numpy.ndarray or None
        Encoded target of every sorted row (for the persistence baseline);
        ``None`` when the data has no target.
    """

    preprocessor: SequencePreprocessor
    encoded: EncodedTable
    layout: EntityLayout
    entity_of_row: np.ndarray
    time_of_row: np.ndarray | None
    parts: dict[str, Examples]
    notes: list[str] = field(default_factory=list)
    target_of_row: np.ndarray | None = None


@dataclass(frozen=True)
class ExperimentPlan:
    """Rows in order, entities and split of an experiment, before anything is fitted.

    Attributes
    ----------
    frame : pandas.DataFrame
        Rows sorted by entity and time.
    layout : EntityLayout
        Entity boundaries in ``frame``.
    row_parts : numpy.ndarray of int8
        Part (train 0, validation 1, test 2) of every sorted row.
    notes : list of str
        Automatic fixes, for the user to read.
    time_unit : str or None
        The resolved ``DataConfig.time_unit`` (read from the training rows
        when ``"auto"``) where time inputs or ``horizon_time`` need one.
    """

    frame: pd.DataFrame
    layout: EntityLayout
    row_parts: np.ndarray
    notes: list[str]
    time_unit: str | None = None

    def data_config(self, data: DataConfig) -> DataConfig:
        """``data`` with its time unit resolved, as the preprocessor keeps it."""
        if self.time_unit is None or self.time_unit == data.time_unit:
            return data
        return dataclasses.replace(data, time_unit=self.time_unit)

    @property
    def train_rows(self) -> pd.DataFrame:
        """The rows anything may be fitted on."""
        return self.frame[self.row_parts == TRAIN]


def estimate_memory_bytes(rows: int, config: ExperimentConfig) -> int:
    """Bytes for the encoded rows plus a few padded batches (inputs, mask).

    Every feature is counted twice (a numeric column may get a missing-value
    flag), so the estimate is an upper bound known before anything is fitted.
    """
    derived = len(derived_columns(config.data))
    features = (len(config.data.feature_columns) + derived) * 2
    encoded = rows * features * 4
    width = config.data.sequence_width
    batch = config.train.batch_size * width * (features * 4 + 1)
    return int(encoded + 4 * batch)


def check_memory(rows: int, config: ExperimentConfig, limit: int | None) -> None:
    """Refuse, before building anything, data whose tensors would exceed ``limit``."""
    if limit is None:
        return
    needed = estimate_memory_bytes(rows, config)
    if needed > limit:
        raise DataValidationError(
            None,
            f"expected tensors within the memory limit of {limit / 1024**3:.1f} GiB, "
            f"received data needing about {needed / 1024**3:.1f} GiB; use fewer "
            "rows, a smaller window or batch size",
        )


def _row_keys(
    frame: pd.DataFrame, config: DataConfig
) -> tuple[np.ndarray, np.ndarray | None]:
    if config.id_column is None:
        entity = np.full(len(frame), "all", dtype=object)
    else:
        entity = frame[config.id_column].to_numpy()
    time = None if config.time_column is None else frame[config.time_column].to_numpy()
    return entity, time


def _validate_indices(
    encoded: EncodedTable, preprocessor: SequencePreprocessor
) -> None:
    """Reject indices outside a vocabulary (on GPU they would silently embed zeros)."""
    for position, column in enumerate(preprocessor.config.categorical_names):
        values = encoded.categorical[:, position]
        if len(values) and (
            values.min() < 1 or values.max() >= preprocessor.input_dims_[column]
        ):
            raise DataValidationError(
                column,
                f"expected indices in [1, {preprocessor.input_dims_[column]}), "
                f"received [{values.min()}, {values.max()}]",
            )


def _labelled_examples(
    target: np.ndarray | None,
    layout: EntityLayout,
    row_parts: np.ndarray,
    part: int,
    config: DataConfig,
    purge: int,
    drop_unlabelled: bool = True,
    raw_target: np.ndarray | None = None,
    clock: TimeHorizon | None = None,
    purge_time: bool = False,
) -> tuple[Examples, int]:
    """Examples of one part and how many were dropped for an unknown label.

    ``clock`` (with ``horizon_time``) labels by time; ``purge_time`` purges
    the part's windows by it.
    """
    end_rows, lengths, first_rows = example_positions(
        layout, row_parts, part, config, purge, clock if purge_time else None
    )
    if target is None:
        return Examples(end_rows, lengths, None), 0
    labels = example_labels(target, layout, end_rows, first_rows, config, clock)
    actual = None
    if raw_target is not None:
        actual = example_labels(raw_target, layout, end_rows, first_rows, config, clock)
    examples = Examples(end_rows, lengths, labels, actual)
    if not drop_unlabelled:
        return examples, 0
    known = examples.known()
    return examples.subset(known), int((~known).sum())


def series_scaled(
    examples: Examples,
    encoded: EncodedTable,
    preprocessor: SequencePreprocessor,
    target: np.ndarray | None = None,
) -> Examples:
    """``examples`` with the centre and scale their labels are learnt around.

    With per-series target scaling: each window's series centre and scale,
    taken at its last row (known at forecast time). With ``target_change``:
    the centre is the window's last target value (``target``, encoded per
    row), so the model learns the change from persistence's forecast. Both are
    in encoded target units. Without either, ``examples`` unchanged.
    """
    data = preprocessor.config
    if encoded.series_center is None and not data.target_change:
        return examples
    rows = examples.end_rows
    center, scale = np.zeros(len(rows)), np.ones(len(rows))
    if encoded.series_center is not None:
        encoder = preprocessor.target_encoder_
        center = (encoded.series_center[rows] - encoder.mean_) / encoder.std_
        scale = encoded.series_scale[rows] / encoder.std_
    if data.target_change:
        center = _last_target(center, target, rows, data)
    return replace(examples, label_center=center, label_scale=scale)


def _last_target(
    center: np.ndarray, target: np.ndarray | None, rows: np.ndarray, data: DataConfig
) -> np.ndarray:
    """Each window's last target value; ``center`` where it is missing."""
    if target is None:
        raise DataValidationError(
            data.target_column,
            "expected the target's past in the table (the model predicts the "
            "change from each window's last target value), received no such column",
        )
    last = np.asarray(target[rows], dtype=np.float64)
    return np.where(np.isnan(last), center, last)


def _raw_regression_target(
    series: pd.Series, preprocessor: SequencePreprocessor
) -> np.ndarray | None:
    """Regression targets in their own units (capped as trained), else None."""
    if preprocessor.config.task != "regression":
        return None
    return preprocessor.target_encoder_.raw_values(series)


def plan_experiment(
    df: pd.DataFrame,
    config: ExperimentConfig,
    memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
) -> ExperimentPlan:
    """Order, lay out and split the rows: everything before the first fit.

    Shared by :func:`prepare_experiment` and the pre-flight estimate
    (:func:`core.examples.advisor.preflight`), so both see the same examples.

    Raises
    ------
    DataValidationError
        If the tensors would exceed the memory limit, a column is missing, the
        order cannot be read or no rows are left for training.
    ConfigError
        If the target is derived and a column its expression reads is missing
        or holds values it cannot compare.
    """
    data = config.data
    check_memory(len(df), config, memory_limit_bytes)
    df = apply_derived_target(df, data)
    require_columns(df, (data.target_column, data.id_column, data.time_column))
    frame, notes = order_rows(df, data)
    layout = entity_layout(frame, data)
    longest = int(layout.lengths.max()) if layout.count else 0
    if data.framing == "window" and 0 < longest < data.window:
        notes.append(
            f"window {data.window} is longer than every sequence (longest "
            f"{longest} steps): each example is one padded, shorter window"
        )
    row_parts = split_rows(layout, config.split)
    train = row_parts == TRAIN
    time_unit = training_time_unit(frame[train], layout.entity_of_rows()[train], data)
    if time_unit is not None:
        notes.append(time_unit_note(data, time_unit))
    return ExperimentPlan(frame, layout, row_parts, notes, time_unit)


def plan_examples(
    plan: ExperimentPlan,
    config: ExperimentConfig,
    target: np.ndarray,
    raw_target: np.ndarray | None = None,
) -> tuple[dict[str, Examples], list[str]]:
    """Labelled examples of each part, and notes on those dropped.

    Parameters
    ----------
    plan : ExperimentPlan
        From :func:`plan_experiment`.
    config : ExperimentConfig
        The experiment.
    target : numpy.ndarray
        Encoded target of every sorted row (NaN where unusable).
    raw_target : numpy.ndarray, optional
        Regression target in its own units, for :attr:`Examples.actual`.

    Raises
    ------
    DataValidationError
        If no training example has a label.
    """
    data = config.data
    # With a time split, a training label's look-ahead must not see held-out rows
    # (validation labels may look into test rows: they only steer early stopping).
    time_split = config.split.method == "time"
    purge = data.horizon if (time_split and data.horizon) else 0
    clock = None
    if data.horizon_time is not None:
        clock = time_horizon(plan.frame, data, str(plan.time_unit))
    parts: dict[str, Examples] = {}
    notes = []
    for part, name in enumerate(PART_NAMES):
        examples, dropped = _labelled_examples(
            target,
            plan.layout,
            plan.row_parts,
            part,
            data,
            purge if part == TRAIN else 0,
            raw_target=raw_target,
            clock=clock,
            purge_time=time_split and part == TRAIN,
        )
        if part == VALIDATION and config.split.validation_windows == "last":
            examples = last_per_entity(examples, plan.layout)
        parts[name] = examples
        if dropped and clock is not None:
            notes.append(censored_note(name, dropped, data, str(plan.time_unit)))
        elif dropped:
            notes.append(
                f"{dropped} {name} example(s) dropped: label missing or unseen"
            )
    if len(parts["train"]) == 0:
        raise DataValidationError(
            data.target_column,
            "expected at least one training example with a label, received none",
        )
    return parts, notes


def prepare_experiment(
    df: pd.DataFrame,
    config: ExperimentConfig,
    memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
) -> PreparedData:
    """Split, fit the preprocessor on the training rows and build all examples.

    Parameters
    ----------
    df : pandas.DataFrame
        Long-format data, one row per entity per time step.
    config : ExperimentConfig
        The experiment.
    memory_limit_bytes : int or None
        Refuse data whose tensors are estimated above this; ``None`` disables.

    Returns
    -------
    PreparedData
        With parts ``"train"``, ``"validation"`` and ``"test"``.

    Raises
    ------
    DataValidationError
        If columns are missing, values are of the wrong kind, or no training
        example remains.
    """
    data = config.data
    plan = plan_experiment(df, config, memory_limit_bytes)
    # Derived inputs are causal per entity, so deriving before the split leaks
    # nothing; the preprocessor is still fitted on the training rows only. It
    # keeps the resolved time unit, so a new file is counted in the same one.
    inputs = input_config(plan.data_config(data))
    frame = derive_features(plan.frame, inputs)
    preprocessor = SequencePreprocessor(inputs).fit(frame[plan.row_parts == TRAIN])
    encoded = preprocessor.transform(frame)
    _validate_indices(encoded, preprocessor)
    series = frame[data.target_column]
    target = preprocessor.encode_target(series)
    raw = _raw_regression_target(series, preprocessor)
    parts, dropped = plan_examples(plan, config, target, raw)
    parts = {
        name: series_scaled(ex, encoded, preprocessor, target)
        for name, ex in parts.items()
    }
    entity, time = _row_keys(frame, data)
    return PreparedData(
        preprocessor,
        encoded,
        plan.layout,
        entity,
        time,
        parts,
        plan.notes + dropped,
        target,
    )


#: Fewer scored examples than this give metrics too noisy to judge a model by.
MIN_SCORED_EXAMPLES = 30


def _usable_target(
    series: pd.Series, preprocessor: SequencePreprocessor
) -> tuple[pd.Series, list[str]]:
    """A new file's target with unusable values missing, and a note naming them.

    Those rows are still predicted; they are only left out of the metrics.
    """
    column = preprocessor.config.target_column
    if preprocessor.config.task == "regression":
        parsed = parse_numbers(series)
        if not parsed.failed:
            return series, []
        shown = ", ".join(repr(value) for value in list(parsed.failed)[:5])
        note = (
            f"target {column!r}: {parsed.failed_rows} row(s) hold text that is not "
            f"a number ({shown}); they are predicted but left out of the metrics"
        )
        return pd.Series(parsed.values, index=series.index, name=series.name), [note]
    classes = set(preprocessor.target_encoder_.classes_)
    codes, keys = category_keys(series)
    unseen = [key for key in dict.fromkeys(keys[codes]) if key not in classes]
    unseen = [key for key in unseen if key != MISSING_KEY]
    if not unseen:
        return series, []
    rows = int(np.isin(keys[codes], unseen).sum())
    shown = ", ".join(repr(key) for key in unseen[:5])
    return series, [
        f"target {column!r}: {rows} row(s) hold classes never seen in training "
        f"({shown}); they are predicted but left out of the metrics"
    ]


def _scored_notes(examples: Examples) -> list[str]:
    """A caveat when the metrics rest on only a handful of labelled examples."""
    if examples.labels is None:
        return []
    scored = int(examples.known().sum())
    if 0 < scored < MIN_SCORED_EXAMPLES:
        return [
            f"metrics rest on only n = {scored} labelled example(s): too few to "
            "judge or compare models (the metrics can swing widely with one more "
            "example); score more rows, or all examples rather than the latest"
        ]
    return []


def _derived_target_notes(df: pd.DataFrame, data: DataConfig) -> list[str]:
    """Why a new file without the columns a derived target reads has no metrics."""
    if data.derive_target is None or has_target_sources(df, data):
        return []
    return [
        f"target {data.target_column!r} is derived from {data.derive_target!r}, "
        "whose columns this file lacks: it is predicted without metrics"
    ]


def prepare_prediction(
    df: pd.DataFrame, preprocessor: SequencePreprocessor, last_only: bool = False
) -> PreparedData:
    """Encode new data with a fitted preprocessor and list its examples.

    Parameters
    ----------
    df : pandas.DataFrame
        Long-format data; the target column is optional (for a derived
        target, the columns its expression reads are: without them the
        examples have no labels).
    preprocessor : SequencePreprocessor
        Fitted on the training data.
    last_only : bool
        Keep only each entity's most recent example.

    Returns
    -------
    PreparedData
        With the single part ``"all"``; labels when the target is present.
    """
    data = preprocessor.config
    notes = _derived_target_notes(df, data)
    frame, order_notes = order_rows(
        apply_derived_target(df, data, required=False), data
    )
    notes += order_notes
    layout = entity_layout(frame, data)
    frame = derive_features(frame, data)
    encoded = preprocessor.transform(frame)
    _validate_indices(encoded, preprocessor)
    target = raw = None
    if data.target_column in frame.columns:
        series, target_notes = _usable_target(frame[data.target_column], preprocessor)
        notes += target_notes
        target = preprocessor.encode_target(series)
        raw = _raw_regression_target(series, preprocessor)
    row_parts = np.zeros(len(frame), dtype=np.int8)
    clock = None
    if data.horizon_time is not None and target is not None:
        clock = time_horizon(frame, data, data.time_unit)
    # Every example gets a prediction; an unknown label is just not scored.
    examples, _ = _labelled_examples(
        target,
        layout,
        row_parts,
        0,
        data,
        0,
        drop_unlabelled=False,
        raw_target=raw,
        clock=clock,
    )
    if clock is not None:
        notes += censored_prediction_notes(int((~examples.known()).sum()), data)
    examples = series_scaled(examples, encoded, preprocessor, target)
    if last_only and len(examples):
        entity = layout.entity_of_rows()[examples.end_rows]
        is_last = np.append(entity[1:] != entity[:-1], True)
        examples = examples.subset(is_last)
    entity, time = _row_keys(frame, data)
    for column, count in encoded.unknown_counts.items():
        if count:
            notes.append(f"column '{column}': {count} row(s) with unseen categories")
    notes += _scored_notes(examples)
    return PreparedData(
        preprocessor, encoded, layout, entity, time, {"all": examples}, notes, target
    )
