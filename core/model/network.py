"""The embedding + LSTM network and its one-hot twin, from stock Keras layers only.

Every categorical column gets a named ``Input`` and its own ``Embedding`` (named
by :func:`core.features.naming.embedding_layer_name`), concatenated with the
scaled numeric features and fed to one or more LSTM layers. Options
(``ModelConfig``): GRU instead of LSTM, a causal ``Conv1D`` front end,
``LayerNormalization`` and ``Dropout`` after each recurrent layer, and a
sequence summary (last state, attention pooling, mean next to last), and an
ensemble of independently initialised members (``ModelConfig.members``: each
member its own recurrent body and head, the embeddings shared) whose outputs
``Average`` combines. The one-hot twin differs only in
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

import re
import warnings
from collections.abc import Callable, Sequence

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
from core.model.pinball import PinballLoss

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


def _head(
    task: str,
    n_classes: int,
    regression_loss: str = "mse",
    horizons: int = 1,
    quantiles: tuple[float, ...] | None = None,
    name: str = "output",
) -> tuple[layers.Layer, str | keras.losses.Loss]:
    """Output layer and loss for the task.

    A regression predicts ``horizons`` steps at once; with ``quantiles``, each
    step's quantiles (``horizons x quantiles`` outputs, horizon-major) under
    the pinball loss.
    """
    if task == "binary":
        return layers.Dense(1, activation="sigmoid", name=name), ("binary_crossentropy")
    if task == "multiclass":
        return layers.Dense(n_classes, activation="softmax", name=name), (
            "sparse_categorical_crossentropy"
        )
    if quantiles:
        width = horizons * len(quantiles)
        return layers.Dense(width, name=name), PinballLoss(quantiles, horizons)
    loss = "huber" if regression_loss == "huber" else "mean_squared_error"
    return layers.Dense(horizons, name=name), loss


def build_model(
    config: ExperimentConfig, preprocessor: SequencePreprocessor
) -> keras.Model:
    """Build and compile the network for a fitted preprocessor.

    Parameters
    ----------
    config : ExperimentConfig
        Model and training settings (``config.model.encoding`` picks the
        embedding model or its one-hot twin; ``config.model.members`` how many
        independently initialised bodies the prediction averages).
    preprocessor : SequencePreprocessor
        Fitted; supplies vocabulary sizes, embedding widths and feature counts.

    Returns
    -------
    keras.Model
        A compiled Functional model whose inputs are named after the columns,
        plus ``numeric_features`` and ``step_mask``. With several members its
        output is their average (layer :data:`AVERAGE_LAYER`); training fits
        :func:`training_view`, which gives each member its own loss.
    """
    model_config = config.model
    inputs, features = _feature_inputs(preprocessor, model_config.encoding)
    mask = keras.Input(shape=(None,), dtype="bool", name=MASK_INPUT)
    inputs.append(mask)
    hidden = (
        layers.Concatenate(name="features")(features)
        if len(features) > 1
        else features[0]
    )
    outputs, loss = [], None
    for member in range(model_config.members):
        # The head before the body: Keras seeds each layer's initializers as
        # it is created, so this order keeps a one-member model's initial
        # weights (and results) those of earlier releases.
        output_layer, loss = _head(
            preprocessor.config.task,
            preprocessor.target_encoder_.n_classes,
            config.train.regression_loss,
            config.data.horizons or 1,
            config.train.quantiles,
            name=member_layer_name("output", member),
        )
        body = _body_layers(config, member)
        body["output"] = output_layer
        with warnings.catch_warnings():
            # Conv1D and Reshape drop Keras's implicit masks; the explicit step
            # mask reaches every layer that needs one.
            warnings.filterwarnings("ignore", message=DROPPED_MASK_WARNING)
            outputs.append(_wire_body(hidden, mask, body.get))
    model = keras.Model(
        inputs=inputs,
        outputs=_combine_members(outputs),
        name=f"{model_config.encoding}_lstm",
    )
    model.compile(
        optimizer=_optimizer(config),
        loss=loss,
        jit_compile=config.train.jit_compile,
    )
    return model


def _feature_inputs(
    preprocessor: SequencePreprocessor, encoding: str
) -> tuple[list[keras.KerasTensor], list[keras.KerasTensor]]:
    """The column inputs (no step mask) and the per-step features they give."""
    inputs: list[keras.KerasTensor] = []
    features: list[keras.KerasTensor] = []
    for column in preprocessor.config.categorical_names:
        column_input, embedded = _categorical_branch(
            column,
            preprocessor.input_dims_[column],
            preprocessor.embedding_dims_[column],
            encoding == Arm.ONEHOT,
        )
        inputs.append(column_input)
        features.append(embedded)
    numeric_width = len(preprocessor.numeric_feature_names)
    if numeric_width:
        numeric_input = keras.Input(shape=(None, numeric_width), name=NUMERIC_INPUT)
        inputs.append(numeric_input)
        features.append(numeric_input)
    return inputs, features


#: The layer that averages the members' outputs (absent with one member).
AVERAGE_LAYER = "members_average"


def member_layer_name(name: str, member: int) -> str:
    """A body layer's name in ``member``: the plain name for member 0.

    Member 0 keeps the names a single network has, so a one-member model is
    exactly the network of earlier releases (and reloads their bundles).
    """
    return name if member == 0 else f"{name}_m{member}"


def member_output_key(key: str) -> bool:
    """Whether a Keras log key is one member's own loss (``output_m1_loss``...).

    Keras logs each output's loss beside the total when a model has several
    outputs, as an ensemble's training view has.
    """
    return re.fullmatch(r"(val_)?output(_m\d+)?_loss", key) is not None


def _combine_members(outputs: list[keras.KerasTensor]) -> keras.KerasTensor:
    """One output: the only member's, or the average of all members'."""
    if len(outputs) == 1:
        return outputs[0]
    return layers.Average(name=AVERAGE_LAYER)(outputs)


def member_count(model: keras.Model) -> int:
    """How many members ``model``'s prediction averages (1 for a plain network)."""
    names = {layer.name for layer in model.layers}
    count = 1
    while member_layer_name("output", count) in names:
        count += 1
    return count


