"""Item 2 of issue 22: per-series scaling of the target and its past."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
from core.examples.prepare import prepare_experiment, prepare_prediction
from core.features.derived import target_input_name
from core.features.preprocessor import SequencePreprocessor
from core.features.series_scaling import level_ratio, suggest_series_scaling


def panel(entities: int = 24, steps: int = 48, seed: int = 0) -> pd.DataFrame:
    """Series whose levels span three orders of magnitude (10 to 10,000).

    A yearly season, a slow trend and noise proportional to the level.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for entity in range(entities):
        level = 10 ** rng.uniform(1, 4)
        phase = rng.uniform(0, 2 * np.pi)
        for step in range(steps):
            shape = 1 + 0.3 * np.sin(2 * np.pi * step / 12 + phase) + 0.005 * step
            rows.append(
                {
                    "entity": f"s{entity}",
                    "step": step,
                    "kind": "ab"[entity % 2],
                    "noise": rng.normal(),
                    "value": level * shape * (1 + rng.normal(scale=0.03)),
                }
            )
    return pd.DataFrame(rows)


def panel_config(
    scaling: str | None, split: str = "time", epochs: int = 1
) -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column="value",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind"),),
            numeric_columns=("noise",),
            task="regression",
            framing="window",
            window=12,
            horizon=1,
            target_as_input=True,
            season=12,
            target_scaling=scaling,
        ),
        split=SplitConfig(method=split, seed=0),
        model=ModelConfig(lstm_units=(16,), dense_units=0),
        train=TrainConfig(epochs=epochs, batch_size=64, seed=0),
    )


@pytest.mark.parametrize(
    "changes",
    [{"target_scaling": "station"}, {"target_scaling": "entity", "task": "binary"}],
    ids=["unknown-column", "not-regression"],
)
def test_invalid_target_scaling_names_the_field(changes):
    values = panel_config("entity").data.__dict__ | changes
    with pytest.raises(ConfigError, match=r"data\.target_scaling"):
        DataConfig(**values)


def test_target_scaling_is_a_later_field():
    assert "target_scaling" not in panel_config(None).identity_dict()["data"]
    config = panel_config("kind")
    assert ExperimentConfig.from_json(config.to_json()) == config


def test_levels_three_orders_apart_suggest_per_series_scaling():
    data = panel_config(None).data
    assert level_ratio(panel(), data) > 100
    assert suggest_series_scaling(panel(), data)
    flat = panel().assign(value=lambda frame: 50 + frame["noise"])
    assert not suggest_series_scaling(flat, data)


def test_training_labels_are_scaled_per_series_and_predictions_unscaled():
    prepared = prepare_experiment(panel(), panel_config("entity"))
    train = prepared.parts["train"]
    entity = prepared.entity_of_row[train.end_rows]
    scaled = pd.Series(train.model_labels()).groupby(entity)
    # Every series is on its own scale: mean near 0, spread near 1.
    assert scaled.mean().abs().max() < 0.5
    assert scaled.std().between(0.5, 1.5).all()
    # A model answering 0 in model units predicts each series' training mean.
    test = prepared.parts["test"]
    decoded = prepared.preprocessor.decode_target(
        test.from_model_units(np.zeros(len(test)))
    )
    raw = panel().set_index("entity")["value"]
    first = prepared.entity_of_row[test.end_rows[0]]
    levels = raw.loc[first]
    assert decoded[0] == pytest.approx(levels.iloc[: int(0.7 * 48)].mean(), rel=0.2)


def test_the_targets_past_input_is_on_the_same_series_scale():
    prepared = prepare_experiment(panel(), panel_config("entity"))
    names = prepared.preprocessor.numeric_feature_names
    column = names.index(target_input_name(prepared.preprocessor.config))
    past = prepared.encoded.numeric[:, column]
    entity = prepared.entity_of_row
    # Globally scaled, a level-10 series would sit near -0.5 throughout.
    per_series = pd.Series(past).groupby(entity).std()
    assert per_series.min() > 0.3


def test_unseen_series_are_scaled_by_their_own_past_only():
    prepared = prepare_experiment(panel(), panel_config("entity", split="entity"))
    preprocessor = prepared.preprocessor
    new = panel(entities=1, seed=7).assign(entity="new")
    changed = new.copy()
    changed.loc[changed.index[-1], "value"] *= 1000  # a later step changes
    before = prepare_prediction(new, preprocessor).encoded
    after = prepare_prediction(changed, preprocessor).encoded
    np.testing.assert_allclose(before.series_center, after.series_center)
    np.testing.assert_allclose(before.series_scale, after.series_scale)
    # Its statistics come from its own first window, not the training fallback.
    first_window = new["value"].iloc[:12]
    assert before.series_center[20] == pytest.approx(first_window.mean())
    assert before.series_scale[20] == pytest.approx(first_window.std(ddof=0))


def test_preprocessor_json_keeps_the_series_statistics():
    prepared = prepare_experiment(panel(), panel_config("kind"))
    restored = SequencePreprocessor.from_dict(prepared.preprocessor.to_dict())
    again = prepare_prediction(panel(), restored)
    original = prepare_prediction(panel(), prepared.preprocessor)
    np.testing.assert_allclose(again.encoded.numeric, original.encoded.numeric)
    np.testing.assert_allclose(
        again.parts["all"].label_scale, original.parts["all"].label_scale
    )


def test_gradient_boosting_gets_the_same_scaled_inputs():
    from core.model.gbm_arm import part_features, train_gbm_arm

    scaled = prepare_experiment(panel(), panel_config("entity"))
    plain = prepare_experiment(panel(), panel_config(None))
    _, labels, _ = part_features(scaled, "train")
    np.testing.assert_allclose(labels, scaled.parts["train"].model_labels())
    scaled_rmse = train_gbm_arm(scaled, seed=0)[0]["test"]["rmse"]
    plain_rmse = train_gbm_arm(plain, seed=0)[0]["test"]["rmse"]
    assert scaled_rmse < plain_rmse


@pytest.mark.slow
def test_on_a_wide_level_panel_the_scaled_lstm_beats_the_unscaled_one():
    from core.model.experiment import run_experiment

    frame = panel(entities=40, steps=60)
    rmse = {
        scaling: run_experiment(frame, panel_config(scaling, epochs=8)).metrics["test"][
            "rmse"
        ]
        for scaling in (None, "entity")
    }
    assert rmse["entity"] < 0.8 * rmse[None], rmse
