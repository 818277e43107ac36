"""How the embeddings took shape: one PCA map per epoch, aligned to the last.

A training run keeps every embedding matrix at initialisation (epoch 0) and
after each epoch (:class:`core.model.run_logging.EmbeddingSnapshots`). Each epoch's
table is centred and rotated onto the final epoch's with orthogonal Procrustes
(no scaling, so the map shows the vectors growing apart), then every epoch is
drawn on the final epoch's principal axes. No model is loaded: the vocabulary
comes from the bundle's ``preprocessor.json``.

The final snapshot is the last epoch trained; with early stopping the saved
model holds the best epoch's weights, which is one of the snapshots.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.alignment import centred, rotate_onto, shared_pca
from core.errors import ConfigError, DataValidationError
from core.features.vocabulary import FIRST_CATEGORY_INDEX
from core.model.arms import Arm
from core.runs.store import RunRecord, RunStore
from core.runs.stored_models import read_snapshots


def evolution_frame(
    snapshots: Mapping[int, Mapping[str, np.ndarray]],
    column: str,
    labels: Sequence[str],
    counts: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per epoch and category, PCA coordinates aligned to the final epoch.

    Parameters
    ----------
    snapshots : mapping of int to mapping of str to numpy.ndarray
        Epoch to column to full matrix (reserved rows 0 and 1 included), as
        :func:`core.model.run_logging.read_snapshots` returns it.
    column : str
        The categorical column.
    labels : sequence of str
        The vocabulary (label of row ``i + 2``).
    counts : sequence of int, optional
        Training rows per label, for hover text.

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch``, ``label``, ``count``, ``pc_1``, ``pc_2`` and
        ``distance`` (from the category's final position), epochs ascending.

    Raises
    ------
    DataValidationError
        If no snapshot holds the column, or a matrix does not fit the labels.
    """
    epochs = sorted(epoch for epoch, tables in snapshots.items() if column in tables)
    if not epochs:
        raise DataValidationError(
            column, "expected embedding snapshots of this column, received none"
        )
    tables = {}
    for epoch in epochs:
        matrix = np.asarray(snapshots[epoch][column], dtype=np.float64)
        if matrix.shape[0] != len(labels) + FIRST_CATEGORY_INDEX:
            raise DataValidationError(
                column,
                f"expected {len(labels) + FIRST_CATEGORY_INDEX} rows in the epoch "
                f"{epoch} snapshot (vocabulary + 2 reserved), received "
                f"{matrix.shape[0]}",
            )
        tables[epoch] = centred(matrix[FIRST_CATEGORY_INDEX:])
    final = tables[epochs[-1]]
    aligned = [rotate_onto(tables[epoch], final) for epoch in epochs]
    maps = shared_pca(final, aligned)
    frames = [
        pd.DataFrame(
            {
                "epoch": epoch,
                "label": list(labels),
                "count": list(counts) if counts is not None else np.nan,
                "pc_1": xy[:, 0],
                "pc_2": xy[:, 1],
                "distance": np.linalg.norm(table - final, axis=1),
            }
        )
        for epoch, table, xy in zip(epochs, aligned, maps, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


def run_vocabulary(
    store: RunStore, record: RunRecord, column: str, encoding: str = Arm.EMBEDDING
) -> tuple[list[str], list[int]]:
    """Vocabulary and counts of a column from the run's ``preprocessor.json``."""
    path = store.bundle_path(record.id, encoding) / "preprocessor.json"
    if not path.is_file():
        raise ConfigError(
            "run",
            f"expected run {record.id} to have a saved {encoding} model, received "
            "none (is it finished?)",
        )
    payload = json.loads(path.read_text(encoding="utf-8"))
    vocabularies = payload.get("vocabularies", {})
    if column not in vocabularies:
        raise DataValidationError(
            column,
            f"expected one of the run's categorical columns {sorted(vocabularies)}, "
            f"received {column!r}",
        )
    labels = [str(label) for label in vocabularies[column]]
    counts = [int(c) for c in payload.get("category_counts", {}).get(column, [])]
    return labels, counts or [0] * len(labels)


def run_evolution(
    store: RunStore, record: RunRecord, column: str, encoding: str = Arm.EMBEDDING
) -> pd.DataFrame:
    """:func:`evolution_frame` of a run's stored snapshots (see there); reads
    arrays only, so the web server never imports TensorFlow for it."""
    labels, counts = run_vocabulary(store, record, column, encoding)
    snapshots = read_snapshots(store.snapshots_dir(record.id, encoding))
    return evolution_frame(snapshots, column, labels, counts)
