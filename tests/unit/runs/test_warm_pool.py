"""The warm pool's bookkeeping, thread caps and life span, without TensorFlow.

The pool's processes here are stand-ins that read run lines like a warm worker
(the real worker's runs are in tests/integration/test_warm_workers.py), except
the last test, which starts a real warm worker only to see it exit with its
launcher (it never gets as far as training).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import core.runs.executors.warm as warm
from core.runs.executors.local import LocalExecutor
from core.runs.processes import process_alive
from core.runs.store import RunStatus, RunStore
from tests.support.configs import store_config
from tests.support.runs import create_run, wait_for
from tests.support.tables import make_long_table

#: A stand-in warm worker: records each run line, exits after N or at EOF.
STAND_IN = textwrap.dedent(
    """
    import sys
    runs = int(sys.argv[sys.argv.index("--warm-runs") + 1])
    for _ in range(runs):
        line = sys.stdin.readline()
        if not line:
            break
        print(line.strip(), flush=True)
    """
)


#: What each stand-in printed, by pid (its idle log goes when it ends).
OUTPUTS: dict[int, Path] = {}


@pytest.fixture
def stand_ins(monkeypatch, tmp_path):
    """Make the pool start stand-in workers; yields the environments they got."""
    environments: list[dict[str, str] | None] = []

    def spawn(arguments, log, stdin, environment=None):
        environments.append(environment)
        output = tmp_path / f"stand-in-{len(environments)}.out"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-c", STAND_IN, *arguments],
                stdin=stdin,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        OUTPUTS[process.pid] = output
        return process

    monkeypatch.setattr(warm, "spawn_worker", spawn)
    # Stand-ins leave their idle logs behind: keep them in the test's folder.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return environments


def _lines(worker: warm.WarmWorker) -> list[dict]:
    """The run lines a stand-in received (once it has ended)."""
    text = OUTPUTS[worker.process.pid].read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_runs_go_to_an_idle_warm_worker_and_it_is_recycled(tmp_path, stand_ins):
    store = RunStore(tmp_path / "runs")
    pool = warm.WarmPool(store, size=1, runs_per_worker=2)
    pool.maintain()
    (first,) = pool.workers
    one, two, three = (create_run(store, seed) for seed in range(3))
    assert pool.take(one.id, slots=1, per_user=1) == first.process
    # Busy: its run has not ended, so the next run gets no warm worker.
    assert pool.take(two.id, slots=1, per_user=1) is None
    store.finish(one.id, RunStatus.DONE)
    assert pool.take(two.id, slots=1, per_user=1) == first.process
    # Two runs served: its input is closed (it exits after the run) and a
    # replacement is already starting.
    assert first.retired
    first.process.wait(timeout=30)
    assert [line["run_id"] for line in _lines(first)] == [one.id, two.id]
    assert _lines(first)[0]["runs_dir"] == str(store.root)
    pool.maintain()
    (second,) = pool.workers
    assert second.process.pid != first.process.pid
    assert not first.log_path.exists(), "the ended worker's idle log is removed"
    store.finish(two.id, RunStatus.DONE)
    assert pool.take(three.id, slots=1, per_user=1) == second.process
    pool.close()
    second.process.wait(timeout=30)


def test_a_killed_warm_worker_is_replaced(tmp_path, stand_ins):
    store = RunStore(tmp_path / "runs")
    pool = warm.WarmPool(store, size=1)
    pool.maintain()
    (first,) = pool.workers
    run = create_run(store)
    assert pool.take(run.id, 1, 1) == first.process
    first.process.kill()  # what a cancel's terminate does after the grace
    first.process.wait()
    pool.maintain()
    (second,) = pool.workers
    assert second.process.pid != first.process.pid
    assert pool.early_deaths == 0, "it had served a run"
    pool.close()


def test_workers_that_die_at_start_stop_the_pool_from_restarting_them(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def spawn(arguments, log, stdin, environment=None):
        return subprocess.Popen(
            [sys.executable, "-c", "raise SystemExit(1)"], stdin=stdin
        )

    monkeypatch.setattr(warm, "spawn_worker", spawn)
    pool = warm.WarmPool(RunStore(tmp_path / "runs"), size=1)
    for _ in range(warm.MAX_EARLY_DEATHS + 2):
        pool.maintain()
        for worker in pool.workers:
            worker.process.wait()
    pool.maintain()
    assert pool.disabled
    assert pool.workers == []
    assert pool.take(create_run(pool.store).id, 1, 1) is None


def test_the_executor_hands_runs_to_the_pool_with_its_thread_cap(tmp_path, stand_ins):
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store, warm_workers=1, training_threads=1)
    (worker,) = executor.pool.workers
    record = executor.submit(
        *_table_and_config(),
        encodings=("embedding",),
    )
    assert record.pid == worker.process.pid
    assert record.pid_started is not None
    assert environments_cap(stand_ins[0], 1)
    executor.close()
    worker.process.wait(timeout=30)
    assert [line["run_id"] for line in _lines(worker)] == [record.id]


def _table_and_config():
    return make_long_table(seed=0), store_config()


def environments_cap(environment: dict[str, str] | None, threads: int) -> bool:
    """Whether a training process's environment caps every thread pool."""
    names = (
        warm.THREADS_VARIABLE,
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
        "OMP_NUM_THREADS",
    )
    return environment is not None and all(
        environment.get(name) == str(threads) for name in names
    )


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (16, 15)])
def test_the_app_leaves_the_server_a_core(cores, threads):
    assert warm.server_training_threads(cores) == threads


def test_the_apps_executor_caps_threads_and_keeps_warm_workers(monkeypatch, tmp_path):
    import ui.runs

    monkeypatch.setenv(warm.WARM_WORKERS_VARIABLE, "0")
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    executor = ui.runs._executor(str(tmp_path / "runs"), 2)
    assert environments_cap(executor.environment, 3)
    assert executor.pool.size == 0
    monkeypatch.delenv(warm.WARM_WORKERS_VARIABLE)
    assert warm.default_warm_workers(2) == 2, "one per slot unless configured"


def test_a_fresh_worker_gets_the_thread_cap_too(tmp_path, monkeypatch):
    import core.runs.executors.local as local

    seen = []

    def spawn(arguments, log, stdin, environment=None):
        seen.append(environment)
        return subprocess.Popen([sys.executable, "-c", "pass"])

    monkeypatch.setattr(local, "spawn_worker", spawn)
    executor = LocalExecutor(RunStore(tmp_path / "runs"), training_threads=2)
    executor.submit(*_table_and_config())
    assert environments_cap(seen[0], 2)


LAUNCHER = textwrap.dedent(
    """
    import sys, time
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStore
    executor = LocalExecutor(RunStore(sys.argv[1]), warm_workers=1)
    print(executor.pool.workers[0].process.pid, flush=True)
    time.sleep(600)
    """
)


def test_an_idle_warm_worker_dies_with_its_launcher(tmp_path):
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(tmp_path / "runs")],
        stdout=subprocess.PIPE,
        cwd=warm.__file__.rsplit("/core/", 1)[0],
    )
    worker_pid = int(launcher.stdout.readline())
    assert process_alive(worker_pid)
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.wait()
    # End-of-file on its stdin, however the launcher ended: it exits.
    wait_for(lambda: not process_alive(worker_pid), seconds=60, interval=0.1)
