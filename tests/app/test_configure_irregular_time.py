"""Configure page: the irregular-time options round-trip into the config."""

from __future__ import annotations

from core.config import ExperimentConfig
from tests.support.app import errors_of, open_page
from tests.support.configs import small_window_config
from ui import state

SAVE = "FormSubmitter:experiment_form-Save configuration"


def test_time_inputs_and_a_horizon_in_time_round_trip_into_the_config(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    assert not app.exception
    app.number_input(key="cfg_horizon").set_value(0)
    app.number_input(key="cfg_horizon_time").set_value(48.0)
    app.checkbox(key="cfg_time_deltas").check()
    app.checkbox(key="cfg_time_as_input").check()
    app.selectbox(key="cfg_time_unit").set_value("hours")
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert errors_of(app) == []
    saved = app.session_state[state.CONFIG]
    assert (saved.data.horizon, saved.data.horizon_time) == (None, 48.0)
    assert saved.data.time_deltas
    assert saved.data.time_as_input
    assert saved.data.time_unit == "hours"
    assert ExperimentConfig.from_json(saved.to_json()) == saved
    # The pre-flight estimate ran on it and counted the censored windows.
    assert any("dropped as censored" in warning.value for warning in app.warning)
    # Opened again, the page shows the saved values.
    again = open_page("configure", {**sample_state, state.CONFIG: saved})
    assert again.number_input(key="cfg_horizon_time").value == 48.0
    assert again.checkbox(key="cfg_time_deltas").value
    assert again.checkbox(key="cfg_time_as_input").value
    assert again.selectbox(key="cfg_time_unit").value == "hours"


def test_a_horizon_in_steps_and_in_time_together_is_explained(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.number_input(key="cfg_horizon_time").set_value(48.0)
    app.button(key=SAVE).click().run()
    assert not app.exception
    errors = errors_of(app)
    assert any(
        "data.horizon_time" in error and "data.horizon" in error for error in errors
    )
    assert app.session_state[state.CONFIG] == config
