"""Runs that last, through the app: ?run= links, the Runs page, live progress.

The runs are trained by the executor in child processes; these tests only
read the store through the pages, as a second browser session would.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import pytest

from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import RUN_SECONDS, errors_of, open_page, shown
from tests.support.configs import small_window_config
from ui import state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory):
    """Two finished runs of the sample data (seeds 0 and 1) in the session store."""
    from ui.data import dataset_from_bundled

    frame = dataset_from_bundled("predictive_maintenance").frame
    executor = LocalExecutor(RunStore())
    config = small_window_config(frame.columns)
    first = executor.submit(frame, config, ("embedding", "onehot"), "sample")
    second_config = config.replace(train=replace(config.train, seed=1))
    second = executor.submit(frame, second_config, ("embedding",), "sample")
    done = [executor.wait(run.id, timeout=RUN_SECONDS) for run in (first, second)]
    assert all(record.status is RunStatus.DONE for record in done)
    return done


def _subheaders(app) -> list[str]:
    return [shown(element.value) for element in app.subheader]


def test_a_new_session_with_the_run_in_its_url_shows_that_run(finished_runs):
    first, _ = finished_runs
    app = open_page("train", query={"run": first.id})
    assert not app.exception
    assert app.session_state[state.CURRENT_RUN] == first.id
    assert app.session_state[state.OPEN_RUN] == first.id
    assert "Test metrics, side by side" in _subheaders(app)
    assert list(app.dataframe[0].value["model"])[:2] == [
        "embedding LSTM",
        "onehot LSTM",
    ]
    app.switch_page("pages/embeddings.py").run()
    assert not app.exception
    assert first.id in app.selectbox(key="emb_model").value


def test_a_forged_run_id_in_the_url_is_ignored():
    app = open_page("train", query={"run": "../../etc/passwd"})
    assert not app.exception
    assert state.CURRENT_RUN not in app.session_state
    assert app.info, "asks for data first, as for any new session"


def test_runs_page_lists_opens_and_compares(finished_runs):
    first, second = finished_runs
    app = open_page("runs")
    assert not app.exception
    listed = app.dataframe[0].value
    assert {first.id, second.id} <= set(listed["id"])
    app.selectbox(key="runs_pick").select(first.id).run()
    app.button(key="runs_open").click().run()
    assert app.session_state[state.OPEN_RUN] == first.id
    app.multiselect(key="runs_compare").select(first.id).select(second.id).run()
    assert not app.exception
    # AppTest keeps no keys on dataframes: find the difference and the metrics
    # by their columns (other tests' comparisons add grouped run tables).
    tables = [element.value for element in app.dataframe]
    difference = next(table for table in tables if "setting" in table.columns)
    metrics = next(table for table in tables if {"run", "model"} <= set(table.columns))
    assert set(difference["setting"]) == {"train.seed", "encodings"}
    assert set(metrics["run"]) == {first.id, second.id}


def test_two_sessions_follow_their_own_runs_and_share_the_list(finished_runs):
    first, second = finished_runs
    one = open_page("runs", query={"run": first.id})
    other = open_page("runs", query={"run": second.id})
    assert one.session_state[state.CURRENT_RUN] == first.id
    assert other.session_state[state.CURRENT_RUN] == second.id
    for app in (one, other):
        assert {first.id, second.id} <= set(app.dataframe[0].value["id"])


def test_deleting_needs_a_confirmation(finished_runs):
    from ui.data import dataset_from_bundled

    frame = dataset_from_bundled("predictive_maintenance").frame
    executor = LocalExecutor(RunStore())
    config = small_window_config(frame.columns)
    # Rows no other test stores: the data must go with its only run.
    doomed = executor.submit(frame.head(2900), config, ("embedding",), "doomed")
    executor.wait(doomed.id, timeout=RUN_SECONDS)
    app = open_page("runs", query={"run": doomed.id})
    app.selectbox(key="runs_delete_pick").select(doomed.id).run()
    assert app.button(key="runs_delete").disabled
    app.checkbox(key="runs_delete_confirm").check().run()
    app.button(key="runs_delete").click().run()
    assert not app.exception
    assert doomed.id not in set(app.dataframe[0].value["id"])
    assert state.CURRENT_RUN not in app.session_state
    assert RunStore().data_path(doomed.data_fingerprint).exists() is False


def test_a_damaged_folder_is_listed_with_its_reason(finished_runs):
    broken = RunStore().root / "20200101-000000-abcdef"
    broken.mkdir()
    (broken / "run.json").write_text('{"format_version": 1, "id": "2020')
    try:
        app = open_page("runs")
        assert not app.exception
        warnings = [shown(element.value) for element in app.warning]
        assert any(
            "20200101-000000-abcdef" in w and "not valid JSON" in w for w in warnings
        )
    finally:
        import shutil

        shutil.rmtree(broken)


def _long_run():
    from ui.data import dataset_from_bundled

    frame = dataset_from_bundled("predictive_maintenance").frame
    config = small_window_config(frame.columns)
    long = config.replace(train=replace(config.train, epochs=300, patience=300))
    executor = LocalExecutor(RunStore())
    record = executor.submit(frame, long, ("embedding",), "long")
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        if any(e["kind"] == "epoch" for e in executor.store.progress(record.id)):
            return executor, record
        time.sleep(0.2)
    raise AssertionError("the long run never reached an epoch")


def test_a_killed_run_shows_as_interrupted_in_the_app():
    executor, record = _long_run()
    app = open_page("train", query={"run": record.id})
    assert not app.exception
    assert app.get("progress"), "live progress bar while it trains"
    assert app.button(key="train_cancel").disabled is False
    os.kill(executor.get(record.id).pid, signal.SIGKILL)
    executor.wait(record.id, timeout=30)
    app.run()
    assert not app.exception
    assert any("ended without finishing" in error for error in errors_of(app))
    app.switch_page("pages/runs.py").run()
    table = app.dataframe[0].value.set_index("id")
    assert table.loc[record.id, "status"] == "interrupted"


def test_cancel_from_the_page_keeps_the_open_models(finished_runs):
    first, _ = finished_runs
    executor, record = _long_run()
    app = open_page("train", {state.OPEN_RUN: first.id}, {"run": record.id})
    app.button(key="train_cancel").click().run()
    ended = executor.wait(record.id, timeout=60)
    assert ended.status is RunStatus.CANCELLED
    app.run()
    assert not app.exception
    assert app.session_state[state.OPEN_RUN] == first.id
    assert any("cancelled" in shown(element.value) for element in app.warning)
