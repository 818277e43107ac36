"""ExperimentConfig: validation on construction and JSON round trips."""

from __future__ import annotations

import dataclasses

import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)
from core.errors import ConfigError


def _data(**changes) -> DataConfig:
    values = {
        "target_column": "y",
        "id_column": "id",
        "time_column": "t",
        "categorical_columns": (ColumnSpec("kind", 3), ColumnSpec("shift")),
        "numeric_columns": ("x",),
    }
    return DataConfig(**{**values, **changes})


def test_round_trip_through_json_gives_equal_config():
    config = ExperimentConfig(
        data=_data(framing="window", window=5, horizon=2),
        split=SplitConfig(method="time", seed=3),
        model=ModelConfig(lstm_units=(8, 4), bidirectional=True),
        train=TrainConfig(epochs=2, class_weight="balanced"),
    )
    assert ExperimentConfig.from_json(config.to_json()) == config


def test_config_is_frozen():
    config = ExperimentConfig(data=_data())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.data = _data()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"task": "ranking"}, "data.task"),
        ({"window": 0}, "data.window"),
        ({"horizon": 3}, "data.horizon"),
        ({"numeric_columns": ("kind",)}, "data.categorical_columns"),
        ({"numeric_columns": ("y",)}, "data.numeric_columns"),
        ({"categorical_columns": (), "numeric_columns": ()}, "data.numeric_columns"),
        ({"normalize_by": "x"}, "data.normalize_by"),
    ],
    ids=[
        "unknown-task",
        "zero-window",
        "horizon-needs-window",
        "column-in-two-roles",
        "target-as-feature",
        "no-features",
        "normalize-by-non-categorical",
    ],
)
def test_invalid_data_settings_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        _data(**changes)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_horizon_is_allowed_for_every_task(task):
    assert _data(framing="window", horizon=3, task=task).horizon == 3


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: SplitConfig(validation_fraction=0.5, test_fraction=0.45), "split"),
        (lambda: ModelConfig(lstm_units=()), "model.lstm_units"),
        (lambda: ModelConfig(lstm_units="64"), "model.lstm_units"),
        (lambda: ModelConfig(dropout=1.0), "model.dropout"),
        (lambda: TrainConfig(learning_rate=0), "train.learning_rate"),
        (lambda: ColumnSpec("kind", 0), "kind"),
    ],
    ids=[
        "fractions-leave-no-train",
        "no-lstm",
        "units-text",
        "dropout-1",
        "zero-lr",
        "zero-dim",
    ],
)
def test_invalid_sections_raise(build, field):
    with pytest.raises(ConfigError, match=field):
        build()


def test_a_single_lstm_layer_may_be_a_bare_number():
    payload = ExperimentConfig(data=_data()).to_dict()
    payload["model"]["lstm_units"] = 32
    assert ExperimentConfig.from_dict(payload).model.lstm_units == (32,)


def test_unknown_keys_are_rejected():
    payload = ExperimentConfig(data=_data()).to_dict()
    payload["model"]["units"] = 5
    with pytest.raises(ConfigError, match="units"):
        ExperimentConfig.from_dict(payload)


def test_categorical_columns_accept_short_forms():
    payload = ExperimentConfig(data=_data()).to_dict()
    payload["data"]["categorical_columns"] = ["kind", ["shift", 2]]
    config = ExperimentConfig.from_dict(payload)
    assert config.data.categorical_columns == (
        ColumnSpec("kind", None),
        ColumnSpec("shift", 2),
    )


def test_balanced_class_weight_rejected_for_regression():
    with pytest.raises(ConfigError, match="class_weight"):
        ExperimentConfig(
            data=_data(task="regression"), train=TrainConfig(class_weight="balanced")
        )


def test_bad_json_is_a_config_error():
    with pytest.raises(ConfigError, match="JSON"):
        ExperimentConfig.from_json("{not json")


def test_identity_ignores_later_fields_at_their_defaults():
    from core.config import LATER_FIELDS

    config = ExperimentConfig(
        data=DataConfig(target_column="y", numeric_columns=("x",))
    )
    identity = config.identity_dict()
    for section, defaults in LATER_FIELDS.items():
        assert not set(defaults) & set(identity[section])
    changed = config.replace(
        train=dataclasses.replace(config.train, lr_schedule="cosine")
    )
    assert changed.identity_dict()["train"]["lr_schedule"] == "cosine"
