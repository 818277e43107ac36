"""Widgets of the configure page: column roles, the experiment form, the advisor."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.config import (
    FRAMINGS,
    REDUCTIONS,
    TASKS,
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)
from core.embedding_sizes import default_embedding_dim
from core.errors import ConfigError, CoreError
from core.schema import SchemaSuggestion, infer_task
from core.vocabulary import key_counts
from ui.text import literal

NONE = "(none)"


@dataclass(frozen=True)
class Roles:
    """Column roles chosen in the first step."""

    id_column: str | None
    time_column: str | None
    target_column: str
    task: str
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]


def _index(options: list[str], value: str | None) -> int:
    return options.index(value) if value in options else 0


def choose_roles(
    frame: pd.DataFrame, schema: SchemaSuggestion, previous: ExperimentConfig | None
) -> Roles:
    """Role widgets, pre-filled from the previous config or the suggestions."""
    columns = [str(c) for c in frame.columns]
    data = previous.data if previous else None
    optional = [NONE, *columns]
    left, middle, right = st.columns(3)
    id_column = left.selectbox(
        "Entity id",
        optional,
        _index(optional, data.id_column if data else schema.id_column),
        key="cfg_id",
    )
    time_column = middle.selectbox(
        "Time / order",
        optional,
        _index(optional, data.time_column if data else schema.time_column),
        key="cfg_time",
    )
    target = right.selectbox(
        "Target",
        columns,
        _index(columns, data.target_column if data else schema.target_column),
        key="cfg_target",
    )
    try:
        inferred = infer_task(frame[target])
    except CoreError as error:
        st.error(f"Target '{literal(target)}' cannot be used: {literal(error)}")
        st.stop()
    task = right.selectbox(
        f"Task (inferred: {inferred})",
        TASKS,
        TASKS.index(data.task if data and data.target_column == target else inferred),
        key="cfg_task",
    )
    taken = {id_column, time_column, target}
    features = [c for c in columns if c not in taken]
    default_categorical = (
        list(data.categorical_names) if data else list(schema.categorical_columns)
    )
    default_numeric = (
        list(data.numeric_columns) if data else list(schema.numeric_columns)
    )
    categorical = st.multiselect(
        "Categorical columns (each gets its own embedding)",
        features,
        [c for c in default_categorical if c in features],
        key="cfg_categorical",
    )
    numeric = st.multiselect(
        "Numeric columns (scaled with training statistics)",
        [c for c in features if c not in categorical],
        [c for c in default_numeric if c in features and c not in categorical],
        key="cfg_numeric",
    )
    return Roles(
        None if id_column == NONE else id_column,
        None if time_column == NONE else time_column,
        target,
        task,
        tuple(categorical),
        tuple(numeric),
    )


def saved_sizes(previous: ExperimentConfig | None) -> dict[str, int]:
    """Embedding sizes set explicitly in a saved config, by column."""
    if previous is None:
        return {}
    return {
        spec.name: spec.embedding_dim
        for spec in previous.data.categorical_columns
        if spec.embedding_dim is not None
    }


def size_table(
    frame: pd.DataFrame, roles: Roles, overrides: dict[str, int]
) -> pd.DataFrame:
    """Cardinality, default size and chosen size per categorical column."""
    rows = []
    for column in roles.categorical:
        cardinality = len(key_counts(frame[column]))
        default = default_embedding_dim(cardinality)
        rows.append(
            {
                "column": column,
                "cardinality": cardinality,
                "default size": default,
                "size": overrides.get(column, default),
            }
        )
    return pd.DataFrame(rows, columns=["column", "cardinality", "default size", "size"])


def _default_config() -> ExperimentConfig:
    """A config holding only the documented defaults, to pre-fill the form."""
    placeholder = DataConfig(target_column="target", numeric_columns=("feature",))
    return ExperimentConfig(data=placeholder)


def experiment_form(
    roles: Roles, sizes: pd.DataFrame, previous: ExperimentConfig | None
) -> tuple[ExperimentConfig, bool] | None:
    """The one form with every remaining setting; returns the config on submit."""
    base = previous or _default_config()
    data, split, model, train = base.data, base.split, base.model, base.train
    with st.form("experiment_form"):
        st.markdown("**Framing**")
        a, b, c, d, e = st.columns(5)
        framing = a.radio(
            "Examples",
            FRAMINGS,
            FRAMINGS.index(data.framing),
            key="cfg_framing",
            format_func={"sequence": "one per entity", "window": "sliding windows"}.get,
        )
        window = b.number_input(
            "Window (steps)", 1, 10_000, data.window, key="cfg_window"
        )
        stride = c.number_input("Stride", 1, 10_000, data.stride, key="cfg_stride")
        horizon = d.number_input(
            "Event horizon (0 = label at window end)",
            0,
            10_000,
            data.horizon or 0,
            key="cfg_horizon",
        )
        max_length = e.number_input(
            "Max sequence length", 1, 10_000, data.max_length, key="cfg_max_length"
        )
        reduction = a.selectbox(
            "Sequence label",
            REDUCTIONS,
            REDUCTIONS.index(data.label_reduction),
            key="cfg_reduction",
        )
        st.markdown("**Embedding sizes** (edit the *size* column)")
        edited = st.data_editor(
            sizes,
            disabled=["column", "cardinality", "default size"],
            hide_index=True,
            key="cfg_sizes",
        )
        a, b = st.columns(2)
        min_count = a.number_input(
            "Categories seen fewer times become 'unknown'",
            1,
            1_000_000,
            data.min_category_count,
            key="cfg_min_count",
        )
        normalize_options = [NONE, *roles.categorical]
        normalize_by = b.selectbox(
            "Scale numeric columns per value of",
            normalize_options,
            _index(normalize_options, data.normalize_by),
            key="cfg_normalize",
        )
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
            "LSTM units per layer",
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
        twin = b.toggle("Also train the one-hot twin", True, key="cfg_twin")
        submitted = st.form_submit_button("Save configuration", type="primary")
    if not submitted:
        return None
    try:
        lstm_units = tuple(int(u) for u in units.replace(" ", "").split(",") if u)
    except ValueError:
        st.error(
            "LSTM units: expected integers separated by commas, received "
            f"{literal(repr(units))}"
        )
        return None
    specs = tuple(
        ColumnSpec(row["column"], int(row["size"])) for row in edited.to_dict("records")
    )
    try:
        config = ExperimentConfig(
            data=DataConfig(
                target_column=roles.target_column,
                id_column=roles.id_column,
                time_column=roles.time_column,
                categorical_columns=specs,
                numeric_columns=roles.numeric,
                task=roles.task,
                framing=framing,
                max_length=int(max_length),
                label_reduction=reduction,
                window=int(window),
                stride=int(stride),
                horizon=int(horizon) or None,
                min_category_count=int(min_count),
                normalize_by=None if normalize_by == NONE else normalize_by,
            ),
            split=SplitConfig(
                method=method,
                validation_fraction=float(validation),
                test_fraction=float(test),
                seed=int(seed),
            ),
            model=ModelConfig(
                lstm_units=lstm_units,
                dropout=float(dropout),
                dense_units=int(dense),
                bidirectional=bidirectional,
            ),
            train=TrainConfig(
                epochs=int(epochs),
                batch_size=int(batch_size),
                learning_rate=float(learning_rate),
                patience=int(patience),
                seed=int(seed),
                class_weight="balanced" if balanced else "none",
            ),
        )
    except ConfigError as error:
        st.error(f"Setting **{literal(error.field)}**: {literal(error.message)}")
        return None
    return config, twin
