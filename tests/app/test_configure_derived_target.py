"""Configure page: a target derived from an expression (issue 22 item 7)."""

from __future__ import annotations

import dataclasses

from core.config import ColumnSpec, ExperimentConfig
from tests.support.app import SAVE, errors_of, load_config_as_a_browser, open_page
from ui import state
from ui.data import dataset_from_bundled, suggested_config


def _derive(app, name: str, expression: str):
    app.toggle(key="cfg_derive").set_value(True).run()
    app.text_input(key="cfg_derive_name").set_value(name).run()
    app.text_input(key="cfg_derive_expression").set_value(expression).run()
    return app


def _balance(app) -> dict:
    (frame,) = [t.value for t in app.dataframe if "share" in t.value.columns]
    return dict(zip(frame["class"], frame["rows"], strict=True))


def test_the_derived_target_is_off_by_default(sample_state):
    app = open_page("configure", sample_state)
    assert not app.exception
    assert app.toggle(key="cfg_derive").value is False
    assert app.selectbox(key="cfg_target").value == "failure"


def test_a_derived_target_previews_its_balance_and_lands_in_the_config(sample_state):
    app = _derive(open_page("configure", sample_state), "soon", "rul < 20")
    assert not app.exception, app.exception
    assert not errors_of(app)
    frame = sample_state[state.DATA]
    soon = int((frame["rul"] < 20).sum())
    assert _balance(app) == {
        "1": f"{soon:,}",
        "0": f"{len(frame) - soon:,}",
        "missing": "0",
    }
    assert "rul" not in app.multiselect(key="cfg_numeric").options
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert not errors_of(app)
    saved = app.session_state[state.CONFIG]
    assert saved.data.derive_target == "rul < 20"
    assert (saved.data.target_column, saved.data.task) == ("soon", "binary")
    assert "rul" not in saved.data.feature_columns
    assert ExperimentConfig.from_json(saved.to_json()) == saved
    again = open_page("configure", {**sample_state, state.CONFIG: saved})
    assert again.toggle(key="cfg_derive").value is True
    assert again.text_input(key="cfg_derive_expression").value == "rul < 20"
    assert again.text_input(key="cfg_derive_name").value == "soon"


def test_a_bad_expression_shows_an_error_and_saves_nothing(sample_state):
    app = _derive(open_page("configure", sample_state), "soon", "rul <")
    assert not app.exception, app.exception
    assert any("at character 6" in error for error in errors_of(app))
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert any("data.derive_target" in error for error in errors_of(app))
    assert state.CONFIG not in app.session_state


def test_injection_and_unknown_columns_are_refused(sample_state):
    app = _derive(open_page("configure", sample_state), "soon", "__import__('os')")
    assert not app.exception, app.exception
    assert any("dunder name" in error for error in errors_of(app))
    app.text_input(key="cfg_derive_expression").set_value("rull < 3").run()
    assert any("did you mean 'rul'" in error for error in errors_of(app))


def test_correcting_a_typo_keeps_the_read_columns_out_of_the_features(sample_state):
    app = _derive(open_page("configure", sample_state), "soon", "rul < 20")
    assert "rul" not in app.multiselect(key="cfg_numeric").options
    app.text_input(key="cfg_derive_expression").set_value("rul < 20 and").run()
    assert not app.exception, app.exception
    assert errors_of(app)
    assert "rul" not in app.multiselect(key="cfg_numeric").options
    assert "rul" not in app.multiselect(key="cfg_numeric").value


def test_a_loaded_json_config_with_a_derived_target_shows_and_saves(sample_state):
    config = suggested_config(dataset_from_bundled("predictive_maintenance"))
    data = dataclasses.replace(
        config.data,
        target_column="soon",
        derive_target="rul < 20 or site == 'north'",
        # Explicit sizes: the form saves every size explicitly.
        categorical_columns=(ColumnSpec("machine_type", 5), ColumnSpec("failure", 2)),
    )
    loaded = config.replace(data=data)
    app = open_page("configure", sample_state)
    load_config_as_a_browser(app, loaded)
    assert app.toggle(key="cfg_derive").value is True
    assert app.text_input(key="cfg_derive_name").value == "soon"
    assert app.text_input(key="cfg_derive_expression").value == data.derive_target
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG] == loaded
