"""A configuration loaded from JSON reaches every widget and is what Save saves.

Issue 23 item 1. A browser keeps showing (and later sends back) the value it
holds for a widget unless the server marks a new value as set
(``proto.set_value``): a default that changed is not enough. ``play_browser_values``
plays that part, so these tests see what a user saw.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.config import ColumnSpec
from tests.support.app import SAVE, load_config_as_a_browser, open_page
from ui import state
from ui.data import dataset_from_bundled, suggested_config


def _loaded():
    config = suggested_config(dataset_from_bundled("predictive_maintenance"))
    data = dataclasses.replace(
        config.data,
        target_column="rul",
        task="regression",
        framing="window",
        window=12,
        stride=3,
        horizon=4,
        target_as_input=True,
        # Explicit sizes: the form saves every size explicitly.
        categorical_columns=(
            ColumnSpec("machine_type", 5),
            ColumnSpec("operator_id", 6),
        ),
    )
    split = dataclasses.replace(config.split, method="time", validation_fraction=0.2)
    return config.replace(data=data, split=split)


@pytest.fixture
def saved_sequence_config(sample_state):
    """The configure page after saving a sequence-framed, entity-split config."""
    app = open_page("configure", sample_state)
    app.radio(key="cfg_framing").set_value("sequence").run()
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG].data.framing == "sequence"
    return app


def test_loaded_config_shows_in_the_role_widgets_at_once(saved_sequence_config):
    app, loaded = saved_sequence_config, _loaded()
    load_config_as_a_browser(app, loaded)
    assert app.selectbox(key="cfg_target").value == "rul"
    assert app.selectbox(key="cfg_task").value == "regression"
    assert app.radio(key="cfg_framing").value == "window"
    assert app.multiselect(key="cfg_categorical").value == [
        "machine_type",
        "operator_id",
    ]
    assert app.radio(key="cfg_split").value == "time"
    assert app.checkbox(key="cfg_target_as_input").value is True


def test_save_after_loading_saves_the_loaded_config(saved_sequence_config):
    app, loaded = saved_sequence_config, _loaded()
    load_config_as_a_browser(app, loaded)
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    saved = app.session_state[state.CONFIG]
    assert saved.data.target_column == "rul"
    assert saved.data.framing == "window"
    assert saved.split.method == "time"
    assert saved.data.target_as_input is True
    assert saved == loaded


def test_loaded_sizes_replace_sizes_applied_by_the_advisor(saved_sequence_config):
    app = saved_sequence_config
    app.session_state[state.SIZE_OVERRIDES] = {"machine_type": 9}
    loaded = _loaded()
    load_config_as_a_browser(app, loaded)
    app.button(key=SAVE).click().run()
    assert not app.exception, app.exception
    assert app.session_state[state.CONFIG] == loaded
