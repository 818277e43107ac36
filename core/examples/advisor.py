"""Advice before training: embedding sizes, a value audit and a pre-flight estimate.

Everything here is cheap (no TensorFlow import, no model built), so the
configure page can show it on every change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.config import DataConfig, ExperimentConfig, ModelConfig
from core.data.time_units import AUTO_UNIT
from core.data.validation import validate_against
from core.examples.leaks import find_likely_leaks, likely_leak_text
from core.examples.prepare import (
    DEFAULT_MEMORY_LIMIT_BYTES,
    ExperimentPlan,
    estimate_memory_bytes,
    plan_examples,
    plan_experiment,
)
from core.examples.time_horizon import time_unit_note
from core.examples.unseen import find_unseen_categories, unseen_categories_text
from core.features.embedding_sizes import (
    RULE_DESCRIPTIONS,
    RULES,
    embedding_parameters,
    suggest_embedding_dim,
)
from core.features.numeric import to_numeric_values
from core.features.target import TargetEncoder
from core.features.vocabulary import (
    FIRST_CATEGORY_INDEX,
    MISSING_KEY,
    UNKNOWN_INDEX,
    build_vocabulary,
    key_counts,
)

#: The epoch-time rule before this machine has finished a run to calibrate it:
#: a fixed cost per epoch (tracing, validation, callbacks: what small runs
#: mostly spend) plus seconds per unit of training work (trainable parameters x
#: time steps x training examples, see :func:`training_work`). Fitted to runs on
#: the 2-core development machine; the old rule (6 multiply-adds per LSTM weight
#: at 2 GFLOP/s, no fixed cost) was 6 to 24 times too high.
DEFAULT_EPOCH_OVERHEAD_SECONDS = 0.6
DEFAULT_SECONDS_PER_WORK = 3e-10
#: Uncalibrated, the estimate is shown as this factor either side of it.
UNCALIBRATED_SPREAD = 3.0
#: Calibrated, the range is at least this factor either side of the estimate.
CALIBRATED_SPREAD = 1.5
#: Finished runs of the nearest size that calibrate an estimate.
CALIBRATION_RUNS = 5


@dataclass(frozen=True)
class EpochSample:
    """A finished run's size and its measured time per epoch.

    Attributes
    ----------
    work : float
        :func:`training_work` of the run.
    seconds_per_epoch : float
        Training seconds divided by the epochs run.
    """

    work: float
    seconds_per_epoch: float


def training_work(parameters: int, steps: int, train_examples: int) -> float:
    """Work of one epoch: every weight touched at every step of every example."""
    return float(max(parameters, 1)) * max(steps, 1) * max(train_examples, 1)


def epoch_examples(config: ExperimentConfig, examples: Mapping[str, int]) -> int:
    """Examples one epoch trains on: a bagged ensemble (``train.bagging``) pools
    the validation examples with the training ones."""
    count = int(examples.get("train") or 0)
    if config.train.bagging:
        count += int(examples.get("validation") or 0)
    return count


def epoch_sample(
    config: ExperimentConfig, metrics: Mapping[str, Any]
) -> EpochSample | None:
    """The sample one encoding's results give, or None when they cannot.

    Parameters
    ----------
    config : ExperimentConfig
        The run's configuration (for its time steps per example).
    metrics : mapping
        One encoding's results: ``training`` (``seconds``, ``epochs_run``),
        ``parameters`` (``total``) and ``examples`` (``train``), as
        :func:`core.model.experiment.result_of` writes them.
    """
    training = metrics.get("training") or {}
    seconds, epochs = training.get("seconds"), training.get("epochs_run")
    parameters = (metrics.get("parameters") or {}).get("total")
    examples = epoch_examples(config, metrics.get("examples") or {})
    if not (seconds and epochs and parameters and examples):
        return None  # a gradient-boosting arm, a cancelled run, an older record
    work = training_work(int(parameters), config.data.sequence_width, examples)
    return EpochSample(work, float(seconds) / int(epochs))


def default_epoch_seconds(work: float) -> float:
    """The uncalibrated rule: fixed cost per epoch plus a rate per unit of work."""
    return DEFAULT_EPOCH_OVERHEAD_SECONDS + DEFAULT_SECONDS_PER_WORK * work


def epoch_seconds_range(
    work: float, samples: Sequence[EpochSample] = ()
) -> tuple[float, float, float]:
    """Low, central and high epoch time for ``work`` units of training.

    Finished runs scale the default rule (:func:`default_epoch_seconds`) by how
    much faster or slower this machine was than the rule on the runs closest in
    size: fixed costs dominate small runs, so a single factor on the whole rule
    carries over between sizes where a bare rate per unit of work did not.
    Without any, the rule itself and a wide range.
    """
    usable = [sample for sample in samples if sample.work > 0]
    central = default_epoch_seconds(work)
    if not usable:
        return (central / UNCALIBRATED_SPREAD, central, central * UNCALIBRATED_SPREAD)
    nearest = sorted(usable, key=lambda sample: abs(np.log(sample.work / work)))
    factors = [
        sample.seconds_per_epoch / default_epoch_seconds(sample.work)
        for sample in nearest[:CALIBRATION_RUNS]
    ]
    scaled = central * float(np.median(factors))
    low = min(central * min(factors), scaled / CALIBRATED_SPREAD)
    high = max(central * max(factors), scaled * CALIBRATED_SPREAD)
    return (low, scaled, high)


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


#: Fewer training examples than this cannot teach an LSTM anything meaningful.
MIN_TRAINING_EXAMPLES = 50
#: Fewer held-out examples than this give metrics that are mostly noise.
MIN_HELD_OUT_EXAMPLES = 20


@dataclass(frozen=True)
class Preflight:
    """Size of a run before any tensor is built.

    Attributes
    ----------
    examples : dict of str to int
        Labelled examples per part (train, validation, test), as training will
        see them.
    memory_bytes : int
        Encoded rows plus a few padded batches (the estimate the memory limit
        is checked against).
    embedding_parameters : dict of str to int
        Trainable weights per embedding table.
    other_parameters : int
        LSTM and head weights.
    rough_epoch_seconds : float
        Estimated epoch time on this machine (:func:`epoch_seconds_range`).
    epoch_seconds_range : tuple of float
        Low and high ends of that estimate.
    calibrated : bool
        Whether finished runs on this machine calibrated the estimate.
    warnings : tuple of str
        What :func:`core.data.validation.validate_against` will repair or ignore,
        parts with too few examples to train or evaluate, a time unit read
        from the data, windows dropped as censored by ``horizon_time``,
        categories the held-out rows hold and training never sees, and likely
        leaks (:func:`plan_warnings`).
    """

    examples: dict[str, int]
    memory_bytes: int
    embedding_parameters: dict[str, int]
    other_parameters: int
    rough_epoch_seconds: float
    warnings: tuple[str, ...] = ()
    epoch_seconds_range: tuple[float, float] = (0.0, 0.0)
    calibrated: bool = False


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


def _head_parameters(model: ModelConfig, outputs: int) -> int:
    """Optional hidden layer, then one output unit per class (multiclass) or one."""
    top = model.lstm_units[-1] * (2 if model.bidirectional else 1)
    hidden = (top + 1) * model.dense_units
    return hidden + ((model.dense_units or top) + 1) * outputs


def _indicator_count(train_rows: pd.DataFrame, data: DataConfig) -> int:
    """Numeric columns that get a missing-value flag: those missing in training."""
    if not data.missing_indicators:
        return 0
    return sum(
        bool(np.isnan(to_numeric_values(train_rows[column], column)).any())
        for column in data.numeric_columns
    )


def _embedding_widths(
    train_rows: pd.DataFrame, config: ExperimentConfig
) -> tuple[dict[str, int], int]:
    """Trainable weights per embedding table and their total input width."""
    data = config.data
    embedding: dict[str, int] = {}
    width = 0
    for spec in data.categorical_columns:
        cardinality = len(
            build_vocabulary(
                key_counts(train_rows[spec.name]),
                data.min_category_count,
                data.max_categories,
            )
        )
        if config.model.encoding == "onehot":
            dimension, trainable = cardinality + 2, 0
        else:
            dimension = spec.embedding_dim or suggest_embedding_dim(cardinality)
            trainable = embedding_parameters(cardinality, dimension)
        embedding[spec.name] = trainable
        width += dimension
    return embedding, width


def size_warnings(examples: dict[str, int], config: ExperimentConfig) -> list[str]:
    """Parts with too few examples to train or evaluate, and what to change.

    Parameters
    ----------
    examples : dict of str to int
        Labelled examples per part.
    config : ExperimentConfig
        The experiment (its framing and split decide the advice).

    Returns
    -------
    list of str
        One warning per part that is too small; empty when all are fine.
    """
    data, split = config.data, config.split
    advice = []
    if data.framing == "sequence":
        advice.append(
            "use sliding windows (framing 'window') to cut many examples from "
            "each entity"
        )
    if split.method == "entity":
        advice.append(
            "split by time, so every entity contributes to training, validation "
            "and test"
        )
    if not advice:
        advice.append("use a smaller stride, a shorter window or more data")
    remedy = "; ".join(advice)
    warnings = []
    if examples["train"] < MIN_TRAINING_EXAMPLES:
        warnings.append(
            f"only {examples['train']} training example(s): too few to train "
            f"anything meaningful (at least {MIN_TRAINING_EXAMPLES} advised); " + remedy
        )
    wanted = {
        "validation": split.validation_fraction,
        "test": split.test_fraction,
    }
    for part, fraction in wanted.items():
        if fraction > 0 and examples[part] < MIN_HELD_OUT_EXAMPLES:
            warnings.append(
                f"only {examples[part]} {part} example(s): too few for "
                f"meaningful {part} metrics (at least {MIN_HELD_OUT_EXAMPLES} "
                "advised); " + remedy
            )
    return warnings


def _time_notes(plan: ExperimentPlan, data: DataConfig, dropped: list[str]) -> list:
    """The inferred time unit and the censored windows of a horizon in time.

    A unit read from the data decides what "90" means in ``horizon_time``:
    worth a look before training.
    """
    notes = []
    if plan.time_unit not in (None, AUTO_UNIT) and data.time_unit == AUTO_UNIT:
        notes.append(time_unit_note(data, str(plan.time_unit)))
    if data.horizon_time is not None:
        notes += dropped
    return notes


def plan_warnings(
    plan: ExperimentPlan, config: ExperimentConfig, target: np.ndarray
) -> list[str]:
    """Unseen held-out categories and likely leaks of a planned experiment.

    Parameters
    ----------
    plan : ExperimentPlan
        From :func:`core.examples.prepare.plan_experiment`.
    config : ExperimentConfig
        The experiment.
    target : numpy.ndarray
        Encoded target of every row of ``plan.frame``.

    Returns
    -------
    list of str
        One warning per finding of
        :func:`core.examples.unseen.find_unseen_categories` and
        :func:`core.examples.leaks.find_likely_leaks`.
    """
    unseen = find_unseen_categories(plan, config)
    leaks = find_likely_leaks(plan, config, target)
    return [unseen_categories_text(finding) for finding in unseen] + [
        likely_leak_text(leak, config.data.target_column) for leak in leaks
    ]


def _fitted_target(
    plan: ExperimentPlan, data: DataConfig
) -> tuple[TargetEncoder, np.ndarray]:
    """The target encoder fitted on the training rows, and every row encoded."""
    encoder = TargetEncoder(data.task, data.target_column, data.target_cap)
    encoder.fit(plan.train_rows[data.target_column])
    return encoder, encoder.transform(plan.frame[data.target_column])


def data_warnings(df: pd.DataFrame, config: ExperimentConfig) -> list[str]:
    """:func:`plan_warnings` straight from a table, as the command line prints them.

    Raises
    ------
    DataValidationError
        As :func:`core.examples.prepare.plan_experiment`.
    """
    plan = plan_experiment(df, config, memory_limit_bytes=None)
    _, target = _fitted_target(plan, config.data)
    return plan_warnings(plan, config, target)


def preflight(
    df: pd.DataFrame,
    config: ExperimentConfig,
    memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES,
    samples: Sequence[EpochSample] = (),
) -> Preflight:
    """Count examples and estimate memory, parameters and epoch time.

    The rows are ordered, split and labelled by the same plan training uses
    (:func:`core.examples.prepare.plan_experiment`), so the counts are the ones training
    will see. ``samples`` (from :func:`epoch_sample` over this machine's
    finished runs) calibrate the epoch time.

    Raises
    ------
    DataValidationError
        Naming the column, if the data cannot be trained on (as
        :func:`core.data.validation.validate_against`), or when the run would exceed
        ``memory_limit_bytes``.
    """
    data, model = config.data, config.model
    # Refuse unusable data here, on the configure step, not after training starts.
    warnings = validate_against(data, df)
    plan = plan_experiment(df, config, memory_limit_bytes)
    train_rows = plan.train_rows
    encoder, target = _fitted_target(plan, data)
    parts, dropped = plan_examples(plan, config, target)
    warnings += _time_notes(plan, data, dropped)
    examples = {name: len(part) for name, part in parts.items()}
    embedding, embedding_width = _embedding_widths(train_rows, config)
    input_width = (
        len(data.numeric_columns) + _indicator_count(train_rows, data) + embedding_width
    )
    recurrent = _lstm_parameters(input_width, model.lstm_units, model.bidirectional)
    outputs = encoder.n_classes if data.task == "multiclass" else 1
    # Each member has its own recurrent layers and head (the embeddings are shared).
    other = (recurrent + _head_parameters(model, outputs)) * model.members
    work = training_work(
        sum(embedding.values()) + other,
        data.sequence_width,
        epoch_examples(config, examples),
    )
    low, central, high = epoch_seconds_range(work, samples)
    return Preflight(
        examples=examples,
        memory_bytes=estimate_memory_bytes(len(df), config),
        embedding_parameters=embedding,
        other_parameters=other,
        rough_epoch_seconds=round(central, 2),
        warnings=tuple(
            warnings
            + size_warnings(examples, config)
            + plan_warnings(plan, config, target)
        ),
        epoch_seconds_range=(round(low, 2), round(high, 2)),
        calibrated=bool(samples),
    )
