"""Train page: start a run, watch it live, cancel it; then its metrics side by side.

Training happens in its own process (core's executor); this page submits the run
and reads its progress from the run store, so a refresh, a page change or a
closed browser never stops it.
"""

import streamlit as st

from core.errors import CoreError
from core.plots.figures import metric_comparison, training_curves
from core.runs.store import RunStatus
from core.runs.views import live_progress, metrics_side_by_side
from ui import runs, state
from ui.data import shown_table
from ui.dataset_folder import folder_caption, folder_of, submit_folder
from ui.forecast_results import show_run_standings
from ui.text import literal

MODEL_TITLES = {"embedding": "embedding model", "onehot": "one-hot twin"}


def duration(seconds: float | None) -> str:
    """Seconds as ``1 min 05 s``."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


st.title("3. Train")
runs.sync_with_url()  # also here: AppTest runs a page without app.py
dataset, config = state.dataset(), state.get(state.CONFIG)
current = runs.record(state.get(state.CURRENT_RUN))
if (dataset is None or config is None) and current is None:
    st.info("Load data and save a configuration first.")
    st.page_link("pages/configure.py", label="Go to the configure page")
    st.stop()

executor = runs.executor()
active = current is not None and not current.status.final
ready = dataset is not None and config is not None
if ready:
    twin = state.get(state.TRAIN_TWIN, True)
    encodings = ("embedding", "onehot") if twin else ("embedding",)
    target = literal(config.data.target_column)
    folder = folder_of(dataset)
    size = folder_caption(dataset) if folder else f"{len(dataset.frame):,} rows"
    st.caption(
        f"{size} · target **{target}** "
        f"({config.data.task}) · models: {', '.join(encodings)} · "
        f"up to {config.train.epochs} epochs"
    )
# A server folder streams from where it lies: Ray's nodes cannot read it.
kind = runs.executor_choice("train_executor") if ready and not folder else "local"
start, stop = st.columns(2)
if ready and start.button("Train", key="train_start", type="primary", disabled=active):
    try:
        if folder_of(dataset):  # every row of the folder, streamed
            submitted = submit_folder(dataset, config, encodings)
        else:
            submitted = runs.submit(
                dataset.frame, config, encodings, dataset.name, kind
            )
    except CoreError as error:  # the per-user limit; a config it cannot stream
        st.error(literal(error))
    else:
        runs.follow(submitted.id)
        st.rerun()  # the buttons change state at once
if not ready:
    start.caption("Load data and save a configuration to start another run.")
if stop.button("Cancel", key="train_cancel", disabled=not active):
    runs.cancel(current.id)
    st.rerun()
st.caption(
    f"Runs are kept in `{literal(executor.store.root)}` "
    "(see the Runs page); training runs in its own process, so you can leave this "
    "page or close the browser."
)


@st.fragment(run_every=1.0 if active else None)
def progress_panel(run_id: str, was_active: bool) -> None:
    """Poll the run store; never blocks the page."""
    record = runs.record(run_id)
    if record is None:
        return
    events = executor.store.progress(run_id)
    view = live_progress(record, events, executor.queue_position(record))
    if not record.status.final:
        st.progress(view.fraction, text=view.text)
        details = [f"elapsed {duration(view.elapsed)}"]
        if view.remaining is not None:
            details.append(f"at most about {duration(view.remaining)} left")
        if view.batch_loss is not None:
            details.append(f"latest batch loss {view.batch_loss:.4f}")
        st.caption(f"Run `{run_id}` · " + " · ".join(details))
    for note in view.notes:
        st.caption(literal(note))
    for name, curves in view.curves.items():
        st.plotly_chart(
            training_curves(curves, f"Training curves: {MODEL_TITLES.get(name, name)}"),
            key=f"train_curves_{name}_{len(curves.get('loss', []))}",
        )
    if was_active and record.status.final:
        st.rerun(scope="app")  # show the results below, adopt the finished run


if current is not None:
    progress_panel(current.id, active)
    if current.status is RunStatus.FAILED:
        st.error(literal(current.error))
        if current.traceback:
            with st.expander("Details for a bug report"):
                st.code(current.traceback)
    elif current.status is RunStatus.INTERRUPTED:
        st.error(literal(current.error))
    elif current.status is RunStatus.CANCELLED:
        st.warning(
            "This run was cancelled. The models you had open before stay open; "
            "a model saved before the cancel can be opened from the Runs page."
        )
    if current.status is RunStatus.DONE:
        table = metrics_side_by_side(executor.store, [current]).drop(columns="run")
        st.subheader("Test metrics, side by side")
        st.dataframe(shown_table(table), hide_index=True, key="train_comparison")
        show_run_standings(executor.store, current)
        if current.config.data.task == "binary":  # no threshold or AUC otherwise
            st.caption(
                "Accuracy, precision, recall and F1 use a 0.5 threshold; when one "
                "class is rare they can equal the baseline's, and ROC AUC / PR AUC "
                "show how well each model ranks the examples."
            )
        st.plotly_chart(metric_comparison(table), key="train_comparison_chart")
        st.info(
            "One run per encoding is not evidence: seeds alone move these numbers. "
            "The Compare page trains several seeds and says whether the difference "
            "is real, with a 95% interval."
        )
        st.page_link("pages/compare.py", label="Compare over seeds")
        st.page_link("pages/predictions.py", label="Next: predictions")
