"""Train page: start, watch, cancel; then compare model, twin and baseline."""

import streamlit as st

from core.plots import metric_comparison, training_curves
from ui import state
from ui.jobs import TrainingJob
from ui.results import comparison_table
from ui.text import literal

MODEL_TITLES = {"embedding": "embedding model", "onehot": "one-hot twin"}

st.title("3. Train")
dataset, config = state.dataset(), state.get(state.CONFIG)
if dataset is None or config is None:
    st.info("Load data and save a configuration first.")
    st.page_link("pages/configure.py", label="Go to the configure page")
    st.stop()

job: TrainingJob | None = state.get(state.JOB)
encodings = (
    ("embedding", "onehot") if state.get(state.TRAIN_TWIN, True) else ("embedding",)
)
st.caption(
    f"{len(dataset.frame):,} rows · target **{literal(config.data.target_column)}** "
    f"({config.data.task}) · models: {', '.join(encodings)} · "
    f"up to {config.train.epochs} epochs"
)
running = job is not None and job.running
start, stop = st.columns(2)
if start.button("Train", key="train_start", type="primary", disabled=running):
    job = TrainingJob(config, encodings)
    state.put(state.JOB, job)
    job.start(dataset.frame)
if stop.button("Cancel", key="train_cancel", disabled=not running):
    job.cancel()


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    """Poll the background job; never blocks the page."""
    current: TrainingJob | None = state.get(state.JOB)
    if current is None:
        return
    snapshot = current.snapshot()
    if current.running:
        batches = max(snapshot.batches, 1)
        done = (snapshot.epoch + (snapshot.batch + 1) / batches) / snapshot.epochs
        st.progress(
            min(done, 1.0),
            text=f"{snapshot.model or 'preparing'} · epoch {snapshot.epoch + 1}/"
            f"{snapshot.epochs} · batch {snapshot.batch + 1}/{batches}",
        )
    for name, curves in snapshot.curves.items():
        st.plotly_chart(
            training_curves(curves, f"Training curves: {MODEL_TITLES.get(name, name)}"),
            key=f"train_curves_{name}_{len(curves.get('loss', []))}",
        )
    # Only a finished run replaces the previous models: a cancelled or failed
    # run leaves the user's earlier results in place.
    finished = snapshot.status == "done" and current.results
    if finished and state.get(state.RESULTS) is not current.results:
        state.put(state.RESULTS, current.results)
        st.rerun(scope="app")
    if snapshot.status == "failed":
        st.error(literal(snapshot.error))
    elif snapshot.status == "crashed":
        # A bug, not a data problem: surface it with its trace.
        raise RuntimeError(f"training crashed:\n{snapshot.error}")


progress_panel()
results = state.get(state.RESULTS)
if results:
    status = {name: r.training.status for name, r in results.items()}
    if "cancelled" in status.values():
        st.warning("Training was cancelled; the models keep the best weights reached.")
    table = comparison_table(results)
    st.subheader("Test metrics, side by side")
    st.dataframe(table, hide_index=True, key="train_comparison")
    if config.data.task != "regression":
        st.caption(
            "Accuracy, precision, recall and F1 use a 0.5 threshold; when one class "
            "is rare they can equal the baseline's, and ROC AUC / PR AUC show how "
            "well each model ranks the examples. 'Balance classes' on the "
            "configure page moves the threshold's trade-off."
        )
    st.plotly_chart(metric_comparison(table), key="train_comparison_chart")
    st.page_link("pages/predictions.py", label="Next: predictions")
