"""The embedding + LSTM network and its one-hot twin, from stock Keras layers only.

Every categorical column gets a named ``Input`` and its own ``Embedding`` (named
by :func:`core.features.naming.embedding_layer_name`), concatenated with the
scaled numeric
features and fed to one or more LSTM layers. The one-hot twin differs only in
the encoding: its embedding is a frozen identity matrix, so the LSTM sees exact
one-hot vectors without any one-hot array ever being built.

Masking: since Keras 3.4, ``Concatenate`` keeps a step when *any* input is
unmasked, so the embeddings' masks would be lost next to the (unmasked) numeric
input. The model therefore takes the step mask as an explicit boolean input,
computed from the sequence lengths, and hands it to every LSTM layer.

A mask costs about a quarter of the training time on CPU (a select per step and
state, forward and backward), and it changes nothing when no step is padded.
:func:`unmasked_view` gives the same layers and weights without it, which
training uses when every example is full length; the saved model keeps the mask.
"""

from __future__ import annotations

import warnings

import keras
from keras import layers

from core.config import ExperimentConfig
from core.features.naming import (
    MASK_INPUT,
    NUMERIC_INPUT,
    categorical_input_name,
    embedding_layer_name,
)
from core.features.preprocessor import SequencePreprocessor
from core.model.arms import Arm

#: What Keras says when :func:`unmasked_view` drops the masks (on purpose).
DROPPED_MASK_WARNING = ".*will therefore destroy the mask information"


