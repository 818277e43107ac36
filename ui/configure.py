"""Widgets of the configure page: column roles, the experiment form, the advisor."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.config import TASKS, ExperimentConfig, Task
from core.data.schema import SchemaSuggestion, infer_task
from core.errors import CoreError
from core.examples.advisor import EpochSample, Preflight, epoch_sample, preflight
from core.features.embedding_sizes import default_embedding_dim
from core.features.vocabulary import key_counts
from ui import runs, state
from ui.derived_target import derive_toggle, expression_input, target_name
from ui.text import literal

NONE = "(none)"
CATEGORICAL_KEY = "cfg_categorical"
NUMERIC_KEY = "cfg_numeric"
TASK_KEY = "cfg_task"
#: Set once the user picks a task themselves; from then on a new target keeps it.
TASK_CHOSEN_KEY = "cfg_task_chosen"
#: The target the task widget was last filled for.
TASK_TARGET_KEY = "cfg_task_target"


@dataclass(frozen=True)
class Roles:
    """Column roles chosen in the first step."""

    id_column: str | None
    time_column: str | None
    target_column: str
    task: Task
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    derive_target: str | None = None


def index_of(options: list[str], value: str | None) -> int:
    """Position of ``value`` in ``options``, or 0 when absent."""
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
        index_of(optional, data.id_column if data else schema.id_column),
        key="cfg_id",
    )
    time_column = middle.selectbox(
        "Time / order",
        optional,
        index_of(optional, data.time_column if data else schema.time_column),
        key="cfg_time",
    )
    target, task, derive_target, sources = _target_and_task(frame, schema, data, right)
    taken = {id_column, time_column, target, *sources}
    features = [c for c in columns if c not in taken]
    _rejoin_freed_columns(schema, taken)
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
        key=CATEGORICAL_KEY,
    )
    numeric = st.multiselect(
        "Numeric columns (scaled with training statistics)",
        [c for c in features if c not in categorical],
        [c for c in default_numeric if c in features and c not in categorical],
        key=NUMERIC_KEY,
    )
    return Roles(
        None if id_column == NONE else id_column,
        None if time_column == NONE else time_column,
        target,
        task,
        tuple(categorical),
        tuple(numeric),
        derive_target,
    )


def _target_and_task(
    frame: pd.DataFrame, schema: SchemaSuggestion, data, column
) -> tuple[str, Task, str | None, tuple[str, ...]]:
    """A target column and its task, or a derived target: name, "binary",
    expression and the columns it reads (the expression box spans the page)."""
    if derive_toggle(column, data):
        name = target_name(column, data)
        expression, sources = expression_input(frame, data)
        return name, "binary", expression, sources
    columns = [str(c) for c in frame.columns]
    target = column.selectbox(
        "Target",
        columns,
        index_of(columns, data.target_column if data else schema.target_column),
        key="cfg_target",
    )
    if schema.target_guessed and data is None and target == schema.target_column:
        column.caption(
            "No column is named like a target: this is only the last column. "
            "Choose the column to predict."
        )
    return target, _choose_task(frame, target, data, column), None, ()


def _choose_task(frame: pd.DataFrame, target: str, data, column) -> Task:
    """Task picker that follows the target until the user picks a task.

    A new target sets the task its values imply (or the saved config's task
    for that target); a task the user chose on this page stays. Says so when
    the chosen task differs from the values' own.
    """
    try:
        inferred = infer_task(frame[target])
    except CoreError as error:
        st.error(f"Target '{literal(target)}' cannot be used: {literal(error)}")
        st.stop()
    follows = not st.session_state.get(TASK_CHOSEN_KEY, False)
    new_target = st.session_state.get(TASK_TARGET_KEY) != target
    if TASK_KEY not in st.session_state or (follows and new_target):
        saved = data.task if data and data.target_column == target else None
        st.session_state[TASK_KEY] = saved or inferred
    st.session_state[TASK_TARGET_KEY] = target
    task = column.selectbox("Task", TASKS, key=TASK_KEY, on_change=_task_chosen)
    if task != inferred:
        column.caption(f"The target's values suggest '{inferred}'.")
    return task


def _task_chosen() -> None:
    """Remember that the user picked the task, so a new target keeps it."""
    st.session_state[TASK_CHOSEN_KEY] = True


def _rejoin_freed_columns(schema: SchemaSuggestion, taken: set) -> None:
    """Columns leaving the id, time or target role rejoin the features.

    Without this, switching the target from ``WSPM`` to ``PM2.5`` would leave
    ``WSPM`` out of the features, and so would changing the time column.
    """
    before = state.get(state.ROLES_SHOWN)
    state.put(state.ROLES_SHOWN, tuple(sorted(c for c in taken if c is not None)))
    if before is None:
        return
    freed = set(before) - taken
    roles = {profile.name: profile.feature_role for profile in schema.columns}
    for key, role in ((CATEGORICAL_KEY, "categorical"), (NUMERIC_KEY, "numeric")):
        if key not in st.session_state:
            continue
        chosen = [c for c in st.session_state[key] if c not in taken]
        chosen += sorted(c for c in freed if roles.get(c) == role and c not in chosen)
        st.session_state[key] = chosen


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


#: Finished runs read to calibrate the epoch time (the newest first).
CALIBRATION_RECORDS = 40


@st.cache_data(ttl=60, show_spinner=False)
def epoch_samples() -> tuple[EpochSample, ...]:
    """Measured epoch times of this machine's newest finished runs.

    Cached for a minute: reading every run's results on each rerun of the
    configure page would cost more than the estimate is worth.
    """
    store = runs.store()
    samples = []
    done = [r for r in store.records() if r.status.value == "done"]
    for record in done[:CALIBRATION_RECORDS]:
        try:
            results = store.results(record.id)
        except (CoreError, OSError, ValueError):
            continue  # a run folder being deleted or written: skip it
        for metrics in results.values():
            sample = epoch_sample(record.config, metrics)
            if sample is not None:
                samples.append(sample)
    return tuple(samples)


@st.cache_data(show_spinner="Estimating the run...", max_entries=8)
def cached_preflight(
    data_key: str,
    _frame: pd.DataFrame,
    config_json: str,
    samples: tuple[EpochSample, ...] = (),
):
    """:func:`core.examples.advisor.preflight`, once per data set and config.

    ``_frame`` is not hashed: ``data_key`` (:func:`ui.data.data_key`) names the
    data, and hashing a 20,000-row table on every rerun cost seconds.
    ``samples`` (:func:`epoch_samples`) calibrate the epoch time.
    """
    return preflight(_frame, ExperimentConfig.from_json(config_json), samples=samples)


def epoch_time_text(low: float, high: float) -> str:
    """An epoch-time range as the pre-flight panel shows it: "1.2–3.4 s"."""
    if high < 10:
        return f"{low:,.1f}–{high:,.1f} s"
    return f"{low:,.0f}–{high:,.0f} s"


def epoch_time_metric(column, estimate: Preflight) -> None:
    """The pre-flight epoch time as a range, saying what calibrated it."""
    column.metric(
        "Epoch time",
        epoch_time_text(*estimate.epoch_seconds_range),
        help="Calibrated on this machine's finished runs."
        if estimate.calibrated
        else "A rough rule: no run has finished on this machine to calibrate it.",
    )


#: Configure widgets whose value Streamlit refuses to take from session state.
UNPINNABLE = frozenset({"cfg_sizes"})


def apply_pinned_widgets() -> None:
    """Write the values :func:`pin_widgets` kept; call before any configure widget."""
    pinned = state.get(state.WIDGETS_TO_PIN)
    if not isinstance(pinned, dict):
        return
    state.put(state.WIDGETS_TO_PIN, None)
    for key, value in pinned.items():
        st.session_state[key] = value


def pin_widgets() -> None:
    """After the widgets rendered a loaded config, keep their values and rerun.

    Call after the last configure widget. A browser keeps showing, and later
    sends back, the value it holds for a widget unless the server marks a value
    as set, and a changed default is not such a mark
    (:func:`ui.state.forget_config_widgets`). The rerun's
    :func:`apply_pinned_widgets` sets the values, which marks them.
    """
    if state.get(state.WIDGETS_TO_PIN) is not True:
        return
    state.put(
        state.WIDGETS_TO_PIN,
        {
            key: st.session_state[key]
            for key in list(st.session_state)
            if isinstance(key, str)
            and key.startswith(state.CONFIG_WIDGET_PREFIX)
            and key not in UNPINNABLE
        },
    )
    st.rerun()


def config_upload() -> None:
    """Accept an experiment config as a JSON file (once per file)."""
    upload = st.file_uploader(
        "Load a configuration (JSON)", type=["json"], key="config_upload"
    )
    if upload is None:
        return
    content = upload.getvalue()
    memo = hashlib.sha256(content).hexdigest()
    if state.get(state.CONFIG_UPLOAD_MEMO) == memo:
        return
    state.put(state.CONFIG_UPLOAD_MEMO, memo)
    try:
        config = ExperimentConfig.from_json(content.decode("utf-8", errors="replace"))
    except CoreError as error:
        st.error(f"Could not use that configuration: {literal(error)}")
        return
    state.put(state.CONFIG, config)
    state.forget_config_widgets()
    st.rerun()
