"""Warm workers: TensorFlow imported ahead, runs taken one after another.

Real ``python -m core.runs.worker --warm-runs N`` processes, so marked slow.
One module-wide pool serves the runs in order (each warm worker costs a
TensorFlow import on a 2-core machine): two runs in a row, a cancel, then
the recycle after ``RUNS_PER_WORKER`` runs.
"""

from __future__ import annotations

import pytest

from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.configs import tiny_run_config
from tests.support.runs import wait_for
from tests.support.tables import make_long_table

pytestmark = pytest.mark.slow

#: Safety nets, not timing claims.
RUN_SECONDS = 240
RUNS_PER_WORKER = 3
ENCODINGS = ("embedding", "onehot")


def _training_started(store: RunStore, run_id: str):
    return lambda: any(
        event["kind"] in ("batch", "epoch") for event in store.progress(run_id)
    )


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """The reference: the same run in a fresh worker process."""
    store = RunStore(tmp_path_factory.mktemp("cold") / "runs")
    executor = LocalExecutor(store, max_concurrent=1)
    record = executor.submit(make_long_table(seed=0), tiny_run_config(), ENCODINGS)
    finished = executor.wait(record.id, timeout=RUN_SECONDS)
    assert finished.status is RunStatus.DONE, finished.error
    return store.results(record.id)


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("warm") / "runs")
    executor = LocalExecutor(
        store,
        max_concurrent=1,
        cancel_grace_seconds=20,
        warm_workers=1,
        training_threads=1,
        runs_per_worker=RUNS_PER_WORKER,
    )
    yield executor
    executor.close()


def test_a_warm_worker_trains_two_runs_in_a_row_like_a_fresh_worker(cold, warm):
    (worker,) = warm.pool.workers
    records = []
    for _ in range(2):
        record = warm.submit(make_long_table(seed=0), tiny_run_config(), ENCODINGS)
        assert record.pid == worker.process.pid, "handed to the warm worker"
        records.append(warm.wait(record.id, timeout=RUN_SECONDS))
    for record in records:
        assert record.status is RunStatus.DONE, record.error
        got = warm.store.results(record.id)
        for encoding in ENCODINGS:
            # Nothing of the first run (seeds, layer names, weights) leaks into
            # the second: both equal the fresh worker's metrics exactly.
            assert got[encoding]["test"] == cold[encoding]["test"]
            assert got[encoding]["validation"] == cold[encoding]["validation"]
        log = warm.store.log_path(record.id).read_text()
        assert "training threads: intra-op 1, inter-op 1" in log
    phases = [e["phase"] for e in warm.store.progress(records[1].id) if "phase" in e]
    assert phases[:4] == ["starting", "loading", "preparing", "prepared"]
    assert worker.alive
    assert worker.served == 2


def test_cancel_stops_a_run_on_a_warm_worker_which_then_retires(warm):
    (worker,) = [w for w in warm.pool.workers if not w.retired]
    assert worker.served == RUNS_PER_WORKER - 1, "runs after the previous test"
    record = warm.submit(
        make_long_table(seed=2), tiny_run_config(epochs=200), ("embedding",)
    )
    assert record.pid == worker.process.pid
    wait_for(_training_started(warm.store, record.id), RUN_SECONDS, 0.1)
    warm.cancel(record.id)
    ended = warm.wait(record.id, timeout=30)
    assert ended.status is RunStatus.CANCELLED
    epochs = [e for e in warm.store.progress(record.id) if e["kind"] == "epoch"]
    assert len(epochs) < 200
    # Cooperative: it stopped by itself (no terminate) and kept the best weights.
    assert (warm.store.bundle_path(record.id, "embedding") / "model.keras").is_file()
    # Its last run: it exits and a fresh warm worker takes its place.
    worker.process.wait(timeout=60)
    assert worker.process.returncode == 0
    warm.refresh(ended)
    (replacement,) = warm.pool.workers
    assert replacement.process.pid != worker.process.pid
    assert not worker.log_path.exists()
    record = warm.submit(
        make_long_table(seed=0), tiny_run_config(epochs=1), ("onehot",)
    )
    assert record.pid == replacement.process.pid
    assert warm.wait(record.id, timeout=RUN_SECONDS).status is RunStatus.DONE
