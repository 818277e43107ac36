"""Configure page: the forecasting and schedule options round-trip into the config."""

from __future__ import annotations

from core.config import ExperimentConfig
from tests.support.app import errors_of, open_page
from tests.support.configs import small_window_config
from ui import state

SAVE = "FormSubmitter:experiment_form-Save configuration"


def test_advanced_forecast_options_round_trip_into_the_config(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    assert not app.exception
    app.checkbox(key="cfg_target_as_input").check()
    app.number_input(key="cfg_smoothing_alpha").set_value(0.3)
    app.checkbox(key="cfg_entity_age").check()
    app.selectbox(key="cfg_lr_schedule").set_value("cosine")
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    saved = app.session_state[state.CONFIG]
    assert isinstance(saved, ExperimentConfig)
    assert saved.data.target_as_input
    assert saved.data.smoothing_alpha == 0.3
    assert saved.data.entity_age
    assert saved.train.lr_schedule == "cosine"
    assert ExperimentConfig.from_json(saved.to_json()) == saved
    # Opened again, the page shows the saved values.
    again = open_page("configure", {**sample_state, state.CONFIG: saved})
    assert again.checkbox(key="cfg_target_as_input").value
    assert again.number_input(key="cfg_smoothing_alpha").value == 0.3
    assert again.checkbox(key="cfg_entity_age").value
    assert again.selectbox(key="cfg_lr_schedule").value == "cosine"


def test_target_as_input_without_a_horizon_is_explained(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.number_input(key="cfg_horizon").set_value(0)
    app.checkbox(key="cfg_target_as_input").check()
    app.button(key=SAVE).click().run()
    assert not app.exception
    assert any("data.target_as_input" in error for error in errors_of(app))
    assert app.session_state[state.CONFIG] == config
