"""The configure page's form: it edits the previous config, changing only what it shows.

Settings without a widget of their own (``target_cap`` of a bundled set, a
``max_categories`` from an uploaded JSON, ...) survive a save, because the
submitted config is the previous one with the widgets' values replaced.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from core.config import (
    ENCODINGS,
    FRAMINGS,
    REDUCTIONS,
    SCALINGS,
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
)
from core.errors import ConfigError
from ui.architecture_form import architecture_fields
from ui.configure import NONE, Roles, index_of
from ui.forecast_form import forecast_fields
from ui.text import literal
from ui.time_form import horizon_time_field, time_input_fields

FRAMING_LABELS = {"sequence": "one example per entity", "window": "sliding windows"}


def default_config() -> ExperimentConfig:
    """A config holding only the documented defaults, to pre-fill the form."""
    placeholder = DataConfig(target_column="target", numeric_columns=("feature",))
    return ExperimentConfig(data=placeholder)


def choose_framing(previous: ExperimentConfig | None) -> str:
    """Framing, outside the form: it decides which of the form's fields exist."""
    data = (previous or default_config()).data
    return st.radio(
        "Examples",
        FRAMINGS,
        FRAMINGS.index(data.framing),
        key="cfg_framing",
        horizontal=True,
        format_func=FRAMING_LABELS.get,
    )


def _framing_fields(framing: str, data: DataConfig) -> dict:
    """Only the fields of the chosen framing; the others keep the previous values."""
    if framing == "window":
        a, b, c = st.columns(3)
        horizon = c.number_input(
            "Horizon (label this many steps after the window; 0 = at its end)",
            0,
            10_000,
            data.horizon or 0,
            key="cfg_horizon",
        )
        return {
            "window": int(
                a.number_input(
                    "Window (steps)", 1, 10_000, data.window, key="cfg_window"
                )
            ),
            "stride": int(
                b.number_input("Stride", 1, 10_000, data.stride, key="cfg_stride")
            ),
            "horizon": int(horizon) or None,
            "horizon_time": horizon_time_field(st.columns(3)[2], data),
        }
    a, b = st.columns(2)
    return {
        "max_length": int(
            a.number_input(
                "Max sequence length", 1, 10_000, data.max_length, key="cfg_max_length"
            )
        ),
        "label_reduction": b.selectbox(
            "Sequence label",
            REDUCTIONS,
            REDUCTIONS.index(data.label_reduction),
            key="cfg_reduction",
        ),
        # A horizon only exists with windows.
        "horizon": None,
        "horizon_time": None,
    }


def _vocabulary_fields(roles: Roles, data: DataConfig) -> dict:
    a, b = st.columns(2)
    min_count = a.number_input(
        "Categories seen fewer times become 'unknown'",
        1,
        1_000_000,
        data.min_category_count,
        key="cfg_min_count",
    )
    options = [NONE, *roles.categorical]
    normalize_by = b.selectbox(
        "Scale numeric columns per value of",
        options,
        index_of(options, data.normalize_by),
        key="cfg_normalize",
    )
    return {
        "min_category_count": int(min_count),
        "normalize_by": None if normalize_by == NONE else normalize_by,
    }


def _advanced_fields(base: ExperimentConfig, task: str) -> tuple[dict, dict, dict]:
    """Settings most runs leave alone; returned as data, model and train changes."""
    data, model, train = base.data, base.model, base.train
    with st.expander("Advanced"):
        a, b, c, d = st.columns(4)
        cap = a.number_input(
            "Cap regression targets at",
            value=data.target_cap,
            help="Empty = no cap.",
            key="cfg_target_cap",
            disabled=task != "regression",
        )
        most = b.number_input(
            "Most categories per column",
            min_value=1,
            help="Empty = all.",
            value=data.max_categories,
            step=1,
            key="cfg_max_categories",
        )
        scaling = c.selectbox(
            "Numeric scaling",
            SCALINGS,
            SCALINGS.index(data.numeric_scaling),
            key="cfg_scaling",
        )
        indicators = d.checkbox(
            "Missing-value flags", data.missing_indicators, key="cfg_indicators"
        )
        encoding = a.selectbox(
            "Encoding of the main model",
            ENCODINGS,
            ENCODINGS.index(model.encoding),
            key="cfg_encoding",
        )
        recurrent = b.number_input(
            "Recurrent dropout",
            0.0,
            0.9,
            model.recurrent_dropout,
            0.05,
            help="Above 0 disables cuDNN.",
            key="cfg_recurrent_dropout",
        )
        category = c.number_input(
            "Category dropout",
            0.0,
            0.45,
            model.category_dropout,
            0.01,
            key="cfg_category_dropout",
        )
        jit = d.checkbox("XLA compile", train.jit_compile, key="cfg_jit")
        forecast_data, forecast_train = forecast_fields(base)
        time_data = time_input_fields(data)
    data_changes = {
        **forecast_data,
        **time_data,
        "target_cap": None if cap is None or task != "regression" else float(cap),
        "max_categories": None if most is None else int(most),
        "numeric_scaling": scaling,
        "missing_indicators": bool(indicators),
    }
    model_changes = {
        "encoding": encoding,
        "recurrent_dropout": float(recurrent),
        "category_dropout": float(category),
    }
    return data_changes, model_changes, {"jit_compile": bool(jit), **forecast_train}


