"""Configure page: the architecture options (issue 21) round-trip into the config."""

from __future__ import annotations

import dataclasses

from core.config import ExperimentConfig
from tests.support.app import errors_of, open_page
from tests.support.configs import small_window_config
from ui import state

SAVE = "FormSubmitter:experiment_form-Save configuration"


def test_architecture_options_round_trip_into_the_config(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    assert not app.exception
    app.selectbox(key="cfg_cell").set_value("gru")
    app.selectbox(key="cfg_summary").set_value("attention")
    app.number_input(key="cfg_conv_filters").set_value(8)
    app.number_input(key="cfg_conv_kernel").set_value(4)
    app.checkbox(key="cfg_layer_norm").check()
    app.number_input(key="cfg_input_dropout").set_value(0.1)
    app.number_input(key="cfg_clipnorm").set_value(1.5)
    app.selectbox(key="cfg_validation_windows").set_value("last")
    app.number_input(key="cfg_members").set_value(3)
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert not errors_of(app)
    saved = app.session_state[state.CONFIG]
    model = saved.model
    assert (model.cell, model.summary, model.layer_norm) == ("gru", "attention", True)
    assert (model.conv_filters, model.conv_kernel_size) == (8, 4)
    assert model.input_dropout == 0.1
    assert model.members == 3
    assert saved.train.clipnorm == 1.5
    assert saved.split.validation_windows == "last"
    assert ExperimentConfig.from_json(saved.to_json()) == saved
    again = open_page("configure", {**sample_state, state.CONFIG: saved})
    assert again.selectbox(key="cfg_cell").value == "gru"
    assert again.selectbox(key="cfg_summary").value == "attention"
    assert again.number_input(key="cfg_clipnorm").value == 1.5
    assert again.number_input(key="cfg_members").value == 3


def test_huber_loss_is_offered_for_regression_only(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    binary = open_page("configure", {**sample_state, state.CONFIG: config})
    assert binary.selectbox(key="cfg_regression_loss").disabled
    regression = config.replace(
        data=dataclasses.replace(config.data, task="regression", target_column="rul")
    )
    app = open_page("configure", {**sample_state, state.CONFIG: regression})
    assert not app.selectbox(key="cfg_regression_loss").disabled
    app.selectbox(key="cfg_regression_loss").set_value("huber")
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert not errors_of(app)
    assert app.session_state[state.CONFIG].train.regression_loss == "huber"


def test_refit_round_trips_and_is_refused_with_last_window_validation(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.checkbox(key="cfg_refit").check()
    app.selectbox(key="cfg_validation_windows").set_value("last")
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert any("split.validation_windows" in error for error in errors_of(app))
    app.selectbox(key="cfg_validation_windows").set_value("all")
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert not errors_of(app)
    assert app.session_state[state.CONFIG].train.refit is True


def test_bagging_needs_two_members_and_round_trips(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("configure", {**sample_state, state.CONFIG: config})
    app.checkbox(key="cfg_bagging").check()
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert any("model.members" in error for error in errors_of(app))
    app.number_input(key="cfg_members").set_value(3)
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert not errors_of(app)
    saved = app.session_state[state.CONFIG]
    assert saved.train.bagging is True
    assert saved.model.members == 3