def _optimizer(config: ExperimentConfig) -> keras.optimizers.Optimizer:
    """Adam at the configured rate, with gradient clipping when asked for."""
    clipnorm = config.train.clipnorm
    return keras.optimizers.Adam(
        learning_rate=config.train.learning_rate,
        clipnorm=float(clipnorm) if clipnorm is not None else None,
    )


def _recurrent_layer(
    config: ExperimentConfig, position: int, units: int, last: bool, member: int
) -> layers.Layer:
    """One recurrent layer (wrapped when bidirectional), named by position."""
    model_config = config.model
    pooled = model_config.summary != "last"
    cell = layers.GRU if model_config.cell == "gru" else layers.LSTM
    recurrent = cell(
        units,
        # Input dropout blanks whole channels per sequence: first layer only,
        # and only when asked for (ModelConfig.input_dropout).
        dropout=model_config.input_dropout if position == 0 else 0.0,
        recurrent_dropout=model_config.recurrent_dropout,
        return_sequences=not last or pooled,
        # The last state of a pooled summary comes from the returned state,
        # which the step mask keeps at each sequence's last real step.
        return_state=last and model_config.summary == "mean_last",
        name=member_layer_name(f"{model_config.cell}_{position}", member),
    )
    if model_config.bidirectional:
        return layers.Bidirectional(
            recurrent, name=member_layer_name(f"bidirectional_{position}", member)
        )
    return recurrent


def _body_layers(config: ExperimentConfig, member: int = 0) -> dict[str, layers.Layer]:
    """Every layer of one member between the features and the output.

    Keyed by the plain names :func:`_wire_body` looks up; the layers themselves
    are named for ``member`` (:func:`member_layer_name`).
    """
    model_config = config.model

    def named(name: str) -> str:
        return member_layer_name(name, member)

    body: dict[str, layers.Layer] = {}
    if model_config.conv_filters:
        body["conv_front"] = layers.Conv1D(
            model_config.conv_filters,
            model_config.conv_kernel_size,
            padding="causal",
            activation="relu",
            name=named("conv_front"),
        )
    units_list = model_config.lstm_units
    for position, units in enumerate(units_list):
        last = position == len(units_list) - 1
        body[f"recurrent_{position}"] = _recurrent_layer(
            config, position, units, last, member
        )
        if model_config.layer_norm:
            body[f"layer_norm_{position}"] = layers.LayerNormalization(
                name=named(f"layer_norm_{position}")
            )
        if model_config.dropout > 0:
            body[f"dropout_{position}"] = layers.Dropout(
                model_config.dropout, name=named(f"dropout_{position}")
            )
    if model_config.summary == "attention":
        body["attention_score"] = layers.Dense(1, name=named("attention_score"))
        body["attention_flatten"] = layers.Reshape(
            (-1,), name=named("attention_flatten")
        )
        body["attention_weights"] = layers.Softmax(
            axis=-1, name=named("attention_weights")
        )
        body["attention_pool"] = layers.Dot(axes=(1, 1), name=named("attention_pool"))
    elif model_config.summary == "mean_last":
        body["mean_pool"] = layers.GlobalAveragePooling1D(name=named("mean_pool"))
        body["mean_last"] = layers.Concatenate(name=named("mean_last"))
    if model_config.dense_units:
        body["head_dense"] = layers.Dense(
            model_config.dense_units, activation="relu", name=named("head_dense")
        )
    return body


LayerLookup = Callable[[str], "layers.Layer | None"]