def _categorical_branch(
    column: str, input_dim: int, output_dim: int, onehot: bool
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Input and embedded output of one categorical column."""
    column_input = keras.Input(
        shape=(None,), dtype="int32", name=categorical_input_name(column)
    )
    if onehot:
        embedding = layers.Embedding(
            input_dim,
            input_dim,
            embeddings_initializer="identity",
            trainable=False,
            mask_zero=True,
            name=embedding_layer_name(column),
        )
    else:
        embedding = layers.Embedding(
            input_dim, output_dim, mask_zero=True, name=embedding_layer_name(column)
        )
    return column_input, embedding(column_input)


def _head(task: str, n_classes: int) -> tuple[layers.Layer, str]:
    """Output layer and loss for the task."""
    if task == "binary":
        return layers.Dense(1, activation="sigmoid", name="output"), (
            "binary_crossentropy"
        )
    if task == "multiclass":
        return layers.Dense(n_classes, activation="softmax", name="output"), (
            "sparse_categorical_crossentropy"
        )
    return layers.Dense(1, name="output"), "mean_squared_error"


def build_model(
    config: ExperimentConfig, preprocessor: SequencePreprocessor
) -> keras.Model:
    """Build and compile the network for a fitted preprocessor.

    Parameters
    ----------
    config : ExperimentConfig
        Model and training settings (``config.model.encoding`` picks the
        embedding model or its one-hot twin).
    preprocessor : SequencePreprocessor
        Fitted; supplies vocabulary sizes, embedding widths and feature counts.

    Returns
    -------
    keras.Model
        A compiled Functional model whose inputs are named after the columns,
        plus ``numeric_features`` and ``step_mask``.
    """
    model_config = config.model
    onehot = model_config.encoding == Arm.ONEHOT
    inputs: list[keras.KerasTensor] = []
    features: list[keras.KerasTensor] = []
    for column in preprocessor.config.categorical_names:
        column_input, embedded = _categorical_branch(
            column,
            preprocessor.input_dims_[column],
            preprocessor.embedding_dims_[column],
            onehot,
        )
        inputs.append(column_input)
        features.append(embedded)
    numeric_width = len(preprocessor.numeric_feature_names)
    if numeric_width:
        numeric_input = keras.Input(shape=(None, numeric_width), name=NUMERIC_INPUT)
        inputs.append(numeric_input)
        features.append(numeric_input)
    mask = keras.Input(shape=(None,), dtype="bool", name=MASK_INPUT)
    inputs.append(mask)
    hidden = (
        layers.Concatenate(name="features")(features)
        if len(features) > 1
        else features[0]
    )
    hidden = _recurrent_stack(hidden, mask, config)
    if model_config.dropout > 0:
        hidden = layers.Dropout(model_config.dropout, name="head_dropout")(hidden)
    if model_config.dense_units:
        hidden = layers.Dense(
            model_config.dense_units, activation="relu", name="head_dense"
        )(hidden)
    task = preprocessor.config.task
    output_layer, loss = _head(task, preprocessor.target_encoder_.n_classes)
    model = keras.Model(
        inputs=inputs,
        outputs=output_layer(hidden),
        name=f"{model_config.encoding}_lstm",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.train.learning_rate),
        loss=loss,
        jit_compile=config.train.jit_compile,
    )
    return model


def _recurrent_stack(
    hidden: keras.KerasTensor, mask: keras.KerasTensor, config: ExperimentConfig
) -> keras.KerasTensor:
    """Stacked LSTM layers, each given the explicit step mask."""
    model_config = config.model
    units_list = model_config.lstm_units
    for position, units in enumerate(units_list):
        lstm = layers.LSTM(
            units,
            dropout=model_config.dropout,
            recurrent_dropout=model_config.recurrent_dropout,
            return_sequences=position < len(units_list) - 1,
            name=f"lstm_{position}",
        )
        if model_config.bidirectional:
            lstm = layers.Bidirectional(lstm, name=f"bidirectional_{position}")
        hidden = lstm(hidden, mask=mask)
    return hidden


def unmasked_view(
    model: keras.Model, preprocessor: SequencePreprocessor
) -> keras.Model:
    """The model's own layers (shared weights), wired without the step mask.

    For batches without padding only: fitting it trains ``model``, whose
    outputs equal the view's wherever the mask is all true. It is compiled with
    ``model``'s optimizer (so its state and schedule carry over), loss and XLA
    setting, is never saved, and adds one weightless ``Reshape`` before the
    recurrent layers: without it the embeddings' ``mask_zero`` masks would
    reach the LSTM through ``Concatenate`` (Keras warns that the mask is
    dropped there, which is the point).

    Parameters
    ----------
    model : keras.Model
        Built by :func:`build_model`.
    preprocessor : SequencePreprocessor
        The fitted preprocessor ``model`` was built for (its column names).

    Returns
    -------
    keras.Model
        Inputs of ``model`` except ``step_mask``, the same output.
    """
    names = [layer.name for layer in model.layers]
    by_name = {tensor.name: tensor for tensor in model.inputs}
    inputs, features = [], []
    for column in preprocessor.config.categorical_names:
        tensor = by_name[categorical_input_name(column)]
        column_input = keras.Input(
            shape=tensor.shape[1:], dtype=tensor.dtype, name=tensor.name
        )
        inputs.append(column_input)
        features.append(model.get_layer(embedding_layer_name(column))(column_input))
    if NUMERIC_INPUT in by_name:
        numeric_input = keras.Input(
            shape=by_name[NUMERIC_INPUT].shape[1:], name=NUMERIC_INPUT
        )
        inputs.append(numeric_input)
        features.append(numeric_input)
    hidden = (
        model.get_layer("features")(features) if "features" in names else features[0]
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=DROPPED_MASK_WARNING)
        hidden = layers.Reshape((-1, hidden.shape[-1]), name="drop_mask")(hidden)
    for name in names:
        if name.startswith(("lstm_", "bidirectional_")) or name in (
            "head_dropout",
            "head_dense",
            "output",
        ):
            hidden = model.get_layer(name)(hidden)
    view = keras.Model(inputs, hidden, name=f"{model.name}_unmasked")
    view.compile(
        optimizer=model.optimizer, loss=model.loss, jit_compile=model.jit_compile
    )
    return view


def count_parameters(model: keras.Model) -> dict[str, int]:
    """Trainable weights per embedding layer, in the rest, and in total."""
    counts: dict[str, int] = {}
    rest = 0
    for layer in model.layers:
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        if isinstance(layer, layers.Embedding):
            counts[layer.name] = trainable
        else:
            rest += trainable
    counts["other"] = rest
    counts["total"] = sum(counts.values())
    return counts
