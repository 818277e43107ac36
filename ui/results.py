"""Turning training results into tables and choices for the result pages."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from core.config import ExperimentConfig
from core.features.preprocessor import SequencePreprocessor
from core.model.bundle_files import bundle_zip_bytes
from core.runs.outputs import read_predictions
from core.runs.store import RunStore
from core.runs.stored_models import StoredModel, read_stored_model
from ui import runs, state

if TYPE_CHECKING:
    import keras
    import numpy as np

    from core.model.bundle import Bundle
    from core.model.prediction_result import PredictionResult


@dataclass
class ModelSource:
    """A trained model the result pages can show: from a run or an uploaded bundle.

    ``run_id`` and ``encoding`` are set for a run's model; its held-out
    predictions were written by the training process into the run folder.
    A run's model (``path`` set, ``loaded`` None) is loaded, with Keras, only
    when :attr:`bundle` or :attr:`model` is asked for: its preprocessor,
    metrics and history come from the bundle's JSON, so a page that shows only
    those (or its stored embedding matrices) never imports TensorFlow into
    the server.
    """

    label: str
    loaded: Bundle | None
    path: Path | None
    run_id: str | None = None
    encoding: str | None = None

    @property
    def bundle(self) -> Bundle:
        """The loaded bundle (loads the Keras model of a run on first use)."""
        if self.loaded is None and self.path is not None:
            self.loaded = _load_bundle(str(self.path), _modified(self.path))
        return self.loaded

    @property
    def model(self) -> keras.Model:
        """The Keras model."""
        return self.bundle.model

    @property
    def stored(self) -> StoredModel | None:
        """A run's model as its JSON files (no Keras); None for a loaded bundle."""
        if self.path is None:
            return None
        return _stored_model(str(self.path), _modified(self.path))

    @property
    def config(self) -> ExperimentConfig:
        """The experiment the model was trained with."""
        stored = self.stored
        return stored.config if stored else self.bundle.config

    @property
    def preprocessor(self) -> SequencePreprocessor:
        """The fitted preprocessor."""
        stored = self.stored
        return stored.preprocessor if stored else self.bundle.preprocessor

    @property
    def metrics(self) -> dict[str, Any]:
        """Validation/test metrics and baseline."""
        stored = self.stored
        return stored.metrics if stored else self.bundle.metrics

    @property
    def history(self) -> dict[str, list[float]]:
        """Per-epoch curves."""
        stored = self.stored
        return stored.history if stored else self.bundle.history


def _modified(path: Path) -> float:
    """The bundle's model file's modification time (the caches' key)."""
    return (path / "model.keras").stat().st_mtime


@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def _load_bundle(path: str, modified: float) -> Bundle:
    # Start-up cost: Keras, only where a page needs the model itself.
    from core.model.bundle import load_bundle

    return load_bundle(path)


@st.cache_resource(show_spinner=False, max_entries=32)
def _stored_model(path: str, modified: float) -> StoredModel:
    return read_stored_model(path)


def run_sources(run_id: str) -> list[ModelSource]:
    """One source per trained encoding of a run the viewer may see.

    Raises
    ------
    RunNotFoundError
        If there is no such run for this viewer.
    """
    runs.find(run_id)
    store = runs.store()
    sources = []
    for encoding in store.results(run_id):
        path = store.bundle_path(run_id, encoding)
        if not (path / "model.keras").is_file():
            continue
        label = f"{encoding} model (run {run_id})"
        sources.append(ModelSource(label, None, path, run_id, encoding))
    return sources


def model_sources() -> list[ModelSource]:
    """The open run's models, then a loaded bundle."""
    sources = []
    open_run = state.get(state.OPEN_RUN)
    if open_run and runs.record(open_run) is not None:
        sources.extend(run_sources(open_run))
    bundle = state.get(state.LOADED_BUNDLE)
    if bundle is not None:
        label = f"{bundle.config.model.encoding} model (loaded bundle)"
        sources.append(ModelSource(label, bundle, None))
    return sources


def choose_source(key: str) -> ModelSource:
    """A "Model" picker over :func:`model_sources`; stops the page if there is none."""
    sources = model_sources()
    if not sources:
        st.info("Train a model (or load a bundle) first.")
        st.page_link("pages/train.py", label="Go to the train page")
        st.stop()
    labels = [source.label for source in sources]
    return sources[labels.index(st.selectbox("Model", labels, key=key))]


def part_predictions(
    source: ModelSource, part: str = "test"
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
    """Prediction table, encoded labels and scores on one held-out part.

    Read from the run folder, where the training process wrote them; ``None``
    for an uploaded bundle (its training data is not here).
    """
    if source.run_id is None:
        return None
    return _stored_predictions(
        str(runs.store().root), source.run_id, source.encoding, part
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _stored_predictions(
    root: str, run_id: str, encoding: str, part: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
    return read_predictions(RunStore(root), run_id, encoding, part)


def suggested_threshold(source: ModelSource) -> float | None:
    """Threshold with the best F1 on the validation part (binary), if any."""
    # Start-up cost: the metrics module imports scikit-learn.
    from core.model.metrics import best_f1_threshold

    validation = part_predictions(source, "validation")
    if validation is None or len(validation[2]) == 0:
        return None
    _, labels, scores = validation
    known = ~pd.isna(labels)
    return best_f1_threshold(labels[known], scores[known])


def with_decisions(table: pd.DataFrame, classes: Any, threshold: float) -> pd.DataFrame:
    """The binary prediction table with ``predicted`` taken at ``threshold``."""
    positive = table["probability"].to_numpy() >= threshold
    return table.assign(predicted=[classes[int(p)] for p in positive])


def predict_new_file(
    source: ModelSource, frame: pd.DataFrame, last_only: bool = False
) -> PredictionResult:
    """The source's model's predictions on a new long-format table.

    A run's model predicts in the executor's model worker, so the server
    never imports TensorFlow for it; an uploaded bundle is already loaded here.

    Raises
    ------
    CoreError
        What the prediction raised (a DataValidationError for a missing or
        mistyped column), also when it came from the model worker.
    """
    if source.path is not None:
        return runs.executor().models.call(
            "predict", source.path, frame, last_only=last_only
        )
    # Start-up cost: Keras, already loaded with the uploaded bundle.
    from core.model.bundle import predict

    return predict(source.bundle, frame, last_only=last_only)


def bundle_file_name(source: ModelSource) -> str:
    """Download name of the source's bundle: its run and encoding, when it has them.

    Two downloads called ``model_bundle.zip`` could not be told apart.
    """
    if source.run_id is None or source.encoding is None:
        return "model_bundle.zip"
    return f"{source.run_id}_{source.encoding}_bundle.zip"


def bundle_zip(source: ModelSource) -> bytes:
    """The source's bundle as zip bytes (a loaded bundle is saved to a temp folder)."""
    if source.path is not None:  # a run's files, zipped without Keras
        return bundle_zip_bytes(source.path)
    # Start-up cost: Keras, already loaded with the uploaded bundle.
    from core.model.bundle import save_bundle

    with tempfile.TemporaryDirectory() as folder:
        return bundle_zip_bytes(save_bundle(source.bundle, Path(folder) / "bundle"))


def load_bundle_upload(content: bytes) -> Bundle:
    """Load an uploaded bundle zip (raises BundleError when unsafe or damaged)."""
    # Start-up cost: Keras, only when a bundle is uploaded.
    from core.model.bundle import extract_bundle_zip, load_bundle

    with tempfile.TemporaryDirectory() as folder:
        return load_bundle(extract_bundle_zip(content, folder))