def _wire_body(
    hidden: keras.KerasTensor, mask: keras.KerasTensor | None, layer: LayerLookup
) -> keras.KerasTensor:
    """Connect the body's layers (those ``layer`` finds) from features to output.

    One wiring for :func:`build_model` (new layers, explicit step mask) and
    :func:`unmasked_view` (the model's own layers, no mask).
    """
    if (conv := layer("conv_front")) is not None:
        hidden = conv(hidden)
    states: list[keras.KerasTensor] = []
    position = 0
    while (recurrent := _recurrent_at(layer, position)) is not None:
        output = recurrent(hidden, mask=mask)
        if isinstance(output, list | tuple):
            hidden, states = output[0], _final_states(recurrent, output[1:])
        else:
            hidden = output
        for name in (f"layer_norm_{position}", f"dropout_{position}"):
            if (extra := layer(name)) is not None:
                hidden = extra(hidden)
        position += 1
    hidden = _summary(hidden, mask, states, layer)
    if (dense := layer("head_dense")) is not None:
        hidden = dense(hidden)
    return layer("output")(hidden)


def _recurrent_at(layer: LayerLookup, position: int) -> layers.Layer | None:
    """The recurrent layer at ``position`` under any of its names, or None."""
    for prefix in ("recurrent", "bidirectional", "lstm", "gru"):
        found = layer(f"{prefix}_{position}")
        if found is not None:
            return found
    return None


def _final_states(
    recurrent: layers.Layer, states: Sequence[keras.KerasTensor]
) -> list[keras.KerasTensor]:
    """The hidden (not cell) states among a recurrent layer's returned states."""
    inner = (
        recurrent.forward_layer if hasattr(recurrent, "forward_layer") else recurrent
    )
    per_direction = 2 if isinstance(inner, layers.LSTM) else 1
    return list(states[::per_direction])


def _summary(
    hidden: keras.KerasTensor,
    mask: keras.KerasTensor | None,
    states: list[keras.KerasTensor],
    layer: LayerLookup,
) -> keras.KerasTensor:
    """One vector per example from the last recurrent layer's output."""
    if (score := layer("attention_score")) is not None:
        scores = layer("attention_flatten")(score(hidden))
        weights = layer("attention_weights")(scores, mask=mask)
        return layer("attention_pool")([weights, hidden])
    if (mean := layer("mean_pool")) is not None:
        return layer("mean_last")([mean(hidden, mask=mask), *states])
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
    return _rewired(model, preprocessor, masked=False, separate_members=False)


def training_view(
    model: keras.Model, preprocessor: SequencePreprocessor, masked: bool
) -> keras.Model:
    """What training fits: ``model`` or a view of its layers (shared weights).

    Without ``masked`` the view leaves out the step mask (:func:`unmasked_view`).
    With several members it outputs each member's prediction instead of their
    average, compiled with the model's loss once per member, each weighted
    ``1 / members``: every member learns from its own error, as independently
    trained networks would (a loss on the average would let members lean on
    each other), and the reported loss is the members' mean loss. The labels
    then come once per member (``ExampleBatches.label_copies``).

    Parameters
    ----------
    model : keras.Model
        Built by :func:`build_model`.
    preprocessor : SequencePreprocessor
        The fitted preprocessor ``model`` was built for.
    masked : bool
        Whether the batches carry the step mask (some example is padded).

    Returns
    -------
    keras.Model
        ``model`` itself for one member with the mask, else a compiled view.
    """
    members = member_count(model)
    if members == 1:
        return model if masked else unmasked_view(model, preprocessor)
    return _rewired(model, preprocessor, masked=masked, separate_members=True)


def _rewired(
    model: keras.Model,
    preprocessor: SequencePreprocessor,
    masked: bool,
    separate_members: bool,
) -> keras.Model:
    """``model``'s layers on new inputs: with or without the step mask, with
    the members' outputs averaged (as saved) or separate (for training)."""
    by_name = {tensor.name: tensor for tensor in model.inputs}
    layers_by_name = {layer.name: layer for layer in model.layers}
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
    mask = None
    if masked:
        mask = keras.Input(shape=(None,), dtype="bool", name=MASK_INPUT)
        inputs.append(mask)
    hidden = (
        model.get_layer("features")(features)
        if "features" in layers_by_name
        else features[0]
    )
    members = member_count(model)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=DROPPED_MASK_WARNING)
        if not masked:
            hidden = layers.Reshape((-1, hidden.shape[-1]), name="drop_mask")(hidden)
        outputs = [
            _wire_body(hidden, mask, _member_lookup(layers_by_name, member))
            for member in range(members)
        ]
    if separate_members:
        view = keras.Model(inputs, outputs, name=f"{model.name}_members")
        view.compile(
            optimizer=model.optimizer,
            loss=[model.loss] * members,
            loss_weights=[1.0 / members] * members,
            jit_compile=model.jit_compile,
        )
        return view
    combined = outputs[0] if members == 1 else layers_by_name[AVERAGE_LAYER](outputs)
    view = keras.Model(inputs, combined, name=f"{model.name}_unmasked")
    view.compile(
        optimizer=model.optimizer, loss=model.loss, jit_compile=model.jit_compile
    )
    return view


def _member_lookup(layers_by_name: dict[str, layers.Layer], member: int) -> LayerLookup:
    """Find ``member``'s body layers by their plain names."""

    def lookup(name: str) -> layers.Layer | None:
        return layers_by_name.get(member_layer_name(name, member))

    return lookup


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
