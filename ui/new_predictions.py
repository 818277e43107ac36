"""Predictions on a new file, remembered with the model and the file they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from core.model.metrics import ordered_metrics
from core.runs.new_data import NewDataReport, report_new_data, training_entities
from core.runs.store import RunNotFoundError, RunStore
from ui import runs, state
from ui.text import literal

if TYPE_CHECKING:
    from core.model.prediction_result import PredictionResult
    from ui.results import ModelSource


@dataclass(frozen=True)
class NewPrediction:
    """One new file's predictions, with the model and the file that made them."""

    model_key: str
    model_label: str
    file_name: str
    result: PredictionResult


def model_key(source: ModelSource) -> str:
    """Which model made predictions: its label, and its bundle folder for a
    run's model, the loaded object for an uploaded bundle (another upload
    under the same label is another model). A run's model is never loaded in
    the server, so its folder, not an object, names it."""
    if source.path is not None:
        return f"{source.label}#{source.path}"
    return f"{source.label}#{id(source.loaded)}"


def remember(source: ModelSource, file_name: str, result: PredictionResult) -> None:
    """Keep these predictions for the session (replacing earlier ones)."""
    prediction = NewPrediction(model_key(source), source.label, file_name, result)
    state.put(state.PREDICTION, prediction)


def for_model(source: ModelSource) -> NewPrediction | None:
    """The remembered predictions, only when the chosen model made them."""
    stored = state.get(state.PREDICTION)
    if isinstance(stored, NewPrediction) and stored.model_key == model_key(source):
        return stored
    return None


@st.cache_data(show_spinner="Finding the entities the run trained on...", max_entries=8)
def _trained_on(root: str, run_id: str) -> frozenset[str] | None:
    """A run's training entities, from its stored table (None when unknown)."""
    store = RunStore(root)
    try:
        record = store.get(run_id)
        frame = None if record.streamed else store.load_data(record)
    except RunNotFoundError:
        return None
    if frame is None or record.config.data.id_column is None:
        return None
    return training_entities(frame, record.config)


def report(
    prediction: NewPrediction, source: ModelSource, threshold: float | None
) -> NewDataReport:
    """The predictions at ``threshold``, with the source run's training overlap."""
    trained_on = None
    if source.run_id is not None:
        trained_on = _trained_on(str(runs.store().root), source.run_id)
    encoder = source.preprocessor.target_encoder_
    return report_new_data(
        prediction.result.table,
        source.config.data,
        encoder.classes_,
        threshold,
        trained_on,
    )


def _overlap_notes(report: NewDataReport) -> None:
    if report.overlapping is None:
        return
    if report.overlapping == 0:
        st.caption(f"None of the {report.entities:,} entities was in training.")
        return
    st.warning(
        f"{report.overlapping:,} of {report.entities:,} entities in this file were "
        "in the run's training split: the model has seen them, so their metrics "
        "flatter it. The row 'entities not in training' scores the others."
        if report.overlapping < report.entities
        else f"All {report.entities:,} entities in this file were in the run's "
        "training split: the model has seen them, so these metrics flatter it."
    )


def show(prediction: NewPrediction, report: NewDataReport, task: str) -> None:
    """Caption, notes, metrics and table of one new file's predictions."""
    result = prediction.result
    decided = (
        f" (decisions at threshold {report.threshold:.2f}, the slider's)"
        if report.threshold is not None
        else ""
    )
    st.caption(
        f"Predictions of the {literal(prediction.model_label)} on "
        f"{literal(prediction.file_name)}{decided}"
    )
    for column, values in result.unknown_values.items():
        examples = literal(", ".join(list(values)[:5]))
        st.warning(
            f"Column '{literal(column)}': {sum(values.values())} row(s) with "
            f"categories never seen in training ({examples}); they use the "
            "learned 'unknown' vector."
        )
    for note in result.notes:
        if "unseen categories" not in note:  # shown above, with examples
            st.info(literal(note))
    _overlap_notes(report)
    rows = [("all entities", report.metrics)]
    if report.unseen_metrics is not None:
        rows.append(("entities not in training", report.unseen_metrics))
    if report.metrics:
        table = [
            {"examples": name, **ordered_metrics(metrics, task)}
            for name, metrics in rows
        ]
        st.dataframe(table, key="pred_new_metrics", hide_index=True)
    st.dataframe(report.table, key="pred_new_table", hide_index=True)
