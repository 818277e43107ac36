"""The Ray executor against a real two-node cluster on this machine.

The cluster (``conftest.py``) is a head and one worker node started by ``ray
start`` as separate processes. Every run here imports TensorFlow in a Ray
worker, so the tests are marked ``ray`` and ``slow``; ``make test-ray`` runs
them (CI does, in its own step, after installing ``requirements-ray.txt``).
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.support.ray_cluster import SKIP_REASON

pytest.importorskip("ray", reason=SKIP_REASON, exc_type=ImportError)

from core.analysis.comparison import ComparisonSpec, comparison_runs, start_comparison
from core.config import (
    ExperimentConfig,
)
from core.runs.executors.local import LocalExecutor
from core.runs.executors.ray_cluster import RayExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.configs import tiny_run_config
from tests.support.runs import wait_for
from tests.support.tables import make_long_table

pytestmark = [pytest.mark.ray, pytest.mark.slow]

#: Safety nets, not timing claims (two shared CPU cores).
RUN_SECONDS = 300


def tiny_config(epochs: int = 2, seed: int = 0) -> ExperimentConfig:
    return tiny_run_config(epochs, seed)


def _wait_for(predicate, seconds: float = RUN_SECONDS) -> None:
    wait_for(predicate, seconds, interval=0.2)


@pytest.fixture(scope="module")
def executor(ray_cluster, tmp_path_factory):
    ray_executor = RayExecutor(
        RunStore(tmp_path_factory.mktemp("ray") / "runs"),
        address=ray_cluster.address,
        num_cpus=1,
        cancel_grace_seconds=20,
    )
    yield ray_executor
    ray_executor.close()


def _training(executor, run_id: str) -> bool:
    record = executor.get(run_id)
    events = executor.store.progress(run_id)
    started = any(event["kind"] in ("batch", "epoch") for event in events)
    return started and record.remote_pid is not None


def test_a_two_seed_comparison_on_the_cluster_equals_a_local_one(executor, tmp_path):
    frame = make_long_table(seed=0)
    spec = ComparisonSpec(tiny_config(), seeds=(0, 1))
    comparison = start_comparison(executor, frame, spec, "tiny.csv")
    runs = comparison_runs(executor.store, comparison)
    finished = [executor.wait(r.id, timeout=RUN_SECONDS) for r in runs.values()]
    for record in finished:
        assert record.status is RunStatus.DONE, (record.error, record.traceback)
        assert record.executor == "ray"
        assert record.node is not None
        assert record.remote_pid not in (None, os.getpid())
        # Everything came back into the driver's store.
        assert (
            executor.store.bundle_path(record.id, "embedding") / "model.keras"
        ).is_file()
        assert (record.path / "predictions" / "onehot_test.parquet").is_file()
        phases = [
            e["phase"]
            for e in executor.store.progress(record.id)
            if e["kind"] == "phase"
        ]
        assert phases[:4] == ["starting", "loading", "preparing", "prepared"]
        assert phases.count("saved") == 2
        epochs = [e for e in executor.store.progress(record.id) if e["kind"] == "epoch"]
        assert len(epochs) == 4
    local = LocalExecutor(RunStore(tmp_path / "local"), max_concurrent=1)
    local_id = start_comparison(local, frame, spec, "tiny.csv")
    local_runs = comparison_runs(local.store, local_id)
    assert local_id == comparison
    for seed, record in local_runs.items():
        assert local.wait(record.id, timeout=RUN_SECONDS).status is RunStatus.DONE
        expected = local.store.results(record.id)
        got = executor.store.results(runs[seed].id)
        for encoding in ("embedding", "onehot"):
            assert got[encoding]["test"] == expected[encoding]["test"]
            assert got[encoding]["validation"] == expected[encoding]["validation"]


@pytest.mark.parametrize("by", ["driver", "app"])
def test_cancel_on_the_cluster_stops_cooperatively_with_the_best_weights(executor, by):
    """Cancel from the driver (Ctrl-C in the CLI) or, like the app's Cancel
    button, from a local executor over the same store (it writes the cancel
    file, which the driver passes on; it must never terminate the driver)."""
    record = executor.submit(
        make_long_table(seed=2), tiny_config(epochs=200), ("embedding",), "c.csv"
    )
    _wait_for(lambda: _training(executor, record.id))
    if by == "driver":
        executor.cancel(record.id)
    else:
        LocalExecutor(executor.store, cancel_grace_seconds=1).cancel(record.id)
    ended = executor.wait(record.id, timeout=60)
    assert ended.status is RunStatus.CANCELLED
    epochs = [e for e in executor.store.progress(record.id) if e["kind"] == "epoch"]
    assert len(epochs) < 200, "stopped at a batch, not after its last epoch"
    bundle = executor.store.bundle_path(record.id, "embedding")
    assert (bundle / "model.keras").is_file()


def test_a_worker_killed_mid_run_leaves_the_run_interrupted(executor):
    record = executor.submit(
        make_long_table(seed=1), tiny_config(epochs=200), ("embedding",), "long.csv"
    )
    _wait_for(lambda: _training(executor, record.id))
    os.kill(executor.get(record.id).remote_pid, signal.SIGKILL)
    ended = executor.wait(record.id, timeout=90)
    assert ended.status is RunStatus.INTERRUPTED
    assert "Ray worker" in ended.error
    listed = {item.id: item for item in executor.list()}
    assert listed[record.id].status is RunStatus.INTERRUPTED


def test_a_tuner_trial_on_the_cluster_equals_the_same_trial_locally(executor, tmp_path):
    # Imported here: Optuna is only needed by this test of the module.
    from core.tuning.driver import RUN_ATTRIBUTE, open_study, run_study
    from core.tuning.report import load_study
    from core.tuning.space import Parameter, SearchSpace
    from core.tuning.studies import StudySettings, StudyStore

    space = SearchSpace((Parameter("model.dropout", "float", low=0.0, high=0.5),))
    settings = StudySettings(tiny_config(), space, trials=1, final_seeds=0)
    frame = make_long_table(seed=5)
    values = {}
    for name, runner in (
        ("ray", executor),
        ("local", LocalExecutor(RunStore(tmp_path / "local"), max_concurrent=1)),
    ):
        record = StudyStore(runner.store).create(frame, settings, "tiny.csv")
        open_study(record).enqueue_trial({"model.dropout": 0.25})
        run_study(runner, record.id, poll_seconds=0.2)
        trial = load_study(record).get_trials()[0]
        run = runner.get(trial.user_attrs[RUN_ATTRIBUTE])
        assert run.status is RunStatus.DONE, (run.error, run.traceback)
        assert (run.executor == "ray") == (name == "ray")
        values[name] = (trial.value, trial.intermediate_values)
    assert values["ray"] == values["local"]
