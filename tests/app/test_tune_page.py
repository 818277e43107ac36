"""Tune page: the space form, a study's trials and figures, "Use this configuration".

The study here is written straight into Optuna's database (no training): the
driver and its runs are covered by tests/integration/test_tuner.py, and the
real-browser test drives a whole study.
"""

from __future__ import annotations

import optuna
import pytest

from core.runs.store import RunStore, default_runs_dir
from core.tuning.driver import distributions, open_study
from core.tuning.space import Parameter, SearchSpace
from core.tuning.studies import StudySettings, StudyStore
from tests.support.app import errors_of, open_page
from tests.support.configs import small_window_config
from ui import state

SUBMIT = "FormSubmitter:tune_form-Start study"


@pytest.fixture
def finished_study(sample_state):
    """A study of three completed trials (trial 1 best) in the test run store."""
    config = small_window_config(sample_state[state.DATA].columns)
    space = SearchSpace(
        (
            Parameter("model.cell", "categorical", choices=("lstm", "gru")),
            Parameter("model.dropout", "float", low=0.0, high=0.5),
        )
    )
    settings = StudySettings(config, space, trials=3, final_seeds=0)
    record = StudyStore(RunStore(default_runs_dir())).create(
        sample_state[state.DATA], settings, "sample"
    )
    study = open_study(record)
    for cell, dropout, value in (
        ("lstm", 0.1, 0.7),
        ("gru", 0.3, 0.9),
        ("lstm", 0.4, 0.6),
    ):
        study.add_trial(
            optuna.trial.create_trial(
                params={"model.cell": cell, "model.dropout": dropout},
                distributions=distributions(settings),
                value=value,
                intermediate_values={0: -0.69, 1: -0.6},
            )
        )
    StudyStore(RunStore(default_runs_dir())).update(record.id, status="done")
    return config, record


def test_without_a_configuration_the_page_says_what_to_do_first():
    app = open_page("tune")
    assert not app.exception
    assert any("configuration first" in info.value for info in app.info)


def test_the_form_offers_the_default_settings(sample_state):
    config = small_window_config(sample_state[state.DATA].columns)
    app = open_page("tune", {**sample_state, state.CONFIG: config})
    assert not app.exception
    assert app.number_input(key="tune_trials").value == 20
    assert app.selectbox(key="tune_pruner").options == ["median", "hyperband", "none"]


def test_a_study_shows_its_trials_best_figures_and_hands_over_its_config(
    sample_state, finished_study
):
    config, record = finished_study
    app = open_page(
        "tune", {**sample_state, state.CONFIG: config}, query={"study": record.id}
    )
    assert not app.exception, app.exception
    assert not errors_of(app)
    tables = [frame.value for frame in app.dataframe]
    table = next(frame for frame in tables if "trial" in frame.columns)
    assert list(table["trial"]) == [0, 1, 2]
    assert any("Best so far: trial 1" in box.value for box in app.success)
    assert {tab.label for tab in app.tabs} >= {"History", "Parameter importances"}
    app.button(key="tune_use").click().run()
    assert not app.exception
    chosen = app.session_state[state.CONFIG]
    assert chosen.model.cell == "gru"
    assert chosen.model.dropout == 0.3


def test_another_users_study_is_not_found(sample_state, finished_study, monkeypatch):
    config, record = finished_study
    StudyStore(RunStore(default_runs_dir())).update(record.id, owner="someone-else")
    from ui import tune

    class Viewer:
        local, is_admin, owner = False, False, "me"

    monkeypatch.setattr(tune.auth, "viewer", lambda: Viewer())
    assert record.id not in [study.id for study in tune.visible_studies()]
    with pytest.raises(Exception, match="expected a study id"):
        tune.find_study(record.id)


def test_the_space_table_round_trips_and_a_bad_row_names_its_parameter(sample_state):
    from core.errors import ConfigError
    from core.tuning.space import default_space
    from ui.tune import space_from_table, space_table

    config = small_window_config(sample_state[state.DATA].columns)
    space = default_space(config)
    assert space_from_table(space_table(space)) == space
    table = space_table(space)
    table.loc[0, "kind"] = "int"
    with pytest.raises(ConfigError) as raised:
        space_from_table(table)
    assert raised.value.field == "space.model.lstm_units"
