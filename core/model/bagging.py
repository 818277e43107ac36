"""Bagged ensembles (``TrainConfig.bagging``): each member leaves out a fold.

A plain fit holds out one validation split of the entities; which entities
that is moves the result (on C-MAPSS FD003 the split, not the initial weights,
makes most of the seed spread: docs/model_diagnosis.md). A bagged fit pools
the training and validation entities, deals them into as many folds as the
ensemble has members, and trains member ``i`` on every fold but fold ``i``.
Early stopping watches the members' mean out-of-fold loss (each member scored
on the fold it never trained on), so every entity both trains the model and
checks it; each member then goes back to the epoch of its own lowest
out-of-fold loss (:class:`MemberBestWeights`), as a separately trained member
would. The saved model averages the members, as any ensemble does.

All members are fitted together, as one training view with one output per
member (:func:`core.model.network.training_view`); the folds are expressed as
per-member loss weights (0 on a member's own fold). The categorical embeddings
are shared by the members, so they have seen every fold: the out-of-fold loss
is exact for the recurrent layers and heads, slightly optimistic for the
embeddings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import keras
import numpy as np
import pandas as pd

from core.config import ExperimentConfig
from core.errors import ConfigError
from core.examples.prepare import PreparedData
from core.examples.sequences import Examples
from core.model.evaluation import predict_scores
from core.model.network import member_count, member_layer_name, training_view
from core.model.refit import held_in
from core.model.training import (
    FitHooks,
    ProgressEvent,
    TrainingResult,
    fit_and_collect,
    fitted_model,
    make_batches,
)
from core.runs.progress import CancelToken


def entity_codes(prepared: PreparedData) -> np.ndarray:
    """An integer code per sorted row, one per entity."""
    codes, _ = pd.factorize(pd.Series(prepared.entity_of_row))
    return codes


def assign_folds(
    codes: np.ndarray, examples: Examples, folds: int, seed: int
) -> np.ndarray:
    """Fold of every entity code that has an example in ``examples`` (else -1).

    Entities are shuffled with ``seed`` and dealt round-robin, so fold sizes
    differ by at most one entity.

    Raises
    ------
    ConfigError
        If there are fewer such entities than folds.
    """
    present = np.unique(codes[examples.end_rows])
    if len(present) < folds:
        raise ConfigError(
            "model.members",
            f"expected at most {len(present)} members with train.bagging (one "
            f"fold of entities each; the training and validation parts hold "
            f"{len(present)} entities), received {folds}",
        )
    fold_of_code = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    shuffled = np.random.default_rng(seed).permutation(present)
    fold_of_code[shuffled] = np.arange(len(shuffled)) % folds
    return fold_of_code


def example_folds(
    codes: np.ndarray, fold_of_code: np.ndarray, examples: Examples
) -> np.ndarray:
    """Fold of each example's entity."""
    return fold_of_code[codes[examples.end_rows]]


