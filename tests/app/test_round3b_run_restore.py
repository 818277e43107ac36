"""A run brings back its data and configuration (issue 23 item 2).

A refresh (a new session with only ``?run=ID``), opening a run on the Runs page,
"Edit this configuration" and "Train again" all restore the run's table from
the run store and its configuration into the form.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import infos_of, open_page
from tests.support.configs import small_window_config
from ui import state


@pytest.fixture(scope="module")
def stored_run():
    """A finished-looking run of part of the sample, with another target than its
    suggestion (``rul``, regression, entity split by seed 3)."""
    from ui.data import dataset_from_bundled

    frame = dataset_from_bundled("predictive_maintenance").frame.head(3000)
    base = small_window_config(frame.columns)
    config = base.replace(
        data=dataclasses.replace(base.data, target_column="rul", task="regression"),
        split=dataclasses.replace(base.split, seed=3),
    )
    store = RunStore()
    record = store.create(frame, config, ("embedding", "onehot"), "machines.csv")
    return store.finish(record.id, RunStatus.DONE), frame


def _restored(app, record, frame) -> None:
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG] == record.config
    restored = app.session_state[state.DATA]
    assert restored.shape == frame.shape
    assert list(restored.columns) == list(frame.columns)
    assert app.session_state[state.DATA_NAME] == "machines.csv"


def test_a_refresh_into_a_run_restores_its_data_and_configuration(stored_run):
    record, frame = stored_run
    app = open_page("configure", query={"run": record.id})
    _restored(app, record, frame)
    assert not any("Load data first" in text for text in infos_of(app))
    assert app.selectbox(key="cfg_target").value == "rul"
    assert app.selectbox(key="cfg_task").value == "regression"
    assert app.number_input(key="cfg_seed").value == 3


def test_opening_a_run_on_the_runs_page_restores_them(stored_run, sample_state):
    record, frame = stored_run
    app = open_page("runs", sample_state)
    app.selectbox(key="runs_pick").select(record.id).run()
    app.button(key="runs_open").click().run()
    _restored(app, record, frame)
    assert app.session_state[state.OPEN_RUN] == record.id


def test_edit_this_configuration_opens_it_in_the_configure_form(stored_run):
    record, frame = stored_run
    app = open_page("runs")
    app.selectbox(key="runs_pick").select(record.id).run()
    app.button(key="runs_edit").click().run()
    _restored(app, record, frame)
    assert app.selectbox(key="cfg_target").value == "rul"
    assert app.radio(key="cfg_framing").value == "window"


def test_train_again_starts_a_run_with_the_same_settings(stored_run):
    record, frame = stored_run
    app = open_page("runs")
    app.selectbox(key="runs_pick").select(record.id).run()
    app.button(key="runs_train_again").click().run()
    _restored(app, record, frame)
    again = app.session_state[state.CURRENT_RUN]
    executor = LocalExecutor(RunStore())
    try:
        assert again != record.id
        started = RunStore().get(again)
        assert started.config == record.config
        assert started.encodings == record.encodings
        assert started.data_fingerprint == record.data_fingerprint
    finally:
        executor.cancel(again)
