"""Mask-aware shuffling of one column's values in a batch of model inputs.

Values move only between **valid** steps (where the step mask is true), across
the examples of the batch; padded steps are neither read nor written. A numeric
column moves together with its missing-value indicator. Used by
:mod:`core.analysis.importance`.
"""

from __future__ import annotations

import numpy as np

from core.errors import DataValidationError
from core.features.naming import MASK_INPUT, NUMERIC_INPUT, categorical_input_name
from core.features.preprocessor import SequencePreprocessor

Inputs = dict[str, np.ndarray]


def permute_valid_steps(
    values: np.ndarray, mask: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A copy of ``values`` with the entries at valid steps shuffled among them.

    Parameters
    ----------
    values : numpy.ndarray of shape (batch, width) or (batch, width, features)
        One column's batch input; trailing features move together.
    mask : numpy.ndarray of bool, shape (batch, width)
        True on real steps.
    rng : numpy.random.Generator
        Source of the permutation.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; positions where ``mask`` is false are unchanged.
    """
    permuted = values.copy()
    examples, steps = np.nonzero(mask)
    order = rng.permutation(len(examples))
    permuted[examples, steps] = values[examples[order], steps[order]]
    return permuted


def numeric_positions(preprocessor: SequencePreprocessor, column: str) -> list[int]:
    """Feature positions of a numeric column and of its missing indicator."""
    names = preprocessor.numeric_feature_names
    return [i for i, name in enumerate(names) if name in (column, f"{column}__missing")]


def permute_column(
    inputs: Inputs,
    column: str,
    preprocessor: SequencePreprocessor,
    rng: np.random.Generator,
) -> Inputs:
    """Model inputs with one column shuffled among the valid steps.

    Raises
    ------
    DataValidationError
        If ``column`` is not a feature column of the preprocessor.
    """
    mask = inputs[MASK_INPUT]
    changed = dict(inputs)
    if column in preprocessor.config.categorical_names:
        name = categorical_input_name(column)
        changed[name] = permute_valid_steps(inputs[name], mask, rng)
        return changed
    positions = numeric_positions(preprocessor, column)
    if not positions:
        raise DataValidationError(
            column,
            f"expected a feature column of the model "
            f"{list(preprocessor.config.feature_columns)}, received {column!r}",
        )
    numeric = inputs[NUMERIC_INPUT].copy()
    numeric[:, :, positions] = permute_valid_steps(numeric[:, :, positions], mask, rng)
    changed[NUMERIC_INPUT] = numeric
    return changed
