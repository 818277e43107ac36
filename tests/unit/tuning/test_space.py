"""Search spaces: JSON in and out, names checked, trial values into a config."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig
from core.errors import ConfigError
from core.tuning.space import Parameter, SearchSpace, default_space
from core.tuning.studies import StudySettings


def _base(framing: str = "window") -> ExperimentConfig:
    return ExperimentConfig(
        DataConfig(
            target_column="y",
            id_column="entity",
            categorical_columns=(ColumnSpec("kind", 4), ColumnSpec("shift")),
            numeric_columns=("x",),
            framing=framing,
            window=12,
        )
    )


def test_the_default_space_round_trips_through_json_and_every_extreme_is_valid():
    base = _base()
    space = default_space(base)
    assert SearchSpace.from_list(space.to_list()) == space
    names = [parameter.name for parameter in space.parameters]
    assert "data.window" in names
    assert {"embedding.kind", "embedding.shift"} <= set(names)
    for parameter in space.parameters:
        values = (
            parameter.choices
            if parameter.kind == "categorical"
            else (parameter.low, parameter.high)
        )
        for value in values:
            if parameter.kind == "int":
                value = int(value)
            config = space.apply(base, {parameter.name: value})
            assert isinstance(config, ExperimentConfig)


def test_no_window_parameter_without_window_framing():
    names = [p.name for p in default_space(_base("sequence")).parameters]
    assert "data.window" not in names


def test_trial_values_land_in_their_fields():
    base = _base()
    space = default_space(base)
    config = space.apply(
        base,
        {
            "model.lstm_units": "128,64",
            "model.cell": "gru",
            "train.batch_size": 32,
            "embedding.kind": 7,
            "data.window": 9,
        },
    )
    assert config.model.lstm_units == (128, 64)
    assert config.model.cell == "gru"
    assert config.train.batch_size == 32
    assert config.data.window == 9
    assert {
        spec.name: spec.embedding_dim for spec in config.data.categorical_columns
    } == {"kind": 7, "shift": None}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model.nonsense", "section.field"),
        ("data.target_column", "setting of the model"),
        ("train.seed", "setting of the model"),
        ("embedding.missing", "categorical column"),
    ],
)
def test_unsearchable_names_are_config_errors_naming_the_parameter(name, expected):
    space = SearchSpace((Parameter(name, "categorical", choices=(1,)),))
    with pytest.raises(ConfigError, match=expected) as raised:
        space.check(_base())
    assert raised.value.field == f"space.{name}"


def test_bad_bounds_and_kinds_are_refused():
    with pytest.raises(ConfigError, match="low <= high"):
        Parameter("model.dropout", "float", low=0.5, high=0.1)
    with pytest.raises(ConfigError, match="log scale"):
        Parameter("train.learning_rate", "float", low=0.0, high=0.1, log=True)
    with pytest.raises(ConfigError, match="kind"):
        Parameter("model.dropout", "normal", low=0.0, high=0.1)
    with pytest.raises(ConfigError, match="once"):
        SearchSpace(
            (
                Parameter("model.cell", "categorical", choices=("gru",)),
                Parameter("model.cell", "categorical", choices=("lstm",)),
            )
        )
    with pytest.raises(ConfigError, match="unknown|expected keys"):
        SearchSpace.from_list([{"name": "model.cell", "kind": "int", "lo": 1}])


def test_a_value_the_config_refuses_is_a_config_error():
    space = SearchSpace((Parameter("model.dropout", "float", low=0.0, high=2.0),))
    with pytest.raises(ConfigError, match="model.dropout"):
        space.apply(_base(), {"model.dropout": 1.5})


def test_study_settings_round_trip_and_check_the_space():
    base = _base()
    settings = StudySettings(base, default_space(base), trials=4, pruner="hyperband")
    assert StudySettings.from_dict(settings.to_dict()) == settings
    assert settings.direction == "maximize"  # binary: ROC AUC
    with pytest.raises(ConfigError, match="pruner"):
        StudySettings(base, default_space(base), pruner="random")
    with pytest.raises(ConfigError, match="trials"):
        StudySettings(base, default_space(base), trials=0)


def test_the_base_values_are_read_back_where_the_space_can_draw_them():
    base = _base()
    base = base.replace(
        model=replace(base.model, lstm_units=(64, 32), dropout=0.2),
        data=replace(base.data, smoothing_alpha=None),
        train=replace(base.train, learning_rate=0.001),
    )
    space = SearchSpace(
        (
            Parameter("model.lstm_units", "categorical", choices=("128,64", "64,32")),
            Parameter("model.dropout", "float", low=0.0, high=0.4),
            Parameter("data.smoothing_alpha", "categorical", choices=(0.3, None)),
            Parameter("embedding.kind", "int", low=2, high=8, step=2),
            # Not drawable as the base has them: out of range, off the step,
            # no embedding size set, no such choice.
            Parameter("train.learning_rate", "float", low=0.005, high=0.05, log=True),
            Parameter("data.window", "int", low=5, high=20, step=5),
            Parameter("embedding.shift", "int", low=2, high=8),
            Parameter("model.cell", "categorical", choices=("gru",)),
        )
    )
    values = space.values_of(base)
    assert values == {
        "model.lstm_units": "64,32",
        "model.dropout": 0.2,
        "data.smoothing_alpha": None,
        "embedding.kind": 4,
    }
    assert space.apply(base, values).to_dict() == base.to_dict()


def test_study_settings_start_from_the_base_unless_told_otherwise():
    base = _base()
    settings = StudySettings(base, default_space(base))
    assert settings.start_from_base
    off = StudySettings(base, default_space(base), start_from_base=False)
    assert StudySettings.from_dict(off.to_dict()) == off
    payload = settings.to_dict()
    del payload["start_from_base"]  # a study saved before the setting existed
    assert StudySettings.from_dict(payload).start_from_base
