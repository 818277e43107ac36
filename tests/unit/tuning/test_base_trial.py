"""A study's first trial is the configuration it started from."""

from __future__ import annotations

from dataclasses import replace

import optuna

from core.config import ColumnSpec, DataConfig, ExperimentConfig, TrainConfig
from core.tuning.driver import (
    BASE_ORIGIN,
    ORIGIN_ATTRIBUTE,
    distributions,
    queue_base_trial,
)
from core.tuning.space import Parameter, SearchSpace
from core.tuning.studies import StudySettings


def _settings() -> StudySettings:
    base = ExperimentConfig(
        DataConfig(
            target_column="y",
            id_column="entity",
            categorical_columns=(ColumnSpec("kind", 4),),
            numeric_columns=("x",),
            window=6,
        ),
        train=TrainConfig(learning_rate=0.002),
    )
    space = SearchSpace(
        (
            Parameter("train.learning_rate", "float", low=1e-4, high=1e-1, log=True),
            Parameter("embedding.kind", "int", low=2, high=16),
            Parameter("model.cell", "categorical", choices=("gru", "lstm")),
            # The base's window is outside: this one is drawn.
            Parameter("data.window", "int", low=10, high=20),
        )
    )
    return StudySettings(base, space)


def test_the_first_trial_asked_is_the_base_with_the_rest_drawn():
    settings = _settings()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    assert queue_base_trial(study, settings)
    trial = study.ask(distributions(settings))
    assert trial.params["train.learning_rate"] == 0.002
    assert trial.params["embedding.kind"] == 4
    assert trial.params["model.cell"] == "lstm"
    assert 10 <= trial.params["data.window"] <= 20
    assert trial.user_attrs[ORIGIN_ATTRIBUTE] == BASE_ORIGIN
    # The next trial is the sampler's own.
    assert ORIGIN_ATTRIBUTE not in study.ask(distributions(settings)).user_attrs


def test_a_study_with_trials_is_not_given_the_base_again():
    settings = _settings()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    study.enqueue_trial({"train.learning_rate": 0.05})  # queued by hand
    assert not queue_base_trial(study, settings)
    assert study.ask(distributions(settings)).params["train.learning_rate"] == 0.05


def test_a_study_told_not_to_start_from_the_base_draws_its_first_trial():
    settings = replace(_settings(), start_from_base=False)
    study = optuna.create_study()
    assert not queue_base_trial(study, settings)
    assert not study.get_trials()
