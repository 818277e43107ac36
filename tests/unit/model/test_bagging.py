"""Bagged ensembles (TrainConfig.bagging): each member leaves out a fold of entities."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from core.config import (
    ModelConfig,
    TrainConfig,
)
from core.errors import ConfigError
from core.examples.sequences import Examples
from core.model.bagging import (
    MemberBestWeights,
    assign_folds,
    entity_codes,
    example_folds,
    member_models,
    member_variables,
)
from core.model.evaluation import predict_scores
from core.model.experiment import run_experiment
from core.model.refit import held_in
from tests.support.configs import level_regression_config
from tests.support.tables import make_long_table


def _config(members: int = 2, bagging: bool = True, **split_changes):
    return level_regression_config(
        ModelConfig(lstm_units=(6,), dense_units=0, dropout=0.0, members=members),
        TrainConfig(
            epochs=8, batch_size=16, learning_rate=0.02, seed=0, patience=3,
            bagging=bagging,
        ),
        **split_changes,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"members": 1}, "model.members"),
        ({"validation_windows": "last"}, "split.validation_windows"),
        ({"method": "time"}, "split.method"),
    ],
)
def test_bagging_is_refused_where_it_cannot_hold_out_entities(changes, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        _config(**changes)


def test_bagging_and_refit_are_alternatives():
    config = _config()
    with pytest.raises(ConfigError, match=r"train\.refit"):
        config.replace(train=dataclasses.replace(config.train, refit=True))


def test_folds_deal_the_entities_evenly_and_leave_others_out():
    codes = np.repeat(np.arange(12), 3)  # 12 entities of 3 rows
    examples = Examples(np.arange(0, 30, 3) + 2, np.full(10, 3), None)  # 10 of them
    folds = assign_folds(codes, examples, 3, seed=4)
    assert folds[10] == folds[11] == -1
    assert sorted(np.bincount(folds[:10])) == [3, 3, 4]
    np.testing.assert_array_equal(folds, assign_folds(codes, examples, 3, seed=4))
    assert not np.array_equal(folds, assign_folds(codes, examples, 3, seed=5))
    assert example_folds(codes, folds, examples).tolist() == folds[:10].tolist()


def test_more_members_than_entities_is_a_config_error():
    codes = np.repeat(np.arange(2), 2)
    examples = Examples(np.array([1, 3]), np.array([2, 2]), None)
    with pytest.raises(ConfigError, match=r"model\.members.*received 3"):
        assign_folds(codes, examples, 3, seed=0)


@pytest.fixture(scope="module")
def table():
    return make_long_table(seed=5, entities=50)


@pytest.fixture(scope="module")
def bagged(table):
    return run_experiment(table, _config())


def _folds(result, part: str) -> np.ndarray:
    prepared, config = result.prepared, result.config
    codes = entity_codes(prepared)
    pooled = held_in(prepared).parts["train"]
    fold_of_code = assign_folds(codes, pooled, config.model.members, config.split.seed)
    return example_folds(codes, fold_of_code, prepared.parts[part])


@pytest.mark.slow
def test_validation_scores_come_from_the_member_that_left_the_entity_out(bagged):
    prepared = bagged.prepared
    members = [
        predict_scores(model, prepared, "validation")
        for model in member_models(bagged.model, prepared)
    ]
    folds = _folds(bagged, "validation")
    assert set(folds) == {0, 1}
    expected = np.where(folds == 0, members[0], members[1])
    np.testing.assert_allclose(bagged.training.validation_scores, expected)
    averaged = predict_scores(bagged.model, prepared, "validation")
    assert not np.allclose(bagged.training.validation_scores, averaged)
    assert np.isfinite(bagged.training.history["val_loss"]).all()


@pytest.mark.slow
def test_a_member_never_learns_from_its_own_fold(table, bagged):
    """Shift the target of fold 0's entities far up: member 0 never sees the
    shift and member 1 sees nothing else, so each fits its own folds while the
    out-of-fold loss stays at the squared shift."""
    prepared = bagged.prepared
    codes = entity_codes(prepared)
    pooled = held_in(prepared).parts["train"]
    fold_of_code = assign_folds(codes, pooled, 2, bagged.config.split.seed)
    fold_zero = list(set(prepared.entity_of_row[fold_of_code[codes] == 0]))
    shifted = table.copy()
    shifted.loc[shifted["entity"].isin(fold_zero), "level"] += 20.0
    config = bagged.config.replace(
        train=dataclasses.replace(bagged.config.train, epochs=15, patience=15)
    )
    result = run_experiment(shifted, config)
    pooled = held_in(result.prepared).parts["train"]
    in_fold_zero = np.isin(result.prepared.entity_of_row[pooled.end_rows], fold_zero)
    gap = pooled.labels[in_fold_zero].mean() - pooled.labels[~in_fold_zero].mean()
    history = result.training.history
    assert gap > 1.0
    assert history["loss"][-1] < 0.05 * gap**2
    assert history["val_loss"][-1] > 0.5 * gap**2


def test_each_member_goes_back_to_its_own_best_epoch():
    own = [[keras.Variable(np.zeros(2))], [keras.Variable(np.zeros(3))]]
    callback = MemberBestWeights(own)
    losses = {0: (0.9, 0.8), 1: (0.5, 0.7), 2: (0.6, 0.4), 3: (0.7, float("nan"))}
    for epoch, (first, second) in losses.items():
        for variables in own:
            variables[0].assign(np.full(variables[0].shape, float(epoch)))
        logs = {"val_output_loss": first, "val_output_m1_loss": second}
        callback.on_epoch_end(epoch, {"val_loss": 0.0, **logs})
    callback.on_train_end()
    assert callback.best_epochs == [1, 2]
    np.testing.assert_array_equal(own[0][0].numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(own[1][0].numpy(), [2.0, 2.0, 2.0])


def test_a_missing_member_loss_is_an_error_not_a_silent_no_op():
    callback = MemberBestWeights([[keras.Variable(np.zeros(1))]] * 2)
    with pytest.raises(KeyError, match="val_output_m1_loss"):
        callback.on_epoch_end(0, {"val_loss": 1.0, "val_output_loss": 1.0})


@pytest.mark.slow
def test_members_own_their_bodies_and_share_the_embeddings(bagged):
    own = member_variables(bagged.model, bagged.prepared)
    first, second = ({id(variable) for variable in variables} for variables in own)
    assert first
    assert second
    assert not first & second
    embeddings = [
        variable
        for layer in bagged.model.layers
        if isinstance(layer, keras.layers.Embedding)
        for variable in layer.weights
    ]
    assert embeddings
    assert not {id(variable) for variable in embeddings} & (first | second)
    epochs = bagged.training.member_best_epochs
    assert len(epochs) == 2
    assert all(1 <= epoch <= bagged.training.epochs_run for epoch in epochs)


def test_a_streamed_run_refuses_bagging_before_reading_the_data():
    from types import SimpleNamespace

    from core.runs.jobs import train_dataset_run

    record = SimpleNamespace(id="never-read", config=_config())
    with pytest.raises(ConfigError, match=r"train\.bagging"):
        train_dataset_run(None, record, None, None)
