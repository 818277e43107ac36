"""Window summary features for the gradient-boosting baselines.

The baselines see exactly the windows core builds for the LSTM (same split, same
scaling), summarised per numeric column as last value, mean and least-squares
slope over the window (optionally values a few steps back), plus the
categories of the window's last step as native categorical features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHUNK = 4096


def window_features(
    inputs: dict[str, np.ndarray],
    categorical: Sequence[str],
    lags: Sequence[int] = (),
) -> np.ndarray:
    """Feature matrix of one batch of model inputs (categorical codes last)."""
    from core.naming import MASK_INPUT, NUMERIC_INPUT, categorical_input_name

    numeric = inputs[NUMERIC_INPUT].astype(np.float64)
    mask = inputs[MASK_INPUT].astype(np.float64)
    lengths = mask.sum(axis=1)
    last_index = (lengths - 1).astype(int)
    rows = np.arange(len(numeric))
    last = numeric[rows, last_index]
    mean = (numeric * mask[:, :, None]).sum(axis=1) / lengths[:, None]
    steps = np.arange(numeric.shape[1], dtype=np.float64)[None, :]
    centred = (steps - ((steps * mask).sum(axis=1) / lengths)[:, None]) * mask
    denominator = np.maximum((centred**2).sum(axis=1), 1e-9)
    slope = (centred[:, :, None] * (numeric - mean[:, None, :])).sum(axis=1)
    slope /= denominator[:, None]
    columns = [last, mean, slope]
    for lag in lags:
        columns.append(numeric[rows, np.maximum(last_index - lag, 0)])
    for column in categorical:
        codes = inputs[categorical_input_name(column)][rows, last_index]
        columns.append(codes[:, None].astype(np.float64))
    return np.hstack(columns)


def batches_features(
    batches: object, categorical: Sequence[str], lags: Sequence[int] = ()
) -> np.ndarray:
    """Features of every example of an ``ExampleBatches``, in example order."""
    count = len(batches.examples)
    parts = [
        window_features(
            batches.inputs_for(np.arange(start, min(start + CHUNK, count))),
            categorical,
            lags,
        )
        for start in range(0, count, CHUNK)
    ]
    return np.vstack(parts)


def part_features(
    prepared: object, part: str, lags: Sequence[int] = ()
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Features, encoded labels and the number of numeric feature columns of a part."""
    from core.batches import ExampleBatches

    data = prepared.preprocessor.config
    categorical = data.categorical_names
    batches = ExampleBatches(
        prepared.encoded,
        prepared.parts[part],
        categorical,
        data.window if data.framing == "window" else None,
        CHUNK,
        include_labels=False,
    )
    X = batches_features(batches, categorical, lags)
    return X, prepared.parts[part].labels, X.shape[1] - len(categorical)
