"""Keras ``PyDataset`` that builds padded batches from example indices on demand."""

from __future__ import annotations

import math

import keras
import numpy as np

from core.config import DataConfig
from core.examples.prepare import PreparedData
from core.examples.sequences import Examples, gather_batch
from core.features.naming import MASK_INPUT, NUMERIC_INPUT, categorical_input_name
from core.features.preprocessor import EncodedTable
from core.features.vocabulary import FIRST_CATEGORY_INDEX, UNKNOWN_INDEX


class ExampleBatches(keras.utils.PyDataset):
    """Batches of model inputs (and labels) gathered from the encoded rows.

    Parameters
    ----------
    encoded : EncodedTable
        All rows, encoded once.
    examples : Examples
        Which rows form each example.
    categorical_columns : tuple of str
        Categorical column names, in the order of ``encoded.categorical``.
    width : int or None
        Steps per example; ``None`` pads to the longest example of this dataset
        (one width for every batch, because Keras fixes the input signature
        from the first batches it sees).
    batch_size : int
        Examples per batch.
    shuffle : bool
        Reshuffle examples every epoch (training only).
    seed : int
        Seed of the shuffle and of category dropout.
    category_dropout : float
        Share of real category values replaced by the unknown index, so the
        unknown vector is trained (training only).
    sample_weights : numpy.ndarray or None
        Per-example loss weights (class weights).
    include_labels : bool
        Yield ``(inputs, labels[, weights])`` instead of inputs alone.
    include_mask : bool
        Add the ``step_mask`` input (``False`` for a model without it, see
        :func:`core.model.network.unmasked_view`).
    label_copies : int
        Give the labels once per output: a tuple of this many copies when
        above 1, for a model whose members each have an output
        (:func:`core.model.network.training_view`).
    member_weights : numpy.ndarray or None
        Per-example, per-member loss weights, shape (n, members): one weight
        tuple per output, times ``sample_weights`` when both are set (a bagged
        ensemble, :mod:`core.model.bagging`, zeroes each member's own fold).
    """

    def __init__(
        self,
        encoded: EncodedTable,
        examples: Examples,
        categorical_columns: tuple[str, ...],
        width: int | None,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        category_dropout: float = 0.0,
        sample_weights: np.ndarray | None = None,
        include_labels: bool = True,
        include_mask: bool = True,
        label_copies: int = 1,
        member_weights: np.ndarray | None = None,
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.encoded = encoded
        self.examples = examples
        self.categorical_columns = categorical_columns
        longest = int(examples.lengths.max()) if len(examples) else 1
        self.width = width or longest
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.category_dropout = category_dropout
        self.sample_weights = sample_weights
        self.include_labels = include_labels and examples.labels is not None
        self.include_mask = include_mask
        self.label_copies = label_copies
        self.member_weights = member_weights
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(len(examples))
        if shuffle:
            self._rng.shuffle(self._order)

    def __len__(self) -> int:
        return math.ceil(len(self.examples) / self.batch_size)

    def on_epoch_end(self) -> None:
        """Reshuffle for the next epoch."""
        if self.shuffle:
            self._rng.shuffle(self._order)

    def inputs_for(self, selection: np.ndarray) -> dict[str, np.ndarray]:
        """Model inputs of the examples at positions ``selection``."""
        categorical, numeric, mask = gather_batch(
            self.encoded.categorical,
            self.encoded.numeric,
            self.examples.end_rows[selection],
            self.examples.lengths[selection],
            self.width,
        )
        if self.category_dropout > 0:
            dropped = (categorical >= FIRST_CATEGORY_INDEX) & (
                self._rng.random(categorical.shape) < self.category_dropout
            )
            categorical = np.where(dropped, UNKNOWN_INDEX, categorical)
        inputs = {
            categorical_input_name(column): categorical[:, :, position]
            for position, column in enumerate(self.categorical_columns)
        }
        if numeric.shape[-1]:
            inputs[NUMERIC_INPUT] = numeric
        if self.include_mask:
            inputs[MASK_INPUT] = mask
        return inputs

    @property
    def padded(self) -> bool:
        """Whether any example is shorter than the width (needs the step mask)."""
        return bool((self.examples.lengths < self.width).any())

    def __getitem__(self, index: int) -> object:
        selection = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        inputs = self.inputs_for(selection)
        if not self.include_labels:
            return (inputs,)
        labels = self.examples.model_labels(selection).astype(np.float32)
        if self.label_copies > 1:
            labels = (labels,) * self.label_copies
        weights = None
        if self.sample_weights is not None:
            weights = self.sample_weights[selection].astype(np.float32)
        if self.member_weights is not None:
            per_member = self.member_weights[selection].astype(np.float32)
            if weights is not None:
                per_member = per_member * weights[:, None]
            return inputs, labels, tuple(per_member.T)
        if weights is None:
            return inputs, labels
        return inputs, labels, weights


def example_width(data: DataConfig) -> int | None:
    """Steps per example: the window in window framing, else padded per dataset."""
    return data.window if data.framing == "window" else None


def input_batches(
    prepared: PreparedData, examples: Examples, batch_size: int
) -> ExampleBatches:
    """Forward-only batches of model inputs (no labels) of some prepared examples."""
    data = prepared.preprocessor.config
    return ExampleBatches(
        prepared.encoded,
        examples,
        data.categorical_names,
        example_width(data),
        batch_size,
        include_labels=False,
    )
