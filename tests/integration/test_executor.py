"""Training in child processes: results, kill -9, cancel, queue, reproducibility.

Every test here launches real ``python -m core.runs.worker`` processes (each imports
TensorFlow), so they are marked slow.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pandas as pd
import pytest

from core.config import (
    ExperimentConfig,
)
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunRecord, RunStatus, RunStore
from tests.support.configs import tiny_run_config
from tests.support.runs import wait_for
from tests.support.tables import make_long_table

pytestmark = pytest.mark.slow

#: Safety nets, not timing claims.
RUN_SECONDS = 240


def tiny_config(epochs: int = 2, seed: int = 0) -> ExperimentConfig:
    return tiny_run_config(epochs, seed)


def _wait_for(predicate, seconds: float = RUN_SECONDS) -> None:
    wait_for(predicate, seconds, interval=0.1)


def _training_started(store: RunStore, run_id: str):
    return lambda: any(
        event["kind"] in ("batch", "epoch") for event in store.progress(run_id)
    )


@pytest.fixture(scope="module")
def solo(tmp_path_factory) -> tuple[LocalExecutor, RunRecord]:
    """One finished run with both encodings, alone on the machine."""
    store = RunStore(tmp_path_factory.mktemp("solo") / "runs")
    executor = LocalExecutor(store, max_concurrent=1)
    record = executor.submit(
        make_long_table(seed=0), tiny_config(), ("embedding", "onehot"), "tiny.csv"
    )
    return executor, executor.wait(record.id, timeout=RUN_SECONDS)


def test_a_finished_run_holds_everything_it_trained(solo):
    executor, record = solo
    store = executor.store
    assert record.status is RunStatus.DONE, record.error
    assert record.peak_memory_bytes > 50 * 1024**2
    assert record.pid != os.getpid(), "trained in a child process"
    metrics = store.results(record.id)
    assert set(metrics) == {"embedding", "onehot"}
    assert 0.0 <= metrics["embedding"]["test"]["roc_auc"] <= 1.0
    phases = [e["phase"] for e in store.progress(record.id) if e["kind"] == "phase"]
    assert phases[:4] == ["starting", "loading", "preparing", "prepared"]
    assert phases.count("saved") == 2
    epochs = [e for e in store.progress(record.id) if e["kind"] == "epoch"]
    assert len(epochs) == 4
    assert "val_loss" in epochs[0]["logs"]
    assert len(store.histories(record.id)["onehot"]["loss"]) == 2
    # init + one snapshot per epoch, for the embedding model only
    snapshots = sorted((record.path / "snapshots" / "embedding").glob("*.npz"))
    assert [path.stem for path in snapshots] == [
        "epoch_0000",
        "epoch_0001",
        "epoch_0002",
    ]
    assert not (record.path / "snapshots" / "onehot").exists()


def test_a_finished_run_reloads_and_predicts_like_its_stored_predictions(solo):
    from core.model.bundle import load_bundle, predict

    executor, record = solo
    store = executor.store
    bundle = load_bundle(store.bundle_path(record.id, "embedding"))
    stored = pd.read_parquet(record.path / "predictions" / "embedding_test.parquet")
    frame = store.load_data(record)
    test_ids = set(stored["entity"])
    again = predict(bundle, frame[frame["entity"].isin(test_ids)])
    assert np.allclose(
        np.sort(again.table["probability"]), np.sort(stored["probability"]), atol=1e-5
    )


def test_snapshots_move_away_from_the_initialisation(solo):
    from core.model.run_logging import read_snapshots

    executor, record = solo
    snapshots = read_snapshots(record.path / "snapshots" / "embedding")
    first, last = snapshots[0]["kind"], snapshots[max(snapshots)]["kind"]
    assert first.shape == last.shape == (6 + 2 + 1, 3)  # 6 kinds + missing + 0/1
    assert not np.allclose(first, last)


def test_tensorboard_reads_the_scalars_and_the_projector(solo):
    from google.protobuf import text_format
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )
    from tensorboard.plugins.projector import ProjectorConfig

    executor, record = solo
    board = record.path / "tensorboard" / "embedding"
    events = EventAccumulator(str(board), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    assert {"loss", "val_loss", "learning_rate"} <= tags
    assert [event.step for event in events.Tensors("val_loss")] == [1, 2]
    config = ProjectorConfig()
    text_format.Parse((board / "projector_config.pbtxt").read_text(), config)
    assert len(config.embeddings) == 2
    import tensorflow as tf

    checkpoint = tf.train.load_checkpoint(str(board))
    for entry in config.embeddings:
        matrix = checkpoint.get_tensor(entry.tensor_name)
        labels = (board / entry.metadata_path).read_text().splitlines()
        assert matrix.shape[0] == len(labels)
        assert labels[:2] == ["<padding>", "<unknown>"]


def test_kill_minus_nine_leaves_an_interrupted_run_and_a_readable_store(solo):
    executor, previous = solo
    record = executor.submit(
        make_long_table(seed=1), tiny_config(epochs=200), ("embedding",), "long.csv"
    )
    _wait_for(_training_started(executor.store, record.id))
    os.kill(executor.get(record.id).pid, signal.SIGKILL)
    ended = executor.wait(record.id, timeout=30)
    assert ended.status is RunStatus.INTERRUPTED
    assert "ended without finishing" in ended.error
    listed = {item.id: item for item in executor.list()}
    assert listed[record.id].status is RunStatus.INTERRUPTED
    assert listed[previous.id].status is RunStatus.DONE
    assert executor.store.results(previous.id).keys() == {"embedding", "onehot"}


def _files_digest(folder) -> dict[str, str]:
    import hashlib

    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def test_cancel_during_training_stops_the_child_before_its_last_epoch(solo):
    executor, previous = solo
    untouched = _files_digest(previous.path)
    record = executor.submit(
        make_long_table(seed=2), tiny_config(epochs=200), ("embedding",), "c.csv"
    )
    _wait_for(_training_started(executor.store, record.id))
    executor.cancel(record.id)
    ended = executor.wait(record.id, timeout=30)
    assert ended.status is RunStatus.CANCELLED
    # Honoured at a batch: far fewer epochs than asked for (timing lives in bench/).
    epochs = [e for e in executor.store.progress(record.id) if e["kind"] == "epoch"]
    assert len(epochs) < 200
    # The earlier run's files (bundles, metrics, predictions) are byte-identical.
    assert _files_digest(previous.path) == untouched
    # Cooperative: the child stopped by itself and kept the best weights.
    assert (
        executor.store.bundle_path(record.id, "embedding") / "model.keras"
    ).is_file()


def test_a_second_run_waits_in_the_queue_and_can_be_cancelled_there(tmp_path):
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store, max_concurrent=1, cancel_grace_seconds=5)
    first = executor.submit(
        make_long_table(seed=3), tiny_config(epochs=200), ("embedding",), "a.csv"
    )
    _wait_for(lambda: executor.get(first.id).status is RunStatus.RUNNING)
    second = executor.submit(make_long_table(seed=4), tiny_config(), ("embedding",))
    time.sleep(1.0)
    waiting = executor.get(second.id)
    assert waiting.status is RunStatus.QUEUED
    assert executor.queue_position(waiting) == 1
    executor.cancel(second.id)
    assert executor.wait(second.id, timeout=15).status is RunStatus.CANCELLED
    executor.cancel(first.id)
    assert executor.wait(first.id, timeout=30).status is RunStatus.CANCELLED


def test_same_seed_gives_identical_metrics_alone_and_side_by_side(solo, tmp_path):
    _, alone = solo
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store, max_concurrent=2)
    twins = [
        executor.submit(
            make_long_table(seed=0), tiny_config(), ("embedding", "onehot"), "x"
        )
        for _ in range(2)
    ]
    finished = [executor.wait(twin.id, timeout=RUN_SECONDS) for twin in twins]
    assert all(record.status is RunStatus.DONE for record in finished)
    first, second = (store.progress(record.id) for record in finished)
    overlap = max(e["time"] for e in first) > min(e["time"] for e in second)
    assert overlap, "the two runs trained at the same time"
    expected = solo[0].store.results(alone.id)
    for record in finished:
        got = store.results(record.id)
        for encoding in ("embedding", "onehot"):
            assert got[encoding]["test"] == expected[encoding]["test"]
            assert got[encoding]["validation"] == expected[encoding]["validation"]


def test_a_spare_worker_trains_the_next_run_in_its_own_process(solo, tmp_path):
    _, alone = solo
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store, max_concurrent=1)
    executor.start_spare()
    spare, spare_log = executor._spare.process, executor._spare.log_path
    with spare_log.open("a") as log:
        log.write("printed while waiting for a run\n")
    record = executor.submit(
        make_long_table(seed=0), tiny_config(), ("embedding", "onehot"), "tiny.csv"
    )
    assert record.pid == spare.pid
    assert executor._spare is None, "a spare serves one run"
    finished = executor.wait(record.id, timeout=RUN_SECONDS)
    assert finished.status is RunStatus.DONE, finished.error
    # Examples prepared by the launcher train exactly like the worker's own.
    for encoding in ("embedding", "onehot"):
        assert (
            store.results(record.id)[encoding]["test"]
            == solo[0].store.results(alone.id)[encoding]["test"]
        )
    # What the spare printed before it had a run is kept in the run's log.
    log = (record.path / "worker.log").read_text()
    assert "printed while waiting for a run" in log
    assert not spare_log.exists()


def test_a_closed_spare_exits_at_once_without_a_run(tmp_path):
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store)
    executor.start_spare()
    child, spare_log = executor._spare.process, executor._spare.log_path
    executor.close_spare()
    assert child.returncode == 0
    assert not spare_log.exists()
    assert store.records() == []


def test_a_dead_spare_is_replaced_by_a_fresh_worker(tmp_path):
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store, max_concurrent=1)
    executor.start_spare()
    spare = executor._spare.process
    spare.kill()
    spare.wait()
    record = executor.submit(
        make_long_table(seed=2), tiny_config(epochs=1), ("onehot",)
    )
    assert record.pid != spare.pid
    finished = executor.wait(record.id, timeout=RUN_SECONDS)
    assert finished.status is RunStatus.DONE, finished.error
