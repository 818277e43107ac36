"""Widgets of the Compare page: starting comparisons and sweeps, their progress."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.analysis.comparison import ComparisonSpec, start_comparison
from core.analysis.sweep import SweepSpec, start_sweep
from core.config import ColumnSpec, ExperimentConfig
from core.errors import CoreError
from core.model.metric_registry import headline_metric, summary_metrics
from core.runs.store import RunRecord, data_fingerprint
from core.runs.views import live_progress
from ui import auth, runs, state
from ui.state import Dataset
from ui.text import literal

RESUME_HINT = (
    "The runs already submitted go on; press the button again when some have "
    "finished to add the rest (finished runs are reused)."
)


def comparison_form(
    dataset: Dataset, config: ExperimentConfig, busy: bool = False
) -> str | None:
    """Seeds, split and arms; returns the comparison id once submitted.

    While the session's comparison still runs (``busy``) the button is
    disabled and a submit that gets through anyway starts nothing.
    """
    with st.form("compare_form"):
        left, middle, right = st.columns(3)
        seeds = left.number_input("Seeds", 1, 20, 5, key="cmp_seeds")
        vary = middle.checkbox(
            "Move the entity split with the seed", key="cmp_vary_split",
            help="Every arm of a seed still shares that seed's split (paired).",
        )  # fmt: skip
        baseline = right.checkbox(
            "Add gradient boosting on window summaries", key="cmp_baseline",
            help="Is an LSTM worth it at all? Same examples, no sequence model.",
        )  # fmt: skip
        kind = runs.executor_choice("cmp_executor")
        submitted = st.form_submit_button(
            "Run comparison", type="primary", disabled=busy
        )
    if busy:
        st.caption(
            "A comparison is running (below): wait for it, or cancel it, to "
            "start another."
        )
    if not submitted or busy:
        return None
    first = config.train.seed
    spec = ComparisonSpec(
        config, tuple(range(first, first + int(seeds))), bool(vary), bool(baseline)
    )
    owner = auth.viewer().owner
    comparison = spec.identity(data_fingerprint(dataset.frame, owner))
    try:
        executor = runs.executor_for(kind)
        start_comparison(executor, dataset.frame, spec, dataset.name, owner)
    except CoreError as error:  # the per-user limit: the rest can follow later
        st.error(f"{literal(error)}. {RESUME_HINT}")
    state.put(state.COMPARISON, comparison)
    return comparison


def sweep_form(dataset: Dataset, config: ExperimentConfig) -> str | None:
    """Column, sizes and seeds of an embedding-size sweep; returns its id."""
    columns = list(config.data.categorical_names)
    if not columns:
        st.caption("The configuration has no categorical column to size.")
        return None
    with st.form("sweep_form"):
        left, middle, right = st.columns(3)
        column = left.selectbox("Column", columns, key="swp_column")
        sizes = middle.text_input(
            "Sizes (empty: the advisor's four rules)", "", key="swp_sizes"
        )
        seeds = right.number_input("Seeds per size", 1, 20, 3, key="swp_seeds")
        kind = runs.executor_choice("swp_executor")
        submitted = st.form_submit_button("Run sweep")
    if not submitted:
        return None
    chosen = tuple(int(s) for s in sizes.replace(" ", "").split(",") if s.isdigit())
    first = config.train.seed
    spec = SweepSpec.for_column(
        config, dataset.frame, column, tuple(range(first, first + int(seeds))),
        chosen or None,
    )  # fmt: skip
    owner = auth.viewer().owner
    sweep = spec.identity(data_fingerprint(dataset.frame, owner))
    try:
        start_sweep(runs.executor_for(kind), dataset.frame, spec, dataset.name, owner)
    except CoreError as error:
        st.error(f"{literal(error)}. {RESUME_HINT}")
    state.put(state.SWEEP, sweep)
    return sweep


def metric_choice(task: str, key: str) -> str:
    """A picker over the task's headline metrics, starting at the default one."""
    options = list(summary_metrics(task))
    return st.selectbox(
        "Metric", options, index=options.index(headline_metric(task)), key=key
    )


def runs_status(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run of a comparison or sweep: label, status, progress."""
    executor = runs.executor()
    rows = []
    for record in records:
        record = executor.refresh(record)
        view = live_progress(
            record, executor.store.progress(record.id), executor.queue_position(record)
        )
        rows.append(
            {
                "run": record.id,
                "label": record.label,
                "status": record.status.value,
                "progress": f"{view.fraction:.0%}",
                "now": view.text,
            }
        )
    return pd.DataFrame(rows)


def apply_size(column: str, size: int) -> None:
    """Give ``column`` this embedding size in the session's configuration."""
    config: ExperimentConfig = state.get(state.CONFIG)
    specs = tuple(
        ColumnSpec(spec.name, size) if spec.name == column else spec
        for spec in config.data.categorical_columns
    )
    state.put(
        state.CONFIG,
        config.replace(data=replace(config.data, categorical_columns=specs)),
    )
    overrides = dict(state.get(state.SIZE_OVERRIDES) or {})
    overrides[column] = size
    state.put(state.SIZE_OVERRIDES, overrides)
