"""Turning training results into tables and choices for the result pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.preprocessing import SequencePreprocessor
from ui import state

_HEADLINE = {
    "binary": ("accuracy", "roc_auc", "pr_auc", "f1"),
    "multiclass": ("accuracy", "macro_f1"),
    "regression": ("rmse", "mae", "r2"),
}


@dataclass
class ModelSource:
    """A trained model the result pages can show: from this session or a bundle."""

    label: str
    model: Any
    preprocessor: SequencePreprocessor
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    result: Any | None  # ExperimentResult when trained in this session
    bundle: Any | None  # core.bundle.Bundle when loaded from a file


def model_sources() -> list[ModelSource]:
    """Models trained in this session, then a loaded bundle."""
    sources = []
    for encoding, result in (state.get(state.RESULTS) or {}).items():
        sources.append(
            ModelSource(
                f"{encoding} model (trained here)",
                result.model,
                result.prepared.preprocessor,
                result.metrics,
                result.training.history,
                result,
                None,
            )
        )
    bundle = state.get(state.LOADED_BUNDLE)
    if bundle is not None:
        sources.append(
            ModelSource(
                f"{bundle.config.model.encoding} model (loaded bundle)",
                bundle.model,
                bundle.preprocessor,
                bundle.metrics,
                bundle.history,
                None,
                bundle,
            )
        )
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


def comparison_table(results: dict[str, Any], part: str = "test") -> pd.DataFrame:
    """Headline metrics of each model and the baseline, with time and size."""
    rows = []
    task = next(iter(results.values())).metrics["task"]
    names = _HEADLINE[task]
    for encoding, result in results.items():
        metrics = result.metrics
        row = {"model": f"{encoding} LSTM"}
        row.update({name: metrics[part].get(name) for name in names})
        row["parameters"] = metrics["parameters"]["total"]
        row["epochs"] = metrics["training"]["epochs_run"]
        row["seconds"] = metrics["training"]["seconds"]
        rows.append(row)
    baseline = next(iter(results.values())).metrics["baseline"]
    row = {"model": f"baseline ({baseline['strategy']})"}
    row.update({name: baseline[part].get(name) for name in names})
    rows.append(row)
    return pd.DataFrame(rows)


def part_predictions(
    source: ModelSource, part: str = "test"
) -> tuple[pd.DataFrame, Any, Any] | None:
    """Prediction table, encoded labels and scores on one held-out part.

    ``None`` for a loaded bundle (its training data is not in the session).
    Memoised per model and part, so moving a slider does not predict again.
    """
    from core.evaluation import predict_scores, prediction_table

    if source.result is None:
        return None
    memo = state.get(state.PREDICTION_MEMO) or {}
    key = (id(source.result), part)
    if key not in memo:
        prepared = source.result.prepared
        scores = predict_scores(source.model, prepared, part)
        # Keep only this model's parts: results of older runs are not shown again.
        memo = {k: v for k, v in memo.items() if k[0] == key[0]}
        memo[key] = (
            prediction_table(prepared, part, scores),
            prepared.parts[part].labels,
            scores,
        )
        state.put(state.PREDICTION_MEMO, memo)
    return memo[key]


def suggested_threshold(source: ModelSource) -> float | None:
    """Threshold with the best F1 on the validation part (binary), if any."""
    from core.metrics import best_f1_threshold

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


def bundle_of(source: ModelSource) -> Any:
    """A core.bundle.Bundle for a source (building one for a session model)."""
    from core.bundle import bundle_from_result

    return (
        source.bundle
        if source.bundle is not None
        else bundle_from_result(source.result)
    )


def bundle_zip(source: ModelSource) -> bytes:
    """The source's bundle as zip bytes, written atomically into a temp folder."""
    import tempfile
    from pathlib import Path

    from core.bundle import bundle_zip_bytes, save_bundle

    with tempfile.TemporaryDirectory() as folder:
        path = save_bundle(bundle_of(source), Path(folder) / "bundle")
        return bundle_zip_bytes(path)


def load_bundle_upload(content: bytes) -> Any:
    """Load an uploaded bundle zip (raises BundleError when unsafe or damaged)."""
    import tempfile

    from core.bundle import extract_bundle_zip, load_bundle

    with tempfile.TemporaryDirectory() as folder:
        return load_bundle(extract_bundle_zip(content, folder))
