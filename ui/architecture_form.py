"""The Configure form's "Architecture and training options" expander.

One widget per model option of issue 21 (cell, causal convolution, sequence
summary, layer normalisation, input dropout, gradient clipping, Huber loss,
last-window validation, ensemble members, refit, bagging), each editing the
matching config field.
"""

from __future__ import annotations

import streamlit as st

from core.config import (
    CELLS,
    MAX_MEMBERS,
    REGRESSION_LOSSES,
    SUMMARIES,
    VALIDATION_WINDOWS,
    ExperimentConfig,
)

SUMMARY_LABELS = {
    "last": "last state",
    "attention": "attention pooling",
    "mean_last": "mean + last state",
}
VALIDATION_LABELS = {
    "all": "every validation window",
    "last": "last window per entity",
}


def architecture_fields(
    base: ExperimentConfig, task: str, framing: str
) -> tuple[dict, dict, dict]:
    """The expander's widgets; returns split, model and train changes."""
    model, train = base.model, base.train
    with st.expander("Architecture and training options"):
        a, b, c, d = st.columns(4)
        cell = a.selectbox(
            "Recurrent cell", CELLS, CELLS.index(model.cell), key="cfg_cell"
        )
        summary = b.selectbox(
            "Sequence summary",
            SUMMARIES,
            SUMMARIES.index(model.summary),
            format_func=SUMMARY_LABELS.get,
            help="How the last recurrent layer's steps become one vector.",
            key="cfg_summary",
        )
        conv_filters = c.number_input(
            "Causal Conv1D filters (0 = none)",
            0,
            1024,
            model.conv_filters,
            key="cfg_conv_filters",
        )
        conv_kernel = d.number_input(
            "Conv1D kernel (steps)",
            1,
            64,
            model.conv_kernel_size,
            key="cfg_conv_kernel",
        )
        layer_norm = a.checkbox(
            "Layer normalisation", model.layer_norm, key="cfg_layer_norm"
        )
        input_dropout = b.number_input(
            "Input dropout",
            0.0,
            0.9,
            model.input_dropout,
            0.05,
            help="Drops whole input channels for a whole sequence; off by default.",
            key="cfg_input_dropout",
        )
        clipnorm = c.number_input(
            "Gradient clip norm (0 = none)",
            0.0,
            1000.0,
            float(train.clipnorm or 0.0),
            0.5,
            key="cfg_clipnorm",
        )
        loss = d.selectbox(
            "Regression loss",
            REGRESSION_LOSSES,
            REGRESSION_LOSSES.index(train.regression_loss),
            disabled=task != "regression",
            key="cfg_regression_loss",
        )
        validation = a.selectbox(
            "Validate on",
            VALIDATION_WINDOWS,
            VALIDATION_WINDOWS.index(base.split.validation_windows),
            format_func=VALIDATION_LABELS.get,
            disabled=framing != "window",
            help="Match the test protocol: C-MAPSS scores one last window per engine.",
            key="cfg_validation_windows",
        )
        members = b.number_input(
            "Ensemble members",
            1,
            MAX_MEMBERS,
            model.members,
            help=(
                "Independently initialised copies of the network, averaged: "
                "steadier across seeds, about this many times the training time."
            ),
            key="cfg_members",
        )
        refit = c.checkbox(
            "Refit on training + validation",
            train.refit,
            help=(
                "After early stopping, train again on the training and validation "
                "entities for the best epoch count; the validation metrics stay "
                "those of the early-stopped model."
            ),
            key="cfg_refit",
        )
        bagging = d.checkbox(
            "Bag over entity folds",
            train.bagging,
            help=(
                "Each member trains on the training and validation entities "
                "except its own fold, is checked on that fold and keeps its "
                "best epoch there (needs 2+ members; instead of refit)."
            ),
            key="cfg_bagging",
        )
    model_changes = {
        "cell": cell,
        "summary": summary,
        "conv_filters": int(conv_filters),
        "conv_kernel_size": int(conv_kernel),
        "layer_norm": bool(layer_norm),
        "input_dropout": float(input_dropout),
        "members": int(members),
    }
    train_changes = {
        "clipnorm": float(clipnorm) or None,
        "regression_loss": loss if task == "regression" else "mse",
        "refit": bool(refit),
        "bagging": bool(bagging),
    }
    split_changes = {"validation_windows": validation if framing == "window" else "all"}
    return split_changes, model_changes, train_changes
