"""What a training process writes into its run folder while it trains.

- :class:`ProgressWriter` (from :mod:`core.runs.progress`, which needs no Keras)
  turns phases and Keras progress into ``progress.jsonl`` lines.
- :class:`EmbeddingSnapshots` keeps every embedding matrix after each epoch (and
  at initialisation), for the evolution view.
- :class:`TensorBoardScalars` and :func:`write_projector` give a TensorBoard log
  directory with the epoch scalars and an Embedding Projector entry per
  categorical column that TensorBoard can actually read (Keras 3's own
  ``TensorBoard(embeddings_freq=...)`` writes none: keras-team/keras#20210).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tensorboard.plugins import projector

from core.features.naming import embedding_layer_name
from core.features.preprocessor import SequencePreprocessor
from core.features.vocabulary import UNKNOWN_LABEL
from core.runs.progress import BATCH_LINE_SECONDS, FileCancelToken, ProgressWriter

# One reader of snapshot files, Keras-free, for the server and this module's users.
from core.runs.stored_models import read_snapshots

__all__ = [
    "BATCH_LINE_SECONDS",
    "EmbeddingSnapshots",
    "FileCancelToken",
    "ProgressWriter",
    "TensorBoardScalars",
    "read_snapshots",
    "write_projector",
]

PADDING_LABEL = "<padding>"
PROJECTOR_CONFIG = "projector_config.pbtxt"


def embedding_matrices(
    model: keras.Model, preprocessor: SequencePreprocessor
) -> dict[str, np.ndarray]:
    """Each categorical column's full embedding matrix (rows 0 and 1 included)."""
    matrices = {}
    for column in preprocessor.config.categorical_names:
        layer = model.get_layer(embedding_layer_name(column))
        matrices[column] = np.asarray(
            keras.ops.convert_to_numpy(layer.embeddings), dtype=np.float32
        )
    return matrices


class EmbeddingSnapshots(keras.callbacks.Callback):
    """Save every embedding matrix at initialisation and after each epoch.

    Files: ``<folder>/columns.json`` (the column names, in order) and
    ``<folder>/epoch_<n>.npz`` with arrays ``column_0``, ``column_1``, ...
    (``n`` = epochs completed; 0 is the initialisation).
    """

    def __init__(self, folder: Path, preprocessor: SequencePreprocessor) -> None:
        super().__init__()
        self.folder = folder
        self.preprocessor = preprocessor

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        columns = list(self.preprocessor.config.categorical_names)
        (self.folder / "columns.json").write_text(json.dumps(columns))
        self._save(0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._save(epoch + 1)

    def _save(self, epoch: int) -> None:
        matrices = embedding_matrices(self.model, self.preprocessor)
        arrays = {f"column_{i}": m for i, m in enumerate(matrices.values())}
        np.savez(self.folder / f"epoch_{epoch:04d}.npz", **arrays)


class TensorBoardScalars(keras.callbacks.Callback):
    """Write the epoch logs (loss, val_loss, metrics) and the learning rate."""

    def __init__(self, log_dir: Path) -> None:
        super().__init__()
        self.log_dir = log_dir
        self._writer: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = {key: float(value) for key, value in (logs or {}).items()}
        rate = getattr(self.model.optimizer, "learning_rate", None)
        if rate is not None:
            values["learning_rate"] = float(keras.ops.convert_to_numpy(rate))
        with self._writer.as_default(step=epoch + 1):
            for key, value in values.items():
                tf.summary.scalar(key, value)
        self._writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()


def projector_labels(preprocessor: SequencePreprocessor, column: str) -> list[str]:
    """One label per embedding row: padding, unknown, then the vocabulary."""
    return [PADDING_LABEL, UNKNOWN_LABEL, *preprocessor.vocabularies_[column]]


def write_projector(
    log_dir: Path, model: keras.Model, preprocessor: SequencePreprocessor
) -> None:
    """A checkpoint of every embedding matrix, its metadata and the projector config.

    Reserved rows 0 and 1 stay in the matrix (named ``<padding>`` and
    ``<unknown>`` in the metadata), so row numbers match the model's indices.
    """
    matrices = embedding_matrices(model, preprocessor)
    if not matrices:
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    variables = {
        f"embedding_{i}": tf.Variable(matrix, name=f"embedding_{i}")
        for i, matrix in enumerate(matrices.values())
    }
    checkpoint = tf.train.Checkpoint(**variables)
    checkpoint.save(str(log_dir / "embeddings.ckpt"))
    config = projector.ProjectorConfig()
    for i, column in enumerate(matrices):
        metadata = f"metadata_{i}.tsv"
        labels = projector_labels(preprocessor, column)
        # One column of labels: TensorBoard reads it without a header row.
        text = "".join(_tsv_cell(label) + "\n" for label in labels)
        (log_dir / metadata).write_text(text, encoding="utf-8")
        embedding = config.embeddings.add()
        embedding.tensor_name = f"embedding_{i}/.ATTRIBUTES/VARIABLE_VALUE"
        embedding.metadata_path = metadata
    projector.visualize_embeddings(str(log_dir), config)
    (log_dir / "columns.json").write_text(json.dumps(list(matrices)))


def _tsv_cell(label: str) -> str:
    """A label that cannot break the TSV (tabs and newlines become spaces)."""
    cleaned = " ".join(str(label).split())
    return cleaned or "<empty>"
