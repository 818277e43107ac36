"""Saved model bundles: a directory of JSON plus the ``.keras`` weights.

Layout::

    bundle/
      bundle.json          format version, library versions, creation time
      model.keras          the Keras model (stock layers only)
      preprocessor.json    fitted vocabularies, scaling, target encoding
      config.json          the ExperimentConfig
      metrics.json         validation/test metrics and the baseline
      history.json         per-epoch loss curves

A bundle is written into a temporary sibling directory and renamed into place,
so a crash never leaves half a bundle, and it is loaded with Keras's
``safe_mode=True``, which refuses ``Lambda`` layers and arbitrary code.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd

from core._fs import staged_directory
from core.config import ExperimentConfig
from core.errors import BundleError, CoreError
from core.examples.prepare import prepare_prediction
from core.features.naming import NUMERIC_INPUT, embedding_layer_name
from core.features.preprocessor import SequencePreprocessor
from core.model.bundle_files import (  # noqa: F401 (copy_bundle, bundle_zip_bytes: re-exported)
    REQUIRED_FILES,
    bundle_zip_bytes,
    copy_bundle,
    require_replaceable,
)
from core.model.evaluation import (
    configured_prediction_table,
    part_metrics,
    predict_scores,
)
from core.model.network import DROPPED_MASK_WARNING
from core.model.prediction_result import PredictionResult
from core.runs.stored_models import read_bundle_json

if TYPE_CHECKING:
    from core.model.experiment import ExperimentResult

BUNDLE_FORMAT_VERSION = 1
#: Largest uncompressed size accepted from an uploaded bundle zip.
MAX_UNZIPPED_BYTES = 2 * 1024**3


@dataclass
class Bundle:
    """A loaded (or about to be saved) trained model with its fitted state."""

    model: keras.Model
    preprocessor: SequencePreprocessor
    config: ExperimentConfig
    metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def bundle_from_result(result: ExperimentResult) -> Bundle:
    """Bundle of an :class:`core.model.experiment.ExperimentResult`."""
    return Bundle(
        result.model,
        result.prepared.preprocessor,
        result.config,
        result.metrics,
        result.training.history,
    )


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")


def save_bundle(bundle: Bundle, directory: str | Path) -> Path:
    """Write ``bundle`` atomically to ``directory`` (replacing an existing bundle).

    Returns
    -------
    pathlib.Path
        The bundle directory.

    Raises
    ------
    BundleError
        If ``directory`` is a file, or a non-empty folder that is not a bundle
        (replacing it would delete the user's files).
    """
    target = Path(directory).resolve()
    require_replaceable(target)
    with staged_directory(target) as staging:
        bundle.model.save(staging / "model.keras")
        _write_json(staging / "preprocessor.json", bundle.preprocessor.to_dict())
        _write_json(staging / "config.json", bundle.config.to_dict())
        _write_json(staging / "metrics.json", bundle.metrics)
        _write_json(staging / "history.json", bundle.history)
        _write_json(
            staging / "bundle.json",
            {
                "format_version": BUNDLE_FORMAT_VERSION,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "keras_version": keras.__version__,
                "encoding": bundle.config.model.encoding,
            },
        )
    return target


def load_bundle(directory: str | Path) -> Bundle:
    """Load and check a bundle written by :func:`save_bundle`.

    Raises
    ------
    BundleError
        If a file is missing, JSON is damaged, the format version differs, or
        the model is refused by Keras's safe mode.
    """
    path = Path(directory)
    if not path.is_dir():
        raise BundleError(
            f"expected a model bundle folder, received {str(path)!r}, "
            "which is not a folder"
        )
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise BundleError(
            f"expected a model bundle with {', '.join(REQUIRED_FILES)}, "
            f"received {path.name!r} without {', '.join(missing)}"
        )
    info = read_bundle_json(path / "bundle.json")
    version = info.get("format_version") if isinstance(info, dict) else None
    if version != BUNDLE_FORMAT_VERSION:
        raise BundleError(
            f"expected bundle format version {BUNDLE_FORMAT_VERSION}, "
            f"received {version!r}"
        )
    try:
        config = ExperimentConfig.from_dict(read_bundle_json(path / "config.json"))
        preprocessor = SequencePreprocessor.from_dict(
            read_bundle_json(path / "preprocessor.json")
        )
    except CoreError as error:
        raise BundleError(f"expected a consistent bundle, received: {error}") from error
    model = _load_model(path / "model.keras")
    _check_model_fits(model, preprocessor)
    return Bundle(
        model,
        preprocessor,
        config,
        read_bundle_json(path / "metrics.json"),
        read_bundle_json(path / "history.json"),
        info,
    )


def _load_model(path: Path) -> keras.Model:
    try:
        with warnings.catch_warnings():
            # Rebuilding a Conv1D front end or attention pooling repeats the
            # (intended) dropped-implicit-mask warning of build_model.
            warnings.filterwarnings("ignore", message=DROPPED_MASK_WARNING)
            return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:
        # Keras signals unsafe or damaged archives with assorted exception types;
        # each one means the same thing to the user: this file is not loadable.
        raise BundleError(
            f"expected a Keras model of stock layers, received one Keras refused: "
            f"{str(error).splitlines()[0][:300]}"
        ) from error


def _check_model_fits(model: keras.Model, preprocessor: SequencePreprocessor) -> None:
    """Refuse embedding tables sized unlike the vocabularies (a mixed-up bundle)."""
    for column, size in preprocessor.input_dims_.items():
        try:
            rows = model.get_layer(embedding_layer_name(column)).input_dim
        except (AttributeError, ValueError):
            rows = None
        if rows != size:
            raise BundleError(
                f"expected the model's embedding of column {column!r} to have {size} "
                f"rows like preprocessor.json, received {rows}; the files of this "
                "bundle do not belong together"
            )
    width = len(preprocessor.numeric_feature_names)
    try:
        received = model.get_layer(NUMERIC_INPUT).batch_shape[-1]
    except ValueError:
        received = 0  # a model without numeric columns has no such input
    if received != width:
        raise BundleError(
            f"expected the model to take {width} numeric features like "
            f"preprocessor.json, received {received}; the files of this bundle do "
            "not belong together"
        )


def extract_bundle_zip(archive: str | Path | bytes, directory: str | Path) -> Path:
    """Unpack an uploaded bundle zip safely and return the bundle directory.

    Entries that would land outside ``directory`` (absolute paths, ``..``),
    links and archives larger than :data:`MAX_UNZIPPED_BYTES` are refused.
    """
    target = Path(directory).resolve()
    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    try:
        with zipfile.ZipFile(source) as zipped:
            entries = zipped.infolist()
            if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_BYTES:
                raise BundleError("expected a bundle zip under 2 GiB, received larger")
            for entry in entries:
                destination = (target / entry.filename).resolve()
                if not destination.is_relative_to(target):
                    raise BundleError(
                        "expected zip entries inside the bundle folder, received "
                        f"{entry.filename!r}"
                    )
                if (entry.external_attr >> 16) & 0o170000 == 0o120000:
                    raise BundleError(
                        f"expected files, received link {entry.filename!r}"
                    )
            zipped.extractall(target)
    except zipfile.BadZipFile as error:
        raise BundleError(f"expected a zip file, received: {error}") from error
    candidates = [p.parent for p in target.rglob("bundle.json")]
    if len(candidates) != 1:
        raise BundleError(
            "expected one bundle in the zip, received "
            f"{len(candidates)} bundle.json files"
        )
    return candidates[0]


def predict(
    bundle: Bundle, df: pd.DataFrame, last_only: bool = False
) -> PredictionResult:
    """Predict on a new long-format table with a trained bundle.

    Unknown categories map to the trained unknown vector and are reported.

    Raises
    ------
    DataValidationError
        If a feature column is missing or holds values of the wrong kind.
    """
    prepared = prepare_prediction(df, bundle.preprocessor, last_only=last_only)
    scores = predict_scores(bundle.model, prepared, "all")
    table = configured_prediction_table(
        prepared, "all", scores, bundle.config, bundle.metrics
    )
    examples = prepared.parts["all"]
    metrics = None
    if examples.labels is not None and (~np.isnan(examples.labels)).any():
        # Several steps: an example counts where any step is known.
        known = ~np.isnan(examples.labels).reshape(len(examples), -1).all(axis=1)
        metrics = part_metrics(
            bundle.preprocessor,
            examples.labels[known],
            scores[known],
            bundle.config.train.quantiles,
        )
    unknown = {
        column: values
        for column, values in prepared.encoded.unknown_values.items()
        if values
    }
    return PredictionResult(table, unknown, metrics, prepared.notes)
