"""Predictions page: metrics and curves, predictions table, new files, bundles."""

import streamlit as st

from core.data.io import load_table, write_csv_safely
from core.errors import CoreError
from core.model.metrics import curve_points, metrics_at_threshold, ordered_metrics
from core.plots.figures import (
    confusion_matrix_figure,
    precision_recall_figure,
    predicted_vs_actual,
    residuals_figure,
    roc_figure,
)
from ui import new_predictions, runs, state
from ui.forecast_results import show_forecast_views, show_report_baselines
from ui.results import (
    bundle_file_name,
    bundle_zip,
    choose_source,
    load_bundle_upload,
    part_predictions,
    predict_new_file,
    suggested_threshold,
    with_decisions,
)
from ui.text import literal
from ui.warmup import warm_model_worker, warm_tensorflow


def threshold_control(source) -> float:
    """Decision-threshold slider; starts at the validation part's best-F1 point."""
    suggested = suggested_threshold(source)
    start = 0.5 if suggested is None else min(max(round(suggested, 2), 0.01), 0.99)
    threshold = st.slider(
        "Decision threshold: predict the positive class when P ≥ threshold",
        0.01,
        0.99,
        start,
        0.01,
        key="pred_threshold",
    )
    note = (
        f"Starts at {start:.2f}, where F1 is best on the validation part (chosen "
        "without looking at the test part). "
        if suggested is not None
        else ""
    )
    st.caption(
        note + "The threshold moves the confusion matrix, the table's 'predicted' "
        "column and the metrics right below; ROC and PR curves cover every threshold."
    )
    return threshold


st.title("4. Predictions")
runs.sync_with_url()  # also here: AppTest runs a page without app.py
# Runs only while open: an uploaded bundle is loaded here, with Keras, and
# TensorFlow must not enter the server for someone who never opens this.
uploader = st.expander(
    "Load a saved model bundle (.zip)", key="pred_bundle_box", on_change="rerun"
)
with uploader:
    if uploader.open:
        warm_tensorflow()  # overlaps TensorFlow's import with choosing the file
        archive = st.file_uploader("Bundle zip", type=["zip"], key="pred_bundle_upload")
        if archive is not None and st.button("Load bundle", key="pred_bundle_load"):
            try:
                state.put(state.LOADED_BUNDLE, load_bundle_upload(archive.getvalue()))
            except CoreError as error:
                st.error(literal(error))

source = choose_source("pred_model")
task = source.metrics["task"]
if source.path is not None:
    warm_model_worker()  # TensorFlow loads there while the user picks a file

st.subheader("Test metrics")
if task == "binary":
    st.caption("Hard decisions (accuracy, F1, precision, recall) at threshold 0.5.")
test_metrics = ordered_metrics(source.metrics.get("test", {}), task)
st.dataframe([test_metrics], key="pred_metrics")
show_report_baselines(source.metrics, "pred_baselines")
held_out = part_predictions(source, "test")
threshold = None  # new-file decisions follow the slider when there is one
show_forecast_views(
    source.metrics, held_out and held_out[0], source.preprocessor.config
)
if held_out is not None:
    table, labels_encoded, scores = held_out
    if task == "regression":
        left, right = st.columns(2)
        left.plotly_chart(
            predicted_vs_actual(table["actual"], table["predicted"]), key="pred_scatter"
        )
        right.plotly_chart(
            residuals_figure(table["actual"], table["predicted"]), key="pred_residuals"
        )
    else:
        classes = source.preprocessor.target_encoder_.classes_
        matrix = source.metrics["test"].get("confusion_matrix") or []
        if task == "binary":
            threshold = threshold_control(source)
            decided = metrics_at_threshold(labels_encoded, scores, threshold)
            matrix = decided.pop("confusion_matrix")
            st.dataframe([decided], key="pred_threshold_metrics")
            table = with_decisions(table, classes, threshold)
        st.plotly_chart(confusion_matrix_figure(matrix, classes), key="pred_confusion")
        if task == "binary":
            points = curve_points(labels_encoded, scores)
            left, right = st.columns(2)
            left.plotly_chart(roc_figure(points), key="pred_roc")
            right.plotly_chart(precision_recall_figure(points), key="pred_pr")
    st.subheader("Test predictions")
    st.dataframe(table, key="pred_table", hide_index=True)
    st.download_button(
        "Download predictions (CSV)",
        write_csv_safely(table),
        "predictions.csv",
        key="pred_download",
    )

st.subheader("Predict on a new file")
new_file = st.file_uploader(
    "CSV or Parquet with the same columns",
    type=["csv", "parquet", "txt"],
    key="pred_new_file",
)
last_only = st.checkbox("Only each entity's latest example", key="pred_last_only")
if new_file is not None and st.button("Predict", key="pred_run"):
    try:
        with st.spinner("Predicting..."):
            result = predict_new_file(
                source,
                load_table(new_file.getvalue(), name=new_file.name).frame,
                last_only=last_only,
            )
    except CoreError as error:
        st.error(literal(error))
    else:
        new_predictions.remember(source, new_file.name, result)
shown = new_predictions.for_model(source)
if shown is not None:
    report = new_predictions.report(shown, source, threshold)
    new_predictions.show(shown, report, task)
    st.download_button(
        "Download these predictions (CSV)",
        write_csv_safely(report.table),
        "new_predictions.csv",
        key="pred_new_download",
    )

st.subheader("Save this model")
if st.button("Prepare bundle download", key="pred_bundle_prepare"):
    st.download_button(
        "Download bundle (.zip)",
        bundle_zip(source),
        bundle_file_name(source),
        key="pred_bundle_download",
    )
