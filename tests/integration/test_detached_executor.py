"""Runs handed to a launcher process (``python -m core runs launch``).

This is how the app sends a run to a Ray cluster without loading Ray into the
server. Here the launcher uses the local executor (the default suite has no
cluster; ``tests/ray`` drives the same path against one), and a Ray that is not
installed makes the run fail with the install command rather than hang.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.runs.executors.detached import DetachedExecutor
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.configs import tiny_run_config
from tests.support.paths import ROOT
from tests.support.tables import make_long_table

pytestmark = pytest.mark.slow

#: Safety net, not a timing claim.
RUN_SECONDS = 240


def test_a_detached_run_trains_to_the_end_and_reads_like_any_run(tmp_path):
    store = RunStore(tmp_path / "runs")
    detached = DetachedExecutor(store, kind="local")
    record = detached.submit(make_long_table(seed=0), tiny_run_config(), data_name="t")
    # The launcher's pid is recorded at once: a reader never sees a run nobody follows.
    assert record.pid is not None
    assert record.status is RunStatus.QUEUED
    # The server's own executor follows it like one of its runs.
    final = LocalExecutor(store, max_concurrent=1).wait(record.id, RUN_SECONDS)
    assert final.status is RunStatus.DONE, final.error
    assert store.results(record.id)["embedding"]["test"]["n"] > 0


def test_launch_refuses_a_run_that_is_not_queued(tmp_path):
    store = RunStore(tmp_path / "runs")
    record = store.create(
        make_long_table(seed=0), tiny_run_config(), ("embedding",), "t"
    )
    store.finish(record.id, RunStatus.CANCELLED)
    finished = _launch(store, record.id, "local")
    assert finished.returncode == 2
    assert "expected a queued run" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_launch_without_ray_fails_the_run_with_the_install_command(tmp_path):
    store = RunStore(tmp_path / "runs")
    record = store.create(
        make_long_table(seed=0), tiny_run_config(), ("embedding",), "t"
    )
    # A package named ray that cannot be imported stands for Ray not installed.
    hidden = tmp_path / "hidden" / "ray"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('ray hidden by the test')\n")
    finished = _launch(store, record.id, "ray", python_path=hidden.parent)
    assert finished.returncode == 2
    failed = store.get(record.id)
    assert failed.status is RunStatus.FAILED
    assert "requirements-ray.txt" in failed.error
    assert "Traceback" not in finished.stderr


def _launch(store: RunStore, run_id: str, kind: str, python_path=None):
    environment = dict(os.environ)
    if python_path is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(python_path), environment.get("PYTHONPATH", "")]
        )
    command = [sys.executable, "-m", "core", "runs", "launch", run_id]
    command += ["--runs-dir", str(store.root), "--executor", kind]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
    )
