"""Runs page: the viewer's runs; open, compare or delete one.

Locally the list is the run history of this server, shared by every browser
session; with login on, each user sees only their own runs (administrators see
every run). Opening a run makes its models the ones the Predictions and
Embeddings pages show in this session only.
"""

import streamlit as st

from core.errors import CoreError
from core.plots.runs import curves_overlay
from core.runs.store import DamagedRun, RunStatus
from core.runs.views import (
    config_difference,
    deletion_warning,
    group_runs,
    group_title,
    metrics_side_by_side,
    validation_curves,
)
from ui import runs, state
from ui.data import shown_table
from ui.forecast_results import show_run_standings
from ui.text import literal

st.title("Runs")
runs.sync_with_url()  # also here: AppTest runs a page without app.py
executor = runs.executor()
st.caption(
    f"{runs.scope_text()}, newest first, kept in "
    f"`{literal(executor.store.root)}` (set `SEQ_EMBED_RUNS_DIR` to move it)."
)
items = runs.visible_runs()
records = [item for item in items if not isinstance(item, DamagedRun)]
for item in items:
    if isinstance(item, DamagedRun):
        st.warning(
            f"Run folder `{literal(item.id)}` is damaged: {literal(item.reason)}"
        )
if not records:
    st.info("No runs yet: train a model on the Train page.")
    st.page_link("pages/train.py", label="Go to the train page")
    st.stop()

alone, groups = group_runs(records)
if alone:
    st.dataframe(runs.table_of(alone), hide_index=True, key="runs_table")
else:
    st.caption("Every run belongs to a comparison or a sweep (below).")
for group, members in groups.items():
    with st.expander(group_title(group, members)):
        st.dataframe(
            runs.table_of(members, labelled=True),
            hide_index=True,
            key=f"runs_group_{group}",
        )
by_id = {record.id: record for record in records}


def describe(run_id: str) -> str:
    """A run's id with its data, target and status, for the pickers."""
    record = by_id[run_id]
    label = f" · {record.label}" if record.label else ""
    return (
        f"{run_id} · {record.data_name} · {record.config.data.target_column} · "
        f"{record.status.value}{label}"
    )


st.subheader("Open a run")
chosen = st.selectbox("Run", list(by_id), format_func=describe, key="runs_pick")
opened = by_id[chosen]
if opened.status is RunStatus.DONE or executor.store.results(chosen):
    if st.button(
        "Open",
        key="runs_open",
        type="primary",
        help="Also brings back its data and configuration.",
    ):
        runs.restore_inputs(opened)  # first: a new table closes the open run
        runs.open_run(chosen)
    if state.get(state.OPEN_RUN) == chosen:
        st.success(f"Run {chosen} is open.")
        show_run_standings(executor.store, opened)
        left, right = st.columns(2)
        left.page_link("pages/predictions.py", label="Its predictions")
        right.page_link("pages/embeddings.py", label="Its embeddings")
else:
    st.caption(f"Run {chosen} has no trained model ({opened.status.value}).")
    if st.button("Follow its progress", key="runs_follow"):
        runs.follow(chosen)
        st.switch_page("pages/train.py")
edit, again = st.columns(2)
if edit.button("Edit this configuration", key="runs_edit"):
    runs.restore_inputs(opened)
    st.switch_page("pages/configure.py")
if again.button("Train again", key="runs_train_again", disabled=opened.streamed):
    try:
        started = runs.train_again(opened)
    except CoreError as error:  # e.g. the per-user limit of runs
        st.error(literal(error))
    else:
        if started is None:
            st.error(f"The stored data of run {chosen} is gone: load it again.")
        else:
            st.switch_page("pages/train.py")

st.subheader("Compare two runs")
pair = st.multiselect(
    "Runs", list(by_id), format_func=describe, max_selections=2, key="runs_compare"
)
if len(pair) == 2:
    first, second = (by_id[run_id] for run_id in pair)
    st.markdown("**Settings that differ**")
    difference = config_difference(first, second)
    if difference.empty:
        st.caption("The two runs have the same settings and data.")
    else:
        st.dataframe(difference, hide_index=True, key="runs_difference")
    st.markdown("**Test metrics**")
    st.dataframe(
        shown_table(metrics_side_by_side(executor.store, [first, second])),
        hide_index=True,
        key="runs_metrics",
    )
    st.plotly_chart(
        curves_overlay(validation_curves(executor.store, [first, second])),
        key="runs_curves",
    )

st.subheader("Delete a run")
doomed = st.selectbox(
    "Run to delete", list(by_id), format_func=describe, key="runs_delete_pick"
)
warning = deletion_warning(by_id[doomed], records)
if warning:
    st.warning(literal(warning))
sure = st.checkbox(
    f"Yes, delete run {doomed} and, unless another run uses it, its stored data",
    key="runs_delete_confirm",
)
if st.button("Delete", key="runs_delete", disabled=not sure):
    try:
        runs.delete(doomed)
    except CoreError as error:
        st.error(literal(error))
    else:
        st.rerun()
