"""Runs of the store that train on a Parquet dataset by reference, streamed.

A dataset run is recorded like any other (``run.json``, progress, bundles,
metrics), but instead of a Parquet copy under ``_data/`` its folder holds
``dataset.json``: the shard list with sizes and modification times (their
fingerprint is the run's data fingerprint) and the streaming options. Its
record is ``streamed``; the worker then trains it with
:func:`core.runs.jobs.train_dataset_run`.
"""

from __future__ import annotations

import json

from core.config import ExperimentConfig
from core.data.parquet import DatasetSource
from core.examples.stream_passes import StreamOptions, check_streamable
from core.runs.store import DataSummary, RunRecord, RunStore


def create_dataset_run(
    store: RunStore,
    source: DatasetSource,
    config: ExperimentConfig,
    encodings: tuple[str, ...],
    options: StreamOptions,
    owner: str | None = None,
) -> RunRecord:
    """Record a new ``queued`` run on ``source``, without copying its rows.

    ``owner`` is who started it (``None`` in local mode), as for any run.

    Raises
    ------
    ConfigError
        If the configuration cannot be streamed (see
        :func:`core.examples.stream_passes.check_streamable`).
    """
    check_streamable(config)
    reference = {"source": source.to_dict(), "options": options.to_dict()}
    data = DataSummary(source.fingerprint, source.name, source.row_count(), 0)
    return store.add_run(config, encodings, data, owner=owner, reference=reference)


def read_reference(store: RunStore, run_id: str) -> tuple[DatasetSource, StreamOptions]:
    """The dataset and options a dataset run was submitted with."""
    path = store.dataset_reference_path(run_id)
    payload = json.loads(path.read_text(encoding="utf-8"))
    return DatasetSource.from_dict(payload["source"]), StreamOptions(
        **payload["options"]
    )
