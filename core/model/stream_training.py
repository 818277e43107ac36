"""Training from a Parquet dataset chunk by chunk: a ``tf.data`` pipeline for ``fit``.

Each epoch re-reads the shards: every chunk of whole entities is encoded, its
training windows listed (:func:`core.examples.stream_passes.prepare_chunk`) and
served in
shuffled batches by :class:`core.model.batches.ExampleBatches`; a shuffle buffer of
batches mixes neighbouring chunks. Only one chunk, its encoded rows and the
buffer are in memory at a time, so memory follows the budget, not the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import keras
import numpy as np
import tensorflow as tf

from core.config import ExperimentConfig
from core.data.parquet import DatasetSource
from core.examples.prepare import PreparedData
from core.examples.stream_passes import FitReport, StreamOptions, chunks, prepare_chunk
from core.features.naming import MASK_INPUT, NUMERIC_INPUT, categorical_input_name
from core.features.preprocessor import SequencePreprocessor
from core.model.batches import ExampleBatches
from core.model.network import member_count, training_view
from core.model.training import (
    CancelToken,
    FitHooks,
    ProgressEvent,
    TrainingResult,
    fit_and_collect,
    make_batches,
)

#: Batches held in the shuffle buffer that mixes neighbouring chunks.
SHUFFLE_BUFFER_BATCHES = 32


def keep_fraction(
    report: FitReport, config: ExperimentConfig, limit: int | None
) -> float:
    """Share of training windows to keep so an epoch has about ``limit`` windows."""
    if limit is None:
        return 1.0
    estimate = report.train_rows / max(config.data.stride, 1)
    if config.data.framing == "sequence":
        estimate = report.entities
    return min(1.0, limit / max(estimate, 1.0))


def batch_generator(
    source: DatasetSource,
    preprocessor: SequencePreprocessor,
    config: ExperimentConfig,
    options: StreamOptions,
    fraction: float = 1.0,
) -> Callable[[], Iterator[tuple]]:
    """A re-startable generator of training batches (one full pass per call)."""
    data = config.data
    epoch = [0]

    def generate() -> Iterator[tuple]:
        rng = np.random.default_rng([config.train.seed, epoch[0]])
        epoch[0] += 1
        for chunk in chunks(source, config, options):
            prepared = prepare_chunk(chunk, preprocessor, config)
            examples = prepared.parts["train"]
            if fraction < 1.0:
                examples = examples.subset(rng.random(len(examples)) < fraction)
            if len(examples) == 0:
                continue
            batches = ExampleBatches(
                prepared.encoded,
                examples,
                data.categorical_names,
                data.sequence_width,
                config.train.batch_size,
                shuffle=True,
                seed=int(rng.integers(2**31)),
                category_dropout=config.model.category_dropout,
            )
            for index in range(len(batches)):
                yield batches[index]

    return generate


def training_dataset(
    generate: Callable[[], Iterator[tuple]],
    preprocessor: SequencePreprocessor,
    config: ExperimentConfig,
):
    """``tf.data.Dataset`` of ``(inputs, labels)`` batches with a shuffle buffer."""
    width = config.data.sequence_width
    inputs = {
        categorical_input_name(name): tf.TensorSpec((None, width), tf.int32)
        for name in config.data.categorical_names
    }
    features = len(preprocessor.numeric_feature_names)
    if features:
        inputs[NUMERIC_INPUT] = tf.TensorSpec((None, width, features), tf.float32)
    inputs[MASK_INPUT] = tf.TensorSpec((None, width), tf.bool)
    # Several horizons: one label per step predicted.
    labels = (None,) if config.data.horizons is None else (None, config.data.horizons)
    signature = (inputs, tf.TensorSpec(labels, tf.float32))
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.shuffle(SHUFFLE_BUFFER_BATCHES, seed=config.train.seed).prefetch(2)


def fit_stream(
    model: keras.Model,
    dataset: object,
    sample: PreparedData,
    config: ExperimentConfig,
    batches_per_epoch: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> TrainingResult:
    """Fit on the streamed batches with early stopping on the held-out sample.

    As :func:`core.model.training.train_model`, with the training part read from
    ``dataset`` and validation from ``sample``.

    Raises
    ------
    TrainingError
        If the loss became NaN or infinite.
    """
    keras.utils.set_random_seed(config.train.seed)
    has_validation = len(sample.parts["validation"]) > 0
    validation = make_batches(sample, "validation", config) if has_validation else None
    hooks = FitHooks(callbacks, cancel, progress, batches_per_epoch)
    copies = member_count(model)
    if copies > 1:
        # An ensemble's members each have an output: the labels come per member.
        dataset = dataset.map(lambda inputs, labels: (inputs, (labels,) * copies))
        if validation is not None:
            validation.label_copies = copies
    fitted = training_view(model, sample.preprocessor, masked=True)
    return fit_and_collect(model, dataset, validation, config, hooks, fitted=fitted)


def batches_estimate(
    report: FitReport, config: ExperimentConfig, fraction: float
) -> int:
    """Approximate training batches per epoch, for progress bars."""
    windows = report.train_rows / max(config.data.stride, 1)
    if config.data.framing == "sequence":
        windows = report.entities * report.train_rows / max(report.rows, 1)
    return max(1, math.ceil(windows * fraction / config.train.batch_size))
