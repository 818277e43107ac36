"""The app's pages send runs to a real two-node Ray cluster (a launcher per run).

With ``RAY_ADDRESS`` set, the Train page offers "Ray at ADDRESS"; a run trained
there goes through ``python -m core runs launch`` (the server never imports
Ray), trains on a node of the cluster, and the page's Cancel (the server's
local executor writing the store's cancel file) stops a run there.
"""

from __future__ import annotations

import pytest

from tests.support.ray_cluster import SKIP_REASON

pytest.importorskip("ray", reason=SKIP_REASON, exc_type=ImportError)

from core.runs.executors.detached import DetachedExecutor
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import (
    open_page,
    sample_session_state,
    wait_for_current_run,
)
from tests.support.configs import small_sample_config, tiny_run_config
from tests.support.runs import wait_for
from tests.support.tables import make_long_table
from ui import state

pytestmark = [pytest.mark.ray, pytest.mark.slow]

#: Safety net, not a timing claim (two shared CPU cores).
RUN_SECONDS = 300


def test_the_train_page_trains_on_the_cluster(ray_cluster, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", ray_cluster.address)
    seeded = {**sample_session_state(), state.CONFIG: small_sample_config()}
    app = open_page("train", seeded)
    app.radio(key="train_executor").set_value("ray").run()
    app.button(key="train_start").click().run()
    assert not app.exception
    record = wait_for_current_run(app)
    assert record.status is RunStatus.DONE, record.error
    assert record.executor == "ray"
    assert record.node is not None  # reported by the task from its Ray node
    app.run()
    assert not app.exception


def test_the_pages_cancel_stops_a_run_on_the_cluster(ray_cluster, tmp_path):
    store = RunStore(tmp_path / "runs")
    detached = DetachedExecutor(store, "ray", ray_cluster.address)
    record = detached.submit(
        make_long_table(seed=4), tiny_run_config(epochs=200), data_name="c.csv"
    )

    def training() -> bool:
        events = store.progress(record.id)
        return any(event["kind"] in ("batch", "epoch") for event in events)

    wait_for(training, RUN_SECONDS, 0.5)
    server = LocalExecutor(store, cancel_grace_seconds=1)
    server.cancel(record.id)  # what the page's Cancel button does
    ended = server.wait(record.id, timeout=120)
    assert ended.status is RunStatus.CANCELLED
    epochs = [e for e in store.progress(record.id) if e["kind"] == "epoch"]
    assert len(epochs) < 200
