"""The network: naming, masking traps, one-hot twin, safe reloading."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from core.features.naming import MASK_INPUT, NUMERIC_INPUT, categorical_input_name
from core.features.preprocessor import SequencePreprocessor
from core.model.network import build_model, count_parameters, unmasked_view

DATA = DataConfig(
    target_column="y",
    categorical_columns=(ColumnSpec("kind", 3), ColumnSpec("shift", 2)),
    numeric_columns=("x",),
)


#: The architecture options (ModelConfig), each alone and in the riskiest mixes.
ARCHITECTURES = {
    "gru": {"cell": "gru"},
    "causal-conv": {"conv_filters": 4, "conv_kernel_size": 3},
    "attention": {"summary": "attention"},
    "mean-last": {"summary": "mean_last"},
    "mean-last-stacked-bidirectional": {
        "summary": "mean_last",
        "lstm_units": (8, 4),
        "bidirectional": True,
    },
    "gru-mean-last-bidirectional": {
        "cell": "gru",
        "summary": "mean_last",
        "bidirectional": True,
    },
    "layer-norm-attention-conv": {
        "layer_norm": True,
        "summary": "attention",
        "conv_filters": 3,
    },
    "input-dropout": {"input_dropout": 0.3},
    "members": {"members": 3},
    "members-mean-last-stacked-bidirectional-conv": {
        "members": 2,
        "summary": "mean_last",
        "lstm_units": (8, 4),
        "bidirectional": True,
        "conv_filters": 3,
    },
}


@pytest.fixture(scope="module")
def preprocessor() -> SequencePreprocessor:
    frame = pd.DataFrame(
        {
            "kind": list("abcd") * 5,
            "shift": [0, 1] * 10,
            "x": np.linspace(0, 1, 20),
            "y": [0, 1] * 10,
        }
    )
    return SequencePreprocessor(DATA).fit(frame)


def _model(preprocessor, **model_changes) -> keras.Model:
    keras.utils.set_random_seed(0)
    config = ExperimentConfig(data=DATA, model=ModelConfig(**model_changes))
    return build_model(config, preprocessor)


def _inputs(width: int, length: int = 5, fill: float = 0.0) -> dict[str, np.ndarray]:
    """One sequence of ``length`` real steps padded to ``width`` with ``fill``."""
    rng = np.random.default_rng(0)
    kind = np.zeros((1, width), dtype="int32")
    shift = np.zeros((1, width), dtype="int32")
    numeric = np.full((1, width, 1), fill, dtype="float32")
    kind[0, :length] = rng.integers(2, 6, length)
    shift[0, :length] = rng.integers(2, 4, length)
    numeric[0, :length, 0] = rng.normal(size=length)
    mask = np.zeros((1, width), dtype=bool)
    mask[0, :length] = True
    return {
        categorical_input_name("kind"): kind,
        categorical_input_name("shift"): shift,
        NUMERIC_INPUT: numeric,
        MASK_INPUT: mask,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"encoding": "onehot"},
        {"lstm_units": (8, 4), "bidirectional": True},
        *ARCHITECTURES.values(),
    ],
    ids=["embedding", "onehot", "stacked-bidirectional", *ARCHITECTURES],
)
def test_padding_length_does_not_change_the_prediction(preprocessor, changes):
    model = _model(preprocessor, **changes)
    short = model.predict(_inputs(20), verbose=0)
    long = model.predict(_inputs(50), verbose=0)
    np.testing.assert_allclose(short, long, atol=1e-6)


@pytest.mark.parametrize(
    "changes", [{}, *ARCHITECTURES.values()], ids=["default", *ARCHITECTURES]
)
def test_garbage_in_padded_steps_is_ignored(preprocessor, changes):
    # The Keras >= 3.4 Concatenate trap: with the numeric input unmasked, padded
    # steps would count. The explicit step mask must make them irrelevant.
    model = _model(preprocessor, **changes)
    clean = model.predict(_inputs(30), verbose=0)
    noisy = _inputs(30, fill=50.0)
    noisy[categorical_input_name("kind")][0, 5:] = 3
    np.testing.assert_allclose(model.predict(noisy, verbose=0), clean, atol=1e-6)


def test_the_mask_input_is_what_hides_padding(preprocessor):
    # Negative control: declaring the padded steps real changes the output, so
    # the test above would catch a model that ignored its mask.
    model = _model(preprocessor)
    inputs = _inputs(30, fill=50.0)
    unmasked = dict(inputs, **{MASK_INPUT: np.ones((1, 30), dtype=bool)})
    assert not np.allclose(
        model.predict(unmasked, verbose=0), model.predict(inputs, verbose=0)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"encoding": "onehot"},
        {"lstm_units": (8, 4), "bidirectional": True},
        {"dropout": 0.0, "dense_units": 0},
        *ARCHITECTURES.values(),
    ],
    ids=[
        "embedding",
        "onehot",
        "stacked-bidirectional",
        "no-head-extras",
        *ARCHITECTURES,
    ],
)
@pytest.mark.filterwarnings("ignore:.*destroy the mask information")
def test_unmasked_view_equals_the_model_on_full_length_inputs(preprocessor, changes):
    model = _model(preprocessor, **changes)
    view = unmasked_view(model, preprocessor)
    full = _inputs(12, length=12)
    without_mask = {key: value for key, value in full.items() if key != MASK_INPUT}
    assert MASK_INPUT not in {tensor.name for tensor in view.inputs}
    np.testing.assert_allclose(
        view.predict(without_mask, verbose=0),
        model.predict(full, verbose=0),
        atol=1e-6,
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*destroy the mask information")
def test_fitting_the_unmasked_view_trains_the_model(preprocessor):
    model = _model(preprocessor)
    view = unmasked_view(model, preprocessor)
    assert view.optimizer is model.optimizer
    inputs = {k: v for k, v in _inputs(8, length=8).items() if k != MASK_INPUT}
    before = model.get_layer("embedding_kind").get_weights()[0].copy()
    view.fit(inputs, np.ones((1, 1), dtype="float32"), epochs=2, verbose=0)
    after = model.get_layer("embedding_kind").get_weights()[0]
    assert not np.allclose(before, after)
    np.testing.assert_allclose(
        model.predict(_inputs(8, length=8), verbose=0),
        view.predict(inputs, verbose=0),
        atol=1e-6,
    )


def test_layers_are_named_after_columns(preprocessor):
    model = _model(preprocessor)
    names = {layer.name for layer in model.layers}
    assert {"embedding_kind", "embedding_shift", "cat_kind", "cat_shift"} <= names
    assert model.get_layer("embedding_kind").output_dim == 3
    assert model.get_layer("embedding_kind").input_dim == 4 + 2


def test_onehot_twin_feeds_exact_one_hot_vectors(preprocessor):
    model = _model(preprocessor, encoding="onehot")
    layer = model.get_layer("embedding_kind")
    np.testing.assert_array_equal(layer.get_weights()[0], np.eye(6))
    assert layer.trainable is False
    counts = count_parameters(model)
    assert counts["embedding_kind"] == 0
    assert counts["other"] > 0


def test_parameter_counts_split_embeddings_from_the_rest(preprocessor):
    counts = count_parameters(_model(preprocessor))
    assert counts["embedding_kind"] == 6 * 3
    assert counts["embedding_shift"] == 4 * 2
    # Against Keras's own count, not against the sum the function computes.
    model = _model(preprocessor)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert count_parameters(model)["total"] == trainable
    lstm = model.get_layer(next(n for n in _layer_names(model) if "lstm" in n))
    assert counts["other"] >= lstm.count_params()


@pytest.mark.parametrize(
    "changes",
    [{"encoding": "embedding"}, {"encoding": "onehot"}, *ARCHITECTURES.values()],
    ids=["embedding", "onehot", *ARCHITECTURES],
)
def test_saved_model_reloads_in_safe_mode_with_same_output(
    preprocessor, changes, tmp_path
):
    model = _model(preprocessor, **changes)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, compile=False, safe_mode=True)
    np.testing.assert_allclose(
        reloaded.predict(_inputs(12), verbose=0),
        model.predict(_inputs(12), verbose=0),
        atol=1e-6,
    )


def test_dropout_never_reaches_the_raw_inputs_inside_the_recurrent_layers(
    preprocessor,
):
    # The C-MAPSS diagnosis: LSTM(dropout=...) draws one input mask per
    # sequence, blanking whole sensors for a window. ``dropout`` must become
    # Dropout layers after the recurrent layers instead.
    model = _model(preprocessor, dropout=0.3, lstm_units=(8, 4))
    recurrent = [layer for layer in model.layers if layer.name.startswith("lstm_")]
    assert [layer.dropout for layer in recurrent] == [0.0, 0.0]
    names = _layer_names(model)
    assert names.index("dropout_0") > names.index("lstm_0")
    assert names.index("dropout_1") > names.index("lstm_1")


def test_input_dropout_is_explicit_and_on_the_first_layer_only(preprocessor):
    model = _model(preprocessor, input_dropout=0.2, lstm_units=(8, 4), cell="gru")
    assert model.get_layer("gru_0").dropout == pytest.approx(0.2)
    assert model.get_layer("gru_1").dropout == 0.0


def test_huber_loss_and_gradient_clipping_reach_the_compiled_model():
    frame = pd.DataFrame({"x": np.linspace(0, 1, 20), "y": np.linspace(0, 5, 20)})
    data = DataConfig(target_column="y", numeric_columns=("x",), task="regression")
    fitted = SequencePreprocessor(data).fit(frame)
    config = ExperimentConfig(
        data=data, train=TrainConfig(regression_loss="huber", clipnorm=1.5)
    )
    model = build_model(config, fitted)
    assert model.loss == "huber"
    assert model.optimizer.clipnorm == pytest.approx(1.5)
    plain = build_model(ExperimentConfig(data=data), fitted)
    assert plain.loss == "mean_squared_error"
    assert plain.optimizer.clipnorm is None


def test_lambda_layer_is_refused_in_safe_mode(tmp_path):
    # The reason models must be stock layers: safe mode refuses Lambda.
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ValueError, match="(?i)lambda|unsafe|safe_mode"):
        keras.saving.load_model(path, safe_mode=True)


def _layer_names(model) -> list[str]:
    return [layer.name for layer in model.layers]
