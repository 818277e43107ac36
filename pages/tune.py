"""Tune page: an Optuna study over a search space, its trials live, its figures,
and the best configuration re-trained over seeds against the one-hot twin,
gradient boosting and the baselines.

Every trial is a run of the store, trained by the executor like a Train-page
run; the study itself is driven by a process of its own, so it survives a
restart and can be resumed.
"""

import pandas as pd
import streamlit as st

from core.plots.tuning import study_figures
from core.tuning.driver import best_config
from core.tuning.launch import launch_driver
from core.tuning.report import (
    best_trial,
    final_board,
    load_study,
    search_cost,
    trials_table,
)
from ui import runs, state, tune
from ui.data import shown_table
from ui.text import literal

st.title("8. Tune")
dataset, config = state.dataset(), state.get(state.CONFIG)
studies = tune.visible_studies()
if dataset is None or config is None:
    st.info("Load data and save a configuration first: a study starts from it.")
    st.page_link("pages/configure.py", label="Go to the configure page")
else:
    # Open until this session has a study to look at.
    with st.expander("New study", expanded=tune.current_study() is None):
        started = tune.study_form(dataset, config)
        if started is not None:
            tune.open_study(started.id)
            st.rerun()

if studies:
    ids = [record.id for record in studies]
    current = tune.current_study()
    # No study is opened for the user: a new session starts on the form.
    chosen = st.selectbox(
        "Open a study",
        ids,
        ids.index(current.id) if current and current.id in ids else None,
        format_func=lambda study_id: (
            f"{study_id} ({tune.find_study(study_id).data_name})"
        ),
        placeholder="Choose a study",
        key="tune_open",
    )
    if chosen is not None and (current is None or chosen != current.id):
        tune.open_study(chosen)
record = tune.current_study()
if record is None:
    st.stop()

live = record.driver_alive


@st.fragment(run_every=2.0 if live else None)
def study_panel() -> None:
    """Status, trials and the best so far; polls while the driver runs."""
    current = tune.find_study(record.id)
    study = load_study(current)
    cost = search_cost(study)
    st.markdown(
        f"**Status:** {literal(tune.status_text(current))} · objective: validation "
        f"{current.settings.objective} ({current.settings.direction}) · "
        f"{cost['trials']}/{current.settings.trials} trials · "
        f"{cost['minutes']:.1f} min"
    )
    a, b, c = st.columns(3)
    if live and a.button("Stop the study", key="tune_stop"):
        tune.studies().request_stop(current.id)
    if (
        not live
        and current.status != "done"
        and a.button("Resume the study", key="tune_resume")
    ):
        launch_driver(tune.studies(), current.id, current.executor, runs.ray_address())
        st.rerun(scope="app")
    table = trials_table(study)
    st.dataframe(table, hide_index=True, key="tune_trials_table")
    best = best_config(study, current.settings) if study is not None else None
    if best is not None:
        best_row = best_trial(study)
        st.success(
            f"Best so far: trial {best_row['trial']}, validation "
            f"{current.settings.objective} {best_row['value']:.4g}"
            + (
                " (the configuration the study started from: no trial beat it)"
                if best_row["is_base"]
                else ""
            )
        )
        if b.button("Use this configuration", key="tune_use"):
            state.put(state.CONFIG, best)
            st.switch_page("pages/configure.py")
    if current.driver_alive != live:
        st.rerun(scope="app")  # the driver stopped or ended: stop polling


study_panel()

study = load_study(record)
if study is not None:
    st.subheader("Figures")
    figures = study_figures(study)
    tabs = st.tabs(list(figures))
    for tab, (title, figure) in zip(tabs, figures.items(), strict=True):
        with tab:
            if isinstance(figure, str):
                st.caption(figure)
            else:
                st.plotly_chart(figure, key=f"tune_figure_{title}")

board = final_board(runs.store(), record)
st.subheader("The best configuration over seeds")
if board is None:
    st.caption(
        "When the search ends, the best configuration trains again over "
        f"{record.settings.final_seeds} seed(s) against its one-hot twin"
        + (", gradient boosting" if record.settings.baseline_arm else "")
        + " and the baselines; the leaderboard appears here."
    )
else:
    beaten = all(row.beats_strongest_baseline is not False for row in board.rows)
    (st.success if beaten else st.warning)(literal(board.verdict))
    st.dataframe(
        shown_table(pd.DataFrame(board.table_rows())),
        hide_index=True,
        key="tune_leaderboard",
    )