def _split_model_train_fields(base: ExperimentConfig) -> tuple[dict, dict, dict, str]:
    split, model, train = base.split, base.model, base.train
    st.markdown("**Split, model and training**")
    a, b, c, d = st.columns(4)
    method = a.radio(
        "Split by",
        ("entity", "time"),
        ("entity", "time").index(split.method),
        key="cfg_split",
    )
    validation = b.number_input(
        "Validation share",
        0.0,
        0.8,
        split.validation_fraction,
        0.05,
        key="cfg_validation",
    )
    test = c.number_input(
        "Test share", 0.0, 0.8, split.test_fraction, 0.05, key="cfg_test"
    )
    seed = d.number_input("Seed", 0, 2**31 - 1, split.seed, key="cfg_seed")
    units = a.text_input(
        "Recurrent units per layer",
        ",".join(map(str, model.lstm_units)),
        key="cfg_units",
    )
    dropout = b.number_input(
        "Dropout", 0.0, 0.9, model.dropout, 0.05, key="cfg_dropout"
    )
    dense = c.number_input(
        "Head units (0 = none)", 0, 4096, model.dense_units, key="cfg_dense"
    )
    bidirectional = d.checkbox(
        "Bidirectional", model.bidirectional, key="cfg_bidirectional"
    )
    epochs = a.number_input("Max epochs", 1, 500, train.epochs, key="cfg_epochs")
    batch_size = b.number_input(
        "Batch size", 1, 8192, train.batch_size, key="cfg_batch"
    )
    learning_rate = c.number_input(
        "Learning rate", 1e-5, 0.5, train.learning_rate, format="%.5f", key="cfg_lr"
    )
    patience = d.number_input(
        "Early-stopping patience", 0, 100, train.patience, key="cfg_patience"
    )
    balanced = a.checkbox(
        "Balance classes", train.class_weight == "balanced", key="cfg_balanced"
    )
    split_changes = {
        "method": method,
        "validation_fraction": float(validation),
        "test_fraction": float(test),
        "seed": int(seed),
    }
    model_changes = {
        "dropout": float(dropout),
        "dense_units": int(dense),
        "bidirectional": bool(bidirectional),
    }
    train_changes = {
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "learning_rate": float(learning_rate),
        "patience": int(patience),
        "seed": int(seed),
        "class_weight": "balanced" if balanced else "none",
    }
    return split_changes, model_changes, train_changes, units


def _lstm_units(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(u) for u in text.replace(" ", "").split(",") if u)
    except ValueError:
        st.error(
            "Recurrent units: expected integers separated by commas, received "
            f"{literal(repr(text))}"
        )
        return None


def experiment_form(
    roles: Roles,
    framing: str,
    sizes: pd.DataFrame,
    previous: ExperimentConfig | None,
    twin: bool,
) -> tuple[ExperimentConfig, bool] | None:
    """The one form with every remaining setting; returns the config on submit."""
    base = previous or default_config()
    with st.form("experiment_form"):
        st.markdown(f"**{FRAMING_LABELS[framing].capitalize()}**")
        framing_changes = _framing_fields(framing, base.data)
        st.markdown("**Embedding sizes** (edit the *size* column)")
        edited = st.data_editor(
            sizes,
            disabled=["column", "cardinality", "default size"],
            hide_index=True,
            key="cfg_sizes",
        )
        vocabulary_changes = _vocabulary_fields(roles, base.data)
        split_changes, model_changes, train_changes, units = _split_model_train_fields(
            base
        )
        data_extra, model_extra, train_extra = _advanced_fields(base, roles.task)
        split_options, model_options, train_options = architecture_fields(
            base, roles.task, framing
        )
        train_twin = st.toggle("Also train the one-hot twin", twin, key="cfg_twin")
        submitted = st.form_submit_button("Save configuration", type="primary")
    if not submitted:
        return None
    lstm_units = _lstm_units(units)
    if lstm_units is None:
        return None
    specs = tuple(
        ColumnSpec(row["column"], int(row["size"])) for row in edited.to_dict("records")
    )
    try:
        config = ExperimentConfig(
            data=dataclasses.replace(
                base.data,
                target_column=roles.target_column,
                id_column=roles.id_column,
                time_column=roles.time_column,
                categorical_columns=specs,
                numeric_columns=roles.numeric,
                task=roles.task,
                derive_target=roles.derive_target,
                framing=framing,
                **framing_changes,
                **vocabulary_changes,
                **data_extra,
            ),
            split=dataclasses.replace(base.split, **split_changes, **split_options),
            model=dataclasses.replace(
                base.model,
                lstm_units=lstm_units,
                **model_changes,
                **model_extra,
                **model_options,
            ),
            train=dataclasses.replace(
                base.train, **train_changes, **train_extra, **train_options
            ),
            schema_version=base.schema_version,
        )
    except ConfigError as error:
        st.error(f"Setting **{literal(error.field)}**: {literal(error.message)}")
        return None
    return config, bool(train_twin)
