"""Runs in the store for the insight tests, trained once per test session.

A run is created in the store and trained by :func:`core.runs.worker.run`, the very
code a training process runs, but in this process: no child process has to
import TensorFlow again. Snapshots, bundles, metrics and the stored data end up
where the executor's runs put them.
"""

from __future__ import annotations

import functools
from unittest import mock

import pandas as pd

from core.analysis.comparison import ComparisonSpec
from core.config import ExperimentConfig
from core.runs.store import RunRecord, RunStatus, RunStore, frame_fingerprint
from tests.support.configs import tiny_run_config
from tests.support.tables import make_long_table

SEEDS = (0, 1)


def tiny_config(epochs: int = 3) -> ExperimentConfig:
    """Two categorical columns, one numeric, a tiny LSTM."""
    return tiny_run_config(epochs)


def run_in_process(
    store: RunStore,
    frame: pd.DataFrame,
    config: ExperimentConfig,
    label: str | None = None,
    comparison: str | None = None,
) -> RunRecord:
    """Create a run of the embedding model and train it here, to the end."""
    from core.runs import worker

    record = store.create(
        frame, config, ("embedding",), "tiny.csv", label=label, comparison=comparison
    )
    # The worker makes TensorFlow deterministic for its own process; leave the
    # test process as it is.
    with mock.patch.object(worker, "_configure_tensorflow"):
        status = worker.run(store, record.id, 1)
    finished = store.get(record.id)
    if status is not RunStatus.DONE:
        raise AssertionError(f"run {record.id} {status}: {finished.error}")
    return finished


@functools.lru_cache(maxsize=4)
def tiny_comparison(root: str) -> tuple[str, tuple[RunRecord, ...], pd.DataFrame]:
    """A two-seed comparison (embedding arm only) in the store at ``root``."""
    store = RunStore(root)
    frame = make_long_table(seed=0)
    spec = ComparisonSpec(tiny_config(), seeds=SEEDS)
    comparison = spec.identity(frame_fingerprint(frame))
    records = tuple(
        run_in_process(
            store, frame, spec.seeded(seed), f"seed {seed}", comparison=comparison
        )
        for seed in SEEDS
    )
    return comparison, records, frame
