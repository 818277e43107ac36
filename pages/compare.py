"""Compare page: embedding vs one-hot over seeds, with an interval and a verdict;
and an embedding-size sweep for one column.

One run per encoding is noise until several seeds and an interval say
otherwise; every number here is over seeds, paired by seed.
"""

import pandas as pd
import streamlit as st

from core.analysis.comparison import (
    comparison_runs,
    cost_table,
    per_seed_table,
    summarize,
)
from core.analysis.leaderboard import leaderboard
from core.analysis.sweep import summarize_sweep, sweep_runs
from core.analysis.verdict import INTERVAL_METHOD, VerdictKind
from core.plots.runs import difference_figure, seed_dot_plot, sweep_figure
from ui import runs, state
from ui.compare import (
    apply_size,
    comparison_form,
    metric_choice,
    runs_status,
    sweep_form,
)
from ui.data import memory_text, shown_table
from ui.text import literal

st.title("6. Compare")
runs.sync_with_url()  # also here: AppTest runs a page without app.py
dataset, config = state.dataset(), state.get(state.CONFIG)
comparison, sweep = state.get(state.COMPARISON), state.get(state.SWEEP)
if (dataset is None or config is None) and not (comparison or sweep):
    st.info("Load data and save a configuration first.")
    st.page_link("pages/configure.py", label="Go to the configure page")
    st.stop()
store = runs.store()


def still_running(records: list) -> bool:
    """Whether any of these runs is queued or training."""
    return any(not runs.executor().refresh(record).status.final for record in records)


st.subheader("Embedding vs one-hot, over seeds")
if dataset is not None and config is not None:
    st.caption(
        "Every seed trains the embedding LSTM and its one-hot twin on one split "
        "(paired). Running the same comparison again reuses the finished seeds, so "
        "a cancelled comparison resumes where it stopped."
    )
    # One comparison at a time per session: a second submit while it runs
    # (a double click, a changed seed count) would start another one.
    busy = still_running(
        list(comparison_runs(store, comparison).values()) if comparison else []
    )
    comparison = comparison_form(dataset, config, busy) or comparison


comparison_running = still_running(
    list(comparison_runs(store, comparison).values()) if comparison else []
)


@st.fragment(run_every=2.0 if comparison_running else None)
def comparison_panel(comparison_id: str) -> None:
    """Progress of the seeds, then the report; polls while seeds are running."""
    records = list(comparison_runs(store, comparison_id).values())
    result = summarize(
        store, comparison_id, metric_choice(records[0].config.data.task, "cmp_metric")
    )
    if result.pending:
        st.dataframe(runs_status(records), hide_index=True, key="cmp_status")
        if st.button("Cancel the comparison", key="cmp_cancel"):
            for record in records:
                runs.cancel(record.id)
    elif comparison_running:
        st.rerun(scope="app")  # the last seed finished: stop polling
    found = result.verdict.kind is VerdictKind.BETTER
    (st.success if found else st.info)(f"**Verdict:** {literal(result.verdict.text)}")
    if result.arms:
        left, right = st.columns([3, 2])
        left.plotly_chart(
            seed_dot_plot(per_seed_table(result), result.metric), key="cmp_dots"
        )
        if result.difference is not None:
            d = result.difference
            right.plotly_chart(
                difference_figure(d.mean, d.low, d.high, result.metric),
                key="cmp_difference",
            )
        costs = cost_table(result)
        costs["peak memory (MiB)"] = costs["peak memory (MiB)"].map(memory_text)
        st.dataframe(shown_table(costs), hide_index=True, key="cmp_costs")
        board = leaderboard(store, result)
        beaten = all(row.beats_strongest_baseline is not False for row in board.rows)
        st.markdown("**Leaderboard** (test, mean over seeds, best first)")
        (st.success if beaten else st.warning)(literal(board.verdict))
        st.dataframe(
            shown_table(pd.DataFrame(board.table_rows())),
            hide_index=True,
            key="cmp_leaderboard",
        )
        st.caption(
            f"Interval: {INTERVAL_METHOD}. Peak memory is that of each seed's "
            "training process (all arms together)."
        )


if comparison:
    comparison_panel(comparison)

st.subheader("Embedding size of one column")
if dataset is not None and config is not None:
    sweep = sweep_form(dataset, config) or sweep


sweep_running = still_running(sweep_runs(store, sweep) if sweep else [])


@st.fragment(run_every=2.0 if sweep_running else None)
def sweep_panel(sweep_id: str) -> None:
    """Metric against size with intervals; one click applies the recommendation."""
    records = sweep_runs(store, sweep_id)
    result = summarize_sweep(
        store, sweep_id, metric_choice(records[0].config.data.task, "swp_metric")
    )
    if result.pending:
        st.dataframe(runs_status(records), hide_index=True, key="swp_status")
    elif sweep_running:
        st.rerun(scope="app")
    if result.table.empty:
        return
    st.plotly_chart(sweep_figure(result.table, result.metric), key="swp_figure")
    st.dataframe(result.table, hide_index=True, key="swp_table")
    if result.recommended is not None and state.get(state.CONFIG) is not None:
        st.caption(
            f"Recommended: {result.recommended} ({literal(result.reason)}); "
            f"best mean: {result.best}."
        )
        if st.button(
            f"Use size {result.recommended} for {result.column}", key="swp_apply"
        ):
            apply_size(result.column, result.recommended)
            st.success(
                f"The configuration now gives {literal(result.column)} size "
                f"{result.recommended}."
            )


if sweep:
    sweep_panel(sweep)
