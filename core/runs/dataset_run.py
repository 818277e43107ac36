"""Runs of the store that train on a Parquet dataset by reference, streamed.

A dataset run is recorded like any other (``run.json``, progress, bundles,
metrics), but instead of a Parquet copy under ``_data/`` its folder holds
``dataset.json``: the shard list with sizes and modification times (their
fingerprint is the run's data fingerprint) and the streaming options. The
worker (:mod:`core.runs.worker`) sees that file and calls :func:`train_dataset_run`.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import ExperimentConfig
from core.data.parquet import DatasetSource
from core.examples.stream_passes import StreamOptions, check_streamable
from core.runs.store import (
    RUN_FILE,
    RunRecord,
    RunStatus,
    RunStore,
    library_versions,
    new_run_id,
    write_json_atomically,
)

if TYPE_CHECKING:
    from core.runs.progress import FileCancelToken, ProgressWriter

DATASET_FILE = "dataset.json"


def is_dataset_run(record: RunRecord) -> bool:
    """Whether the run trains on a dataset reference rather than stored data."""
    return (record.path / DATASET_FILE).is_file()


def create_dataset_run(
    store: RunStore,
    source: DatasetSource,
    config: ExperimentConfig,
    encodings: tuple[str, ...],
    options: StreamOptions,
) -> RunRecord:
    """Record a new ``queued`` run on ``source``, without copying its rows.

    Raises
    ------
    ConfigError
        If the configuration cannot be streamed (see
        :func:`core.examples.stream_passes.check_streamable`).
    """
    check_streamable(config)
    now = time.time()
    run_id = new_run_id(now)
    path = store.root / run_id
    path.mkdir(parents=True)
    reference = {"source": source.to_dict(), "options": options.to_dict()}
    write_json_atomically(path / DATASET_FILE, reference)
    record = RunRecord(
        id=run_id,
        status=RunStatus.QUEUED,
        config=config,
        encodings=tuple(encodings),
        data_fingerprint=source.fingerprint,
        data_name=source.name,
        rows=source.row_count(),
        entities=0,
        created=now,
        path=path,
        versions=library_versions(),
        host=socket.gethostname(),
    )
    write_json_atomically(path / RUN_FILE, record.to_dict())
    return record


def read_reference(record: RunRecord) -> tuple[DatasetSource, StreamOptions]:
    """The dataset and options a dataset run was submitted with."""
    payload = json.loads((record.path / DATASET_FILE).read_text(encoding="utf-8"))
    return DatasetSource.from_dict(payload["source"]), StreamOptions(
        **payload["options"]
    )


def train_dataset_run(
    store: RunStore,
    record: RunRecord,
    progress: ProgressWriter,
    cancel: FileCancelToken,
) -> bool:
    """Fit, train, evaluate and save every encoding; True when cancelled."""
    from core.examples.stream_passes import fit_streaming, held_out_sample

    source, options = read_reference(record)
    source.check_unchanged()
    progress.phase("preparing", streaming=True, files=len(source.files))
    preprocessor, report = fit_streaming(source, record.config, options)
    store.update(record.id, entities=report.entities)
    if cancel.cancelled:
        return True
    sample = held_out_sample(source, preprocessor, record.config, options)
    streaming = {
        "rows": report.rows,
        "train_rows": report.train_rows,
        "entities": report.entities,
        "chunks": report.chunks,
        "fit_seconds": round(report.seconds, 3),
        "fit_rows_per_second": round(report.rows_per_second, 1),
        "memory_budget_mb": options.memory_budget_mb,
        "evaluated_on_sample_rows": len(sample.entity_of_row),
    }
    progress.phase(
        "prepared",
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
        _train_encoding(
            store, record, (source, options), (preprocessor, report, sample),
            encoding, index, progress, cancel, streaming,
        )  # fmt: skip
    return cancel.cancelled


def _train_encoding(
    store: RunStore,
    record: RunRecord,
    reference: tuple[DatasetSource, StreamOptions],
    fitted: tuple[Any, Any, Any],
    encoding: str,
    index: int,
    progress: ProgressWriter,
    cancel: FileCancelToken,
    streaming: dict[str, Any],
) -> None:
    """Train one encoding on the stream and save it like the in-memory worker."""
    import keras

    from core.model.bundle import bundle_from_result, save_bundle
    from core.model.evaluation import held_out_scores
    from core.model.experiment import result_of, with_encoding
    from core.model.network import build_model
    from core.model.run_logging import TensorBoardScalars
    from core.model.stream_training import (
        batch_generator,
        batches_estimate,
        fit_stream,
        keep_fraction,
        training_dataset,
    )
    from core.runs.worker import _save_predictions

    source, options = reference
    preprocessor, report, sample = fitted
    config = with_encoding(record.config, encoding)
    fraction = keep_fraction(report, config, options.max_train_windows)
    keras.utils.set_random_seed(config.train.seed)
    model = build_model(config, preprocessor)
    generate = batch_generator(source, preprocessor, config, options, fraction)
    dataset = training_dataset(generate, preprocessor, config)
    progress.phase("training", encoding=encoding, index=index)
    training = fit_stream(
        model,
        dataset,
        sample,
        config,
        batches_estimate(report, config, fraction),
        callbacks=[TensorBoardScalars(record.path / "tensorboard" / encoding)],
        cancel=cancel,
        progress=progress.training_event(encoding, index, len(record.encodings)),
    )
    progress.phase("evaluating", encoding=encoding, index=index)
    scores = held_out_scores(training.model, sample)
    result = result_of(sample, config, training, scores)
    result.metrics["streaming"] = {**streaming, "train_window_share": fraction}
    progress.phase("saving", encoding=encoding, index=index)
    save_bundle(bundle_from_result(result), store.bundle_path(record.id, encoding))
    _save_predictions(Path(record.path) / "predictions", encoding, sample, scores)
    store.save_result(record.id, encoding, result.metrics, training.history)
    progress.phase("saved", encoding=encoding, index=index)
