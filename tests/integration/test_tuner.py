"""The tuner end to end: real runs trained by the local executor.

A planted best setting is found, a killed study resumes, and the pruner stops
a hopeless trial. Every trial trains, so the module is marked ``slow``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import optuna
import pytest

from core.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from core.tuning.driver import RUN_ATTRIBUTE, open_study, run_study
from core.tuning.report import load_study, study_report
from core.tuning.space import Parameter, SearchSpace
from core.tuning.studies import StudySettings, StudyStore
from tests.support.paths import ROOT
from tests.support.runs import wait_for
from tests.support.tables import PLANTED_LAG, lagged_signal_table

pytestmark = pytest.mark.slow

WINDOWS = (1, 2, 3, PLANTED_LAG + 2)
#: Safety net for a whole study on two shared cores, not a timing claim.
STUDY_SECONDS = 600


def _base(epochs: int = 4) -> ExperimentConfig:
    return ExperimentConfig(
        DataConfig(
            target_column="y",
            id_column="entity",
            time_column="step",
            numeric_columns=("x",),
            task="binary",
            framing="window",
            window=PLANTED_LAG + 2,
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0, dropout=0.0),
        train=TrainConfig(
            epochs=epochs, batch_size=64, learning_rate=0.01, patience=epochs
        ),
    )


def _study(tmp_path, space: SearchSpace, **settings) -> tuple[LocalExecutor, str]:
    store = RunStore(tmp_path / "runs")
    executor = LocalExecutor(store, max_concurrent=2)
    options = {"final_seeds": 0, **settings}
    record = StudyStore(store).create(
        lagged_signal_table(),
        StudySettings(_base(options.pop("epochs", 4)), space, **options),
        "lagged.csv",
    )
    return executor, record.id


def test_a_small_study_finds_the_planted_window(tmp_path):
    space = SearchSpace((Parameter("data.window", "categorical", choices=WINDOWS),))
    # The base already has the planted window: the sampler must find it alone.
    executor, study_id = _study(
        tmp_path, space, trials=6, parallel=2, pruner="none", start_from_base=False
    )
    record = run_study(executor, study_id, poll_seconds=0.2)
    assert record.status == "done"
    study = load_study(record)
    assert study.best_trial.params["data.window"] == PLANTED_LAG + 2
    # Chance would be one in four: the planted window also wins by a margin.
    by_window = {}
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        window = trial.params["data.window"]
        by_window[window] = max(by_window.get(window, 0.0), trial.value)
    others = [value for window, value in by_window.items() if window != PLANTED_LAG + 2]
    assert by_window[PLANTED_LAG + 2] > max(others, default=0.5) + 0.1
    # Every trial is a run of the store, grouped under the study.
    for trial in study.get_trials():
        run = executor.store.get(trial.user_attrs[RUN_ATTRIBUTE])
        assert run.comparison == study_id
        assert run.label == f"trial {trial.number}"


def test_pruning_stops_a_hopeless_trial(tmp_path):
    space = SearchSpace(
        (Parameter("train.learning_rate", "categorical", choices=(0.01, 1e-6)),)
    )
    executor, study_id = _study(
        tmp_path, space, trials=3, parallel=1, pruner="median", epochs=8
    )
    record = StudyStore(executor.store).get(study_id)
    study = open_study(record)
    for rate in (0.01, 0.01, 1e-6):
        study.enqueue_trial({"train.learning_rate": rate})
    run_study(executor, study_id, poll_seconds=0.1)
    trials = load_study(record).get_trials()
    hopeless = trials[2]
    assert hopeless.state is optuna.trial.TrialState.PRUNED
    assert hopeless.user_attrs["pruned_at_epoch"] < 8
    wait_for(
        lambda: executor.get(hopeless.user_attrs[RUN_ATTRIBUTE]).status.final, 120, 0.5
    )
    run = executor.get(hopeless.user_attrs[RUN_ATTRIBUTE])
    assert run.status is RunStatus.CANCELLED
    assert [t.state for t in trials[:2]] == [optuna.trial.TrialState.COMPLETE] * 2


def test_a_killed_study_resumes_where_it_stopped(tmp_path):
    space = SearchSpace((Parameter("data.window", "categorical", choices=WINDOWS),))
    executor, study_id = _study(tmp_path, space, trials=3, parallel=1, pruner="none")
    record = StudyStore(executor.store).get(study_id)
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core",
            "tune",
            "--runs-dir",
            str(executor.store.root),
            "--resume",
            study_id,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def one_done() -> bool:
            study = load_study(record)
            return study is not None and any(
                t.state is optuna.trial.TrialState.COMPLETE for t in study.get_trials()
            )

        wait_for(one_done, STUDY_SECONDS, 0.5)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
    before = load_study(record).get_trials()
    first_run = before[0].user_attrs[RUN_ATTRIBUTE]
    assert StudyStore(executor.store).get(study_id).status == "searching"
    resumed = run_study(executor, study_id, poll_seconds=0.2)
    assert resumed.status == "done"
    after = load_study(record).get_trials()
    finished = [t for t in after if t.state.is_finished()]
    assert len(finished) == 3
    assert after[0].user_attrs[RUN_ATTRIBUTE] == first_run
    assert after[0].state is optuna.trial.TrialState.COMPLETE
    assert not [t for t in after if t.state is optuna.trial.TrialState.RUNNING]
    # A trial left training by the killed driver was followed, not started again.
    assert len(after) == 3
    report = study_report(executor.store, resumed)
    assert report["search_cost"]["trials"] == 3
    assert report["best"]["params"]["data.window"] in WINDOWS
