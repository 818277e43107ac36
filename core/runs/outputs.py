"""A run's held-out predictions on disk: written by the training process, read by pages.

Per encoding and held-out part, ``predictions/<encoding>_<part>.parquet`` holds
the prediction table (entity, time, truth, prediction) and ``.npz`` beside it
the encoded labels and raw scores the metrics were computed from. Both are
written atomically (:mod:`core._fs`). Nothing here imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow

from core._fs import atomic_write
from core.runs.store import RunStore


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    """Write a table to Parquet atomically; mixed-type text columns become text."""
    try:
        atomic_write(path, lambda temporary: table.to_parquet(temporary, index=False))
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        # Object columns mixing numbers and text (ids read from a messy file)
        # have no Parquet type; they are shown as text anyway.
        fixed = table.copy()
        for column in fixed.select_dtypes(include="object").columns:
            fixed[column] = fixed[column].map(lambda v: v if v is None else str(v))
        atomic_write(path, lambda temporary: fixed.to_parquet(temporary, index=False))


def save_predictions(
    store: RunStore,
    run_id: str,
    encoding: str,
    part: str,
    table: pd.DataFrame,
    labels: np.ndarray | None,
    scores: np.ndarray,
) -> None:
    """Write one encoding's predictions on one held-out part into the run folder.

    Parameters
    ----------
    store : RunStore
        The run's store.
    run_id, encoding, part : str
        Which run, arm and part (``"validation"``, ``"test"``).
    table : pandas.DataFrame
        The prediction table (:func:`core.model.evaluation.prediction_table`).
    labels : numpy.ndarray or None
        Encoded labels (None: none known).
    scores : numpy.ndarray
        The model's raw outputs.
    """
    table_path, arrays_path = store.prediction_paths(run_id, encoding, part)
    table_path.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(table, table_path)
    arrays = {"labels": np.zeros(0) if labels is None else labels, "scores": scores}
    atomic_write(arrays_path, lambda temporary: _save_arrays(temporary, arrays))


def _save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # Through a handle: np.savez adds ".npz" to a file name without it.
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def read_predictions(
    store: RunStore, run_id: str, encoding: str, part: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
    """Prediction table, encoded labels and scores of one part (None: absent)."""
    table_path, arrays_path = store.prediction_paths(run_id, encoding, part)
    if not table_path.is_file():
        return None
    with np.load(arrays_path) as arrays:
        labels, scores = arrays["labels"], arrays["scores"]
    return pd.read_parquet(table_path), labels, scores
