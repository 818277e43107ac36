"""Ensembles of members (ModelConfig.members): one model, averaged members."""

from __future__ import annotations

import keras
import numpy as np
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
from core.features.naming import MASK_INPUT
from core.model.experiment import run_experiment
from core.model.network import (
    AVERAGE_LAYER,
    build_model,
    member_count,
    member_output_key,
    training_view,
)
from tests.support.tables import make_long_table

pytestmark = pytest.mark.slow


def _config(members: int, **data_changes) -> ExperimentConfig:
    values = {
        "target_column": "level",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind", 3),),
        "numeric_columns": ("reading",),
        "task": "regression",
    }
    return ExperimentConfig(
        data=DataConfig(**{**values, **data_changes}),
        split=SplitConfig(seed=0),
        model=ModelConfig(lstm_units=(6,), dense_units=4, members=members),
        train=TrainConfig(epochs=3, batch_size=16, seed=0),
    )


@pytest.fixture(scope="module")
def table():
    return make_long_table(seed=3, entities=40)


@pytest.fixture(scope="module")
def ensemble(table):
    return run_experiment(table, _config(3))


def _inputs(result, part: str = "validation") -> dict[str, np.ndarray]:
    from core.model.batches import input_batches

    batches = input_batches(result.prepared, result.prepared.parts[part], 64)
    return batches[0][0]


def test_the_prediction_is_the_mean_of_the_members(ensemble):
    model = ensemble.training.model
    assert member_count(model) == 3
    view = training_view(model, ensemble.prepared.preprocessor, masked=True)
    inputs = _inputs(ensemble)
    separate = [np.asarray(out) for out in view.predict(inputs, verbose=0)]
    assert len(separate) == 3
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0), np.mean(separate, axis=0), atol=1e-5
    )
    # Independently initialised and trained: the members disagree.
    assert not np.allclose(separate[0], separate[1], atol=1e-3)


def test_training_updates_every_member_and_keeps_one_embedding(ensemble, table):
    untrained = build_model(_config(3), ensemble.prepared.preprocessor)
    trained = ensemble.training.model
    for name in ("output", "output_m1", "output_m2", "lstm_0_m2"):
        before = untrained.get_layer(name).get_weights()[0]
        assert before.shape == trained.get_layer(name).get_weights()[0].shape
    embeddings = [
        layer for layer in trained.layers if isinstance(layer, keras.layers.Embedding)
    ]
    assert [layer.name for layer in embeddings] == ["embedding_kind"]
    # Same seed, same initial weights: training moved every member.
    keras.utils.set_random_seed(0)
    fresh = build_model(_config(3), ensemble.prepared.preprocessor)
    for name in ("output", "output_m1", "output_m2"):
        assert not np.allclose(
            fresh.get_layer(name).get_weights()[0],
            trained.get_layer(name).get_weights()[0],
        )


def test_history_keeps_the_mean_loss_not_each_members(ensemble):
    history = ensemble.training.history
    assert {"loss", "val_loss"} <= set(history)
    assert not any(member_output_key(key) for key in history)
    assert len(history["val_loss"]) == ensemble.training.epochs_run


def test_each_member_learns_from_its_own_error(ensemble):
    # The training view's loss is the mean of the members' own losses, so a
    # member's gradient does not depend on the other members' outputs.
    import tensorflow as tf

    model = ensemble.training.model
    view = training_view(model, ensemble.prepared.preprocessor, masked=True)
    inputs = _inputs(ensemble, "train")
    labels = np.ones((len(inputs[MASK_INPUT]), 1), dtype="float32")

    def member_zero_gradient() -> np.ndarray:
        with tf.GradientTape() as tape:
            outputs = view(inputs, training=False)
            loss = view.compute_loss(inputs, (labels,) * 3, outputs)
        weight = model.get_layer("output").kernel
        return tape.gradient(loss, weight).numpy()

    before = member_zero_gradient()
    other = model.get_layer("output_m1")
    saved = other.get_weights()
    other.set_weights([w + 5.0 for w in saved])
    try:
        np.testing.assert_allclose(member_zero_gradient(), before, rtol=1e-5)
    finally:
        other.set_weights(saved)


def test_unpadded_windows_train_the_ensemble_without_the_mask(table):
    result = run_experiment(table, _config(2, framing="window", window=3))
    model = result.training.model
    assert model.get_layer(AVERAGE_LAYER) is not None
    assert np.isfinite(result.training.history["loss"]).all()


def test_one_member_is_the_plain_network(ensemble):
    model = build_model(_config(1), ensemble.prepared.preprocessor)
    names = {layer.name for layer in model.layers}
    assert AVERAGE_LAYER not in names
    assert not any(name.endswith("_m1") for name in names)
    assert member_count(model) == 1


@pytest.mark.parametrize("members", [0, 17, 2.5, True])
def test_members_out_of_range_are_refused_naming_the_field(members):
    with pytest.raises(ConfigError, match="model.members"):
        ModelConfig(members=members)


def test_saved_ensemble_reloads_in_safe_mode(ensemble, tmp_path):
    from core.model.bundle import bundle_from_result, load_bundle, save_bundle

    path = save_bundle(bundle_from_result(ensemble), tmp_path / "bundle")
    reloaded = load_bundle(path)
    assert member_count(reloaded.model) == 3
    inputs = _inputs(ensemble)
    np.testing.assert_allclose(
        reloaded.model.predict(inputs, verbose=0),
        ensemble.training.model.predict(inputs, verbose=0),
        atol=1e-6,
    )


def test_member_zero_starts_as_the_plain_network(ensemble):
    # Keras seeds initializers as layers are created: adding members must not
    # change the plain network's initial weights (nor so its results).
    preprocessor = ensemble.prepared.preprocessor
    keras.utils.set_random_seed(0)
    plain = build_model(_config(1), preprocessor)
    keras.utils.set_random_seed(0)
    pair = build_model(_config(2), preprocessor)
    for layer in plain.layers:
        weights = layer.get_weights()
        if weights:
            for mine, theirs in zip(
                weights, pair.get_layer(layer.name).get_weights(), strict=True
            ):
                np.testing.assert_array_equal(mine, theirs)
