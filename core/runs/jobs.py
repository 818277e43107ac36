"""Training a run's arms inside its training process: one path per job.

Every arm of a run ends the same way, whether its examples were prepared in
memory or streamed from a dataset, and whether it is a network or the
gradient-boosting arm: :func:`save_arm_outputs` writes its held-out
predictions, metrics and history. Every network arm is trained, evaluated and
saved by :func:`train_network_arm`; only the fit differs (in memory, or a
stream of batches). The worker (:mod:`core.runs.worker`) imports this module
once the data is ready: it brings TensorFlow and Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from core.config import ExperimentConfig
from core.errors import ConfigError
from core.examples.prepare import PreparedData
from core.examples.stream_passes import FitReport, fit_streaming, held_out_sample
from core.model.bundle import bundle_from_result, save_bundle
from core.model.evaluation import configured_prediction_table
from core.model.experiment import (
    fit_prepared,
    result_of,
    training_scores,
    with_encoding,
)
from core.model.gbm_arm import GBM_ENCODING, train_gbm_arm
from core.model.network import build_model
from core.model.run_logging import (
    EmbeddingSnapshots,
    TensorBoardScalars,
    write_projector,
)
from core.model.stream_training import (
    batch_generator,
    batches_estimate,
    fit_stream,
    keep_fraction,
    training_dataset,
)
from core.model.training import ProgressEvent, TrainingResult
from core.runs.dataset_run import read_reference
from core.runs.outputs import save_predictions
from core.runs.progress import FileCancelToken, Phase, ProgressWriter
from core.runs.store import RunRecord, RunStore

#: Fits one network arm: (its config, the callbacks to pass) -> the result.
Fit = Callable[[ExperimentConfig, list[keras.callbacks.Callback]], TrainingResult]


def configure_tensorflow() -> None:
    """Deterministic kernels on CPU, so concurrent and solo runs agree exactly."""
    if not tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()


@dataclass(frozen=True)
class ArmJob:
    """One arm of a run to train: which, where its outputs go, how it reports."""

    store: RunStore
    record: RunRecord
    encoding: str
    index: int
    progress: ProgressWriter
    cancel: FileCancelToken

    @property
    def config(self) -> ExperimentConfig:
        """The run's experiment with this arm's encoding (the LSTM arms')."""
        if self.encoding == GBM_ENCODING:
            return self.record.config  # no network: the config's encoding stays
        return with_encoding(self.record.config, self.encoding)

    def phase(self, phase: Phase) -> None:
        """Report a phase of this arm."""
        self.progress.phase(phase, encoding=self.encoding, index=self.index)

    def step_handler(self) -> Callable[[ProgressEvent], None]:
        """The progress handler of this arm's fit."""
        count = len(self.record.encodings)
        return self.progress.training_event(self.encoding, self.index, count)


def save_arm_outputs(
    job: ArmJob,
    evaluated: PreparedData,
    scores: dict[str, np.ndarray],
    metrics: dict[str, Any],
    history: dict[str, Any],
) -> None:
    """Write a trained arm's held-out predictions, metrics and history; then
    report it ``saved``.

    Parameters
    ----------
    job : ArmJob
        The arm.
    evaluated : PreparedData
        The examples it was evaluated on (held-out parts).
    scores : dict of str to numpy.ndarray
        Its raw outputs per held-out part.
    metrics, history : dict
        What :meth:`RunStore.save_result` records for it.
    """
    for part, part_scores in scores.items():
        table = configured_prediction_table(
            evaluated, part, part_scores, job.config, metrics
        )
        labels = evaluated.parts[part].labels
        save_predictions(
            job.store, job.record.id, job.encoding, part, table, labels, part_scores
        )
    job.store.save_result(job.record.id, job.encoding, metrics, history)
    job.phase(Phase.SAVED)


def train_network_arm(
    job: ArmJob,
    evaluated: PreparedData,
    fit: Fit,
    embedding_logs: bool = True,
    extra_metrics: dict[str, Any] | None = None,
) -> None:
    """Fit one network arm, evaluate it on the held-out parts, save everything.

    Parameters
    ----------
    job : ArmJob
        The arm.
    evaluated : PreparedData
        The examples it is evaluated on.
    fit : callable
        Builds and fits the model (:data:`Fit`).
    embedding_logs : bool
        Keep the embedding model's matrices per epoch and its Embedding
        Projector files (in-memory runs do).
    extra_metrics : dict or None
        Sections added to the arm's metrics.
    """
    store, run_id, config = job.store, job.record.id, job.config
    board = store.tensorboard_dir(run_id, job.encoding)
    embedding_logs = embedding_logs and job.encoding == "embedding"
    callbacks: list[keras.callbacks.Callback] = [TensorBoardScalars(board)]
    if embedding_logs and config.data.categorical_names:
        snapshots = store.snapshots_dir(run_id, job.encoding)
        callbacks.append(EmbeddingSnapshots(snapshots, evaluated.preprocessor))
    job.phase(Phase.TRAINING)
    training = fit(config, callbacks)
    job.phase(Phase.EVALUATING)
    scores = training_scores(training, evaluated)
    result = result_of(evaluated, config, training, scores)
    result.metrics.update(extra_metrics or {})
    job.phase(Phase.SAVING)
    save_bundle(bundle_from_result(result), store.bundle_path(run_id, job.encoding))
    if embedding_logs:
        write_projector(board, training.model, evaluated.preprocessor)
    save_arm_outputs(job, evaluated, scores, result.metrics, training.history)


def train_gbm(job: ArmJob, prepared: PreparedData) -> None:
    """Fit and evaluate the gradient-boosting arm on the same examples."""
    job.phase(Phase.TRAINING)
    balanced = job.record.config.train.class_weight == "balanced"
    metrics, scores = train_gbm_arm(
        prepared,
        job.record.config.train.seed,
        balanced,
        quantiles=job.record.config.train.quantiles,
    )
    save_arm_outputs(job, prepared, scores, metrics, {})


def train_table_run(
    store: RunStore,
    record: RunRecord,
    prepared: PreparedData,
    progress: ProgressWriter,
    cancel: FileCancelToken,
) -> bool:
    """Train every arm of a run on its prepared examples; True when cancelled."""
    for index, encoding in enumerate(record.encodings):
        if cancel.cancelled:
            return True
        job = ArmJob(store, record, encoding, index, progress, cancel)
        if encoding == GBM_ENCODING:
            train_gbm(job, prepared)
            continue

        def fit(
            config: ExperimentConfig,
            callbacks: list[keras.callbacks.Callback],
            job: ArmJob = job,
        ) -> TrainingResult:
            return fit_prepared(
                prepared,
                config,
                callbacks=callbacks,
                cancel=cancel,
                progress=job.step_handler(),
            )

        train_network_arm(job, prepared, fit)
    return cancel.cancelled


def train_dataset_run(
    store: RunStore,
    record: RunRecord,
    progress: ProgressWriter,
    cancel: FileCancelToken,
) -> bool:
    """Fit the preprocessor on the stream, then train every arm; True when cancelled."""
    for name in ("refit", "bagging"):
        if getattr(record.config.train, name):
            # The streamed sample's validation entities are not in the stream's
            # training batches, so there is nothing to refit or bag over.
            raise ConfigError(
                f"train.{name}",
                f"expected false for a run streamed from a Parquet dataset "
                f"({name} needs the examples in memory), received true",
            )
    source, options = read_reference(store, record.id)
    source.check_unchanged()
    progress.phase(Phase.PREPARING, streaming=True, files=len(source.files))
    preprocessor, report = fit_streaming(source, record.config, options)
    store.update(record.id, entities=report.entities)
    if cancel.cancelled:
        return True
    sample = held_out_sample(source, preprocessor, record.config, options)
    streaming = _streaming_summary(report, options.memory_budget_mb, sample)
    progress.phase(
        Phase.PREPARED,
        examples={name: len(part) for name, part in sample.parts.items()},
        notes=[
            f"streamed {report.rows:,} rows in {report.chunks} chunk(s); "
            f"validation and test metrics on a sample of "
            f"{len(sample.entity_of_row):,} rows of whole entities"
        ],
        streaming=streaming,
    )
    for index, encoding in enumerate(record.encodings):
        if cancel.cancelled:
            return True
        job = ArmJob(store, record, encoding, index, progress, cancel)
        fraction = keep_fraction(report, job.config, options.max_train_windows)

        def fit(
            config: ExperimentConfig,
            callbacks: list[keras.callbacks.Callback],
            job: ArmJob = job,
            fraction: float = fraction,
        ) -> TrainingResult:
            keras.utils.set_random_seed(config.train.seed)
            model = build_model(config, preprocessor)
            generate = batch_generator(source, preprocessor, config, options, fraction)
            return fit_stream(
                model,
                training_dataset(generate, preprocessor, config),
                sample,
                config,
                batches_estimate(report, config, fraction),
                callbacks=callbacks,
                cancel=cancel,
                progress=job.step_handler(),
            )

        extra = {"streaming": {**streaming, "train_window_share": fraction}}
        train_network_arm(job, sample, fit, embedding_logs=False, extra_metrics=extra)
    return cancel.cancelled


def _streaming_summary(
    report: FitReport, memory_budget_mb: float, sample: PreparedData
) -> dict[str, Any]:
    """The ``streaming`` section of a streamed run's phase line and metrics."""
    return {
        "rows": report.rows,
        "train_rows": report.train_rows,
        "entities": report.entities,
        "chunks": report.chunks,
        "fit_seconds": round(report.seconds, 3),
        "fit_rows_per_second": round(report.rows_per_second, 1),
        "memory_budget_mb": memory_budget_mb,
        "evaluated_on_sample_rows": len(sample.entity_of_row),
    }
