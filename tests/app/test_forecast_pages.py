"""Issue 22 item 1 through the pages: a forecast's baselines and standing."""

from __future__ import annotations

import pytest

from core.config import ExperimentConfig
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import RUN_SECONDS, open_page, shown
from tests.support.configs import forecast_config, small_window_config
from tests.support.tables import forecast_table
from tests.unit.features.test_forecast_series_scaling import panel, panel_config
from ui import state

pytestmark = pytest.mark.slow

STANDING = ("beats every baseline", "does not beat the strongest baseline")


@pytest.fixture(scope="module")
def forecast_run():
    """One finished one-epoch forecast run (embedding only)."""
    executor = LocalExecutor(RunStore())
    config = forecast_config(season=4)
    run = executor.submit(forecast_table(), config, ("embedding",), "forecast.csv")
    record = executor.wait(run.id, timeout=RUN_SECONDS)
    assert record.status is RunStatus.DONE, record.error
    return record


def _standings(app) -> list[str]:
    texts = [shown(element.value) for element in (*app.success, *app.warning)]
    return [text for text in texts if any(phrase in text for phrase in STANDING)]


def test_train_page_says_how_the_model_stands_against_the_baselines(forecast_run):
    app = open_page("train", {state.CURRENT_RUN: forecast_run.id})
    assert not app.exception
    assert _standings(app), [e.value for e in (*app.success, *app.warning)]
    models = list(app.dataframe[0].value["model"])
    assert "baseline (seasonal naive, season 4)" in models
    assert "skill" in app.dataframe[0].value.columns


def test_predictions_page_shows_every_baseline_for_a_forecast(forecast_run):
    app = open_page("predictions", {state.OPEN_RUN: forecast_run.id})
    assert not app.exception
    tables = [element.value for element in app.dataframe]
    baselines = next(t for t in tables if "model" in getattr(t, "columns", ()))
    assert list(baselines["model"]) == [
        "model",
        "naive baseline",
        "persistence (last observed)",
        "seasonal naive (season 4)",
    ]
    assert _standings(app)


def test_runs_page_says_it_for_the_opened_run(forecast_run):
    app = open_page("runs", {})
    app.selectbox(key="runs_pick").select(forecast_run.id).run()
    app.button(key="runs_open").click().run()
    assert not app.exception
    assert _standings(app)


def test_season_and_entity_baseline_are_chosen_on_the_configure_page(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.number_input(key="cfg_season").set_value(24)
    app.number_input(key="cfg_entity_baseline").set_value(10)
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    saved = app.session_state[state.CONFIG]
    assert isinstance(saved, ExperimentConfig)
    assert saved.data.season == 24
    assert saved.data.entity_baseline == 10


def test_per_series_scaling_is_preselected_for_far_apart_levels():
    frame = panel(entities=6, steps=30)
    seeded = {
        state.DATA: frame,
        state.DATA_NAME: "panel.csv",
        state.DATA_FINGERPRINT: "test:panel",
        state.DATA_NOTES: [],
        state.CONFIG: panel_config(None),
    }
    app = open_page("configure", seeded)
    assert not app.exception
    assert app.selectbox(key="cfg_target_scaling").value == "entity"
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG].data.target_scaling == "entity"


def test_learning_the_change_is_chosen_on_the_configure_page():
    seeded = {
        state.DATA: forecast_table(),
        state.DATA_NAME: "forecast.csv",
        state.DATA_FINGERPRINT: "test:forecast",
        state.DATA_NOTES: [],
        state.CONFIG: forecast_config(),
    }
    app = open_page("configure", seeded)
    assert not app.exception
    assert app.checkbox(key="cfg_target_change").value is False
    app.checkbox(key="cfg_target_change").check()
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG].data.target_change is True
    # Without the target's past there is no last value: a typed error, shown.
    app.checkbox(key="cfg_target_as_input").uncheck()
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    assert any("data.target_change" in shown(e.value) for e in app.error)