def bagged_fit(
    model: keras.Model,
    prepared: PreparedData,
    config: ExperimentConfig,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> TrainingResult:
    """Fit ``model``'s members on the pooled entities, each leaving out a fold.

    Parameters
    ----------
    model : keras.Model
        Built by :func:`core.model.network.build_model` with at least two
        members (seed set before building).
    prepared : PreparedData
        From :func:`core.examples.prepare.prepare_experiment`.
    config : ExperimentConfig
        Training settings; ``split.seed`` deals the folds.
    callbacks, cancel, progress
        As :func:`core.model.training.train_model`.

    Returns
    -------
    TrainingResult
        The averaged model at its best out-of-fold loss, with the validation
        part's out-of-fold outputs as ``validation_scores``.
    """
    members = member_count(model)
    pooled = held_in(prepared)
    examples = pooled.parts["train"]
    codes = entity_codes(prepared)
    fold_of_code = assign_folds(codes, examples, members, config.split.seed)
    own = example_folds(codes, fold_of_code, examples)[:, None] == np.arange(members)
    keras.utils.set_random_seed(config.train.seed)
    train = make_batches(pooled, "train", config, training=True)
    check = make_batches(pooled, "train", config)
    fitted = fitted_model(model, prepared, [train, check])
    # Keras divides a weighted loss by the batch size, not by the weights'
    # sum: these factors make the training loss the members' in-fold mean
    # and the validation loss the out-of-fold mean over every example.
    train.member_weights = np.where(own, 0.0, members / (members - 1))
    check.member_weights = np.where(own, float(members), 0.0)
    # Last among the callbacks, so its restore follows early stopping's.
    member_best = MemberBestWeights(member_variables(model, prepared))
    hooks = FitHooks([*callbacks, member_best], cancel, progress, len(train))
    result = fit_and_collect(model, train, check, config, hooks, fitted=fitted)
    validation = prepared.parts["validation"]
    scores = out_of_fold_scores(
        result.model, prepared, example_folds(codes, fold_of_code, validation)
    )
    return dataclasses.replace(
        result,
        validation_scores=scores,
        member_best_epochs=tuple(epoch + 1 for epoch in member_best.best_epochs),
    )


class MemberBestWeights(keras.callbacks.Callback):
    """Restore each member's own layers at the epoch of its lowest out-of-fold loss.

    The fit stops when the members' mean out-of-fold loss stops improving, and
    early stopping restores the epoch of the lowest mean; but each member is
    checked on a different fold, and their best epochs differ. Run after early
    stopping, this puts every member's own weights back to its own best epoch
    (of those that ran), as separately trained and early-stopped members would
    be. Weights that all members share (the categorical embeddings) keep the
    mean's best epoch.

    Parameters
    ----------
    own_variables : sequence of sequence of keras.Variable
        Per member, the variables only that member uses
        (:func:`member_variables`).
    """

    def __init__(self, own_variables: Sequence[Sequence[keras.Variable]]) -> None:
        super().__init__()
        self.own_variables = [list(variables) for variables in own_variables]
        members = len(self.own_variables)
        self.keys = [
            f"val_{member_layer_name('output', member)}_loss"
            for member in range(members)
        ]
        self.best_losses = [np.inf] * members
        self.best_epochs = [0] * members
        self.snapshots: list[list[np.ndarray] | None] = [None] * members

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for member, key in enumerate(self.keys):
            if key not in logs:
                # A renamed output would silently disable the restore.
                raise KeyError(f"no member validation loss {key!r} in {sorted(logs)}")
            loss = float(logs[key])
            if np.isfinite(loss) and loss < self.best_losses[member]:
                self.best_losses[member] = loss
                self.best_epochs[member] = epoch
                self.snapshots[member] = [
                    keras.ops.convert_to_numpy(variable)
                    for variable in self.own_variables[member]
                ]

    def on_train_end(self, logs: dict | None = None) -> None:
        for variables, snapshot in zip(self.own_variables, self.snapshots, strict=True):
            if snapshot is None:
                continue
            for variable, value in zip(variables, snapshot, strict=True):
                variable.assign(value)


def member_variables(
    model: keras.Model, prepared: PreparedData
) -> list[list[keras.Variable]]:
    """Per member, the variables no other member uses (its body and head)."""
    per_member = [member.weights for member in member_models(model, prepared)]
    counts: dict[int, int] = {}
    for variables in per_member:
        for variable in variables:
            counts[id(variable)] = counts.get(id(variable), 0) + 1
    return [
        [variable for variable in variables if counts[id(variable)] == 1]
        for variables in per_member
    ]


def member_models(model: keras.Model, prepared: PreparedData) -> list[keras.Model]:
    """One model per member (shared weights), each giving that member's output."""
    view = training_view(model, prepared.preprocessor, masked=True)
    return [keras.Model(view.inputs, output) for output in view.outputs]


def out_of_fold_scores(
    model: keras.Model, prepared: PreparedData, folds: np.ndarray
) -> np.ndarray:
    """Validation outputs, each from the member whose fold holds its entity."""
    per_member = np.stack(
        [
            predict_scores(member, prepared, "validation")
            for member in member_models(model, prepared)
        ]
    )
    return per_member[folds, np.arange(len(folds))]
