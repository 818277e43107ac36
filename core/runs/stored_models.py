"""A run's trained models as stored arrays and JSON, read without TensorFlow.

The web server shows a finished run's metrics, preprocessor and embedding
matrices; loading the ``.keras`` model for that would import TensorFlow into
the server (about 800 MiB). Everything here reads the files a bundle
(:mod:`core.model.bundle`) and the run folder hold:

- the JSON parts of a bundle (config, fitted preprocessor, metrics, history);
- an embedding layer's weight matrix, straight from the ``model.weights.h5``
  inside ``model.keras`` (h5py, which Keras itself uses to write it);
- the per-epoch embedding snapshots (``snapshots/<encoding>/epoch_<n>.npz``).

What needs the model itself (predictions on new data, importance, what-if)
runs in a training process (:mod:`core.runs.remote`).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from core.config import ExperimentConfig
from core.errors import BundleError, DataValidationError
from core.features.naming import embedding_layer_name
from core.features.preprocessor import SequencePreprocessor

MODEL_FILE = "model.keras"
#: Inside a ``.keras`` archive: the architecture and the weights.
ARCHIVE_CONFIG = "config.json"
ARCHIVE_WEIGHTS = "model.weights.h5"
EMBEDDING_CLASS = "Embedding"


@dataclass(frozen=True)
class StoredModel:
    """The JSON parts of a saved bundle: what pages show without the model.

    Attributes
    ----------
    path : Path
        The bundle folder.
    config : ExperimentConfig
        The experiment it was trained with.
    preprocessor : SequencePreprocessor
        Its fitted preprocessor.
    metrics, history : dict
        Validation/test metrics with the baseline; per-epoch curves.
    """

    path: Path
    config: ExperimentConfig
    preprocessor: SequencePreprocessor
    metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)


def read_bundle_json(path: Path) -> Any:
    """A bundle's JSON file, or a BundleError naming the unreadable file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(
            f"expected valid JSON in {path.name}, received an unreadable file: {error}"
        ) from error


def read_stored_model(directory: str | Path) -> StoredModel:
    """A bundle's config, preprocessor, metrics and history (no Keras).

    Raises
    ------
    BundleError
        If a file is missing or unreadable.
    """
    path = Path(directory)
    parts = ("config.json", "preprocessor.json", "metrics.json", "history.json")
    missing = [name for name in parts if not (path / name).is_file()]
    if missing:
        raise BundleError(
            f"expected a model bundle with {', '.join(parts)}, received "
            f"{path.name!r} without {', '.join(missing)}"
        )
    return StoredModel(
        path,
        ExperimentConfig.from_dict(read_bundle_json(path / "config.json")),
        SequencePreprocessor.from_dict(read_bundle_json(path / "preprocessor.json")),
        read_bundle_json(path / "metrics.json"),
        read_bundle_json(path / "history.json"),
    )


def _snake_case(name: str) -> str:
    """Keras's group name for a layer class (``Embedding`` -> ``embedding``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _weights_path(layers: list[dict[str, Any]], name: str) -> str | None:
    """Where the weights of layer ``name`` lie in ``model.weights.h5``.

    Keras names each layer's group after its class, numbered in the model's
    layer order (``embedding``, ``embedding_1``, ...), not after the layer's
    own name; the archive's ``config.json`` gives that order.
    """
    seen: dict[str, int] = {}
    for layer in layers:
        key = _snake_case(str(layer.get("class_name", "")))
        number = seen.get(key, 0)
        seen[key] = number + 1
        if layer.get("config", {}).get("name") == name:
            if layer.get("class_name") != EMBEDDING_CLASS:
                return None
            group = key if number == 0 else f"{key}_{number}"
            return f"layers/{group}/vars/0"
    return None


def stored_embedding_weights(directory: str | Path, column: str) -> np.ndarray:
    """The weight matrix of ``column``'s embedding layer in a saved bundle.

    Read from the archive's weights file, exactly the numbers the saved model
    holds (the best epoch's weights when early stopping restored them).

    Raises
    ------
    DataValidationError
        If the model has no embedding layer for ``column``.
    BundleError
        If the archive is missing or damaged.
    """
    archive_path = Path(directory) / MODEL_FILE
    try:
        with zipfile.ZipFile(archive_path) as archive:
            config = json.loads(archive.read(ARCHIVE_CONFIG))
            weights = archive.read(ARCHIVE_WEIGHTS)
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise BundleError(
            f"expected a readable {MODEL_FILE} in {str(directory)!r}, received: {error}"
        ) from error
    layers = config.get("config", {}).get("layers", [])
    location = _weights_path(layers, embedding_layer_name(column))
    if location is None:
        available = [
            layer["config"]["name"]
            for layer in layers
            if layer.get("class_name") == EMBEDDING_CLASS
        ]
        raise DataValidationError(
            column,
            f"expected a categorical column with an embedding layer (one of "
            f"{available}), received {column!r}",
        )
    try:
        with h5py.File(io.BytesIO(weights), "r") as stored:
            return np.asarray(stored[location][()], dtype=np.float64)
    except (OSError, KeyError) as error:
        raise BundleError(
            f"expected the weights of {embedding_layer_name(column)!r} in "
            f"{MODEL_FILE}, received a file without them: {error}"
        ) from error


def read_snapshots(folder: Path) -> dict[int, dict[str, np.ndarray]]:
    """Epoch to column to matrix, as the training process's
    ``EmbeddingSnapshots`` wrote them (``columns.json`` + ``epoch_<n>.npz``)."""
    if not (folder / "columns.json").is_file():
        return {}
    columns = json.loads((folder / "columns.json").read_text())
    snapshots = {}
    for path in sorted(folder.glob("epoch_*.npz")):
        with np.load(path) as arrays:
            snapshots[int(path.stem.split("_")[1])] = {
                column: arrays[f"column_{i}"] for i, column in enumerate(columns)
            }
    return snapshots
