"""Predictions on a new file, remembered with the model and the file they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from core.model.metrics import ordered_metrics
from ui import state
from ui.text import literal

if TYPE_CHECKING:
    from core.model.bundle import PredictionResult


@dataclass(frozen=True)
class NewPrediction:
    """One new file's predictions, with the model and the file that made them."""

    model_key: str
    model_label: str
    file_name: str
    result: PredictionResult


def model_key(label: str, model: object) -> str:
    """Which model made predictions: its label, and the object (a retrained or
    reloaded model under the same label is another model)."""
    return f"{label}#{id(model)}"


def remember(
    label: str, model: object, file_name: str, result: PredictionResult
) -> None:
    """Keep these predictions for the session (replacing earlier ones)."""
    prediction = NewPrediction(model_key(label, model), label, file_name, result)
    state.put(state.PREDICTION, prediction)


def for_model(label: str, model: object) -> NewPrediction | None:
    """The remembered predictions, only when the chosen model made them."""
    stored = state.get(state.PREDICTION)
    if isinstance(stored, NewPrediction) and stored.model_key == model_key(
        label, model
    ):
        return stored
    return None


def show(prediction: NewPrediction, task: str) -> None:
    """Caption, notes, metrics and table of one new file's predictions."""
    result = prediction.result
    st.caption(
        f"Predictions of the {literal(prediction.model_label)} on "
        f"{literal(prediction.file_name)}"
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
    if result.metrics:
        st.dataframe([ordered_metrics(result.metrics, task)], key="pred_new_metrics")
    st.dataframe(result.table, key="pred_new_table", hide_index=True)
