"""Plotly figures: types, trace counts, escaped labels and empty inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.errors import DataValidationError
from core.model.metrics import curve_points
from core.plots.figures import (
    confusion_matrix_figure,
    escape_label,
    frequency_histogram,
    metric_comparison,
    pca_scatter,
    precision_recall_figure,
    predicted_vs_actual,
    residuals_figure,
    roc_figure,
    similarity_heatmap,
    training_curves,
)

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _annotation_text(figure: go.Figure) -> str:
    return " ".join(annotation.text for annotation in figure.layout.annotations)


def _embedding_frame(rows: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "label": [HOSTILE, "a & b", "10", "1"][:rows],
            "count": [9, 5, 2, 1][:rows],
            "target_mean": [0.5, None, 0.25, 1.0][:rows],
            "pca_1": rng.normal(size=rows),
            "pca_2": rng.normal(size=rows),
            "pca_3": rng.normal(size=rows),
        }
    )


def test_escape_label_keeps_text_literal():
    assert escape_label(HOSTILE) == ESCAPED
    assert escape_label("a & b") == "a &amp; b"
    assert escape_label(3) == "3"


def test_training_curves_one_subplot_per_metric():
    history = {
        "loss": [0.9, 0.7, 0.6],
        "val_loss": [1.0, 0.8, 0.75],
        "accuracy": [0.5, 0.6, 0.7],
        "val_accuracy": [0.4, 0.5, 0.6],
    }
    figure = training_curves(history)
    assert isinstance(figure, go.Figure)
    assert len(figure.data) == 4
    assert {trace.name for trace in figure.data} == set(history)
    assert list(figure.data[0].x) == [1, 2, 3]
    titles = {annotation.text for annotation in figure.layout.annotations}
    assert titles == {"loss", "accuracy"}
    assert figure.data[1].line.dash == "dash"


def test_training_curves_are_titled_and_ticked_by_whole_epochs():
    short = training_curves({"loss": [0.9, 0.7, 0.6]}, "Training curves: <b>x</b>")
    assert short.layout.title.text == "Training curves: &lt;b&gt;x&lt;/b&gt;"
    assert short.layout.xaxis.dtick == 1
    long = training_curves({"loss": list(np.linspace(1, 0, 40))})
    assert long.layout.xaxis.dtick is None
    assert long.layout.xaxis.tickformat == "d"


@pytest.mark.parametrize(
    "history", [{}, {"loss": [], "val_loss": []}], ids=["no-keys", "no-epochs"]
)
def test_training_curves_empty(history):
    figure = training_curves(history)
    assert len(figure.data) == 0
    assert "No epochs" in _annotation_text(figure)


def test_confusion_matrix_figure_escapes_class_names():
    figure = confusion_matrix_figure([[3, 1], [0, 4]], [HOSTILE, "ok"])
    (heatmap,) = figure.data
    assert isinstance(heatmap, go.Heatmap)
    assert list(heatmap.x) == [ESCAPED, "ok"]
    assert figure.layout.xaxis.type == "category"


def test_confusion_matrix_figure_falls_back_to_indices_and_handles_empty():
    figure = confusion_matrix_figure([[1, 0], [0, 1]], None)
    assert list(figure.data[0].y) == ["0", "1"]
    empty = confusion_matrix_figure([], ["a"])
    assert len(empty.data) == 0
    assert "No labelled predictions" in _annotation_text(empty)


def test_roc_and_precision_recall_figures():
    rng = np.random.default_rng(0)
    points = curve_points(rng.integers(0, 2, 50), rng.random(50))
    roc = roc_figure(points)
    pr = precision_recall_figure(points)
    assert len(roc.data) == 2
    assert len(pr.data) == 2
    assert list(roc.data[0].x) == points["fpr"]
    assert list(pr.data[0].y) == points["precision"]
    assert "AUC" in roc.layout.title.text


def test_curve_figures_with_one_class_explain_why():
    points = curve_points([1, 1, 1], [0.2, 0.5, 0.9])
    for figure in (roc_figure(points), precision_recall_figure(points)):
        assert len(figure.data) == 0
        assert "both classes" in _annotation_text(figure)


def test_regression_figures_drop_missing_pairs():
    y_true = pd.Series([1.0, 2.0, None, 4.0])
    y_pred = pd.Series([1.5, 2.5, 3.0, 3.0])
    scatter = predicted_vs_actual(y_true, y_pred)
    residuals = residuals_figure(y_true, y_pred)
    assert len(scatter.data) == 2
    assert len(residuals.data) == 2
    assert len(scatter.data[0].x) == 3
    np.testing.assert_allclose(residuals.data[0].y, [0.5, 0.5, -1.0])


@pytest.mark.parametrize(
    "figure_function",
    [predicted_vs_actual, residuals_figure],
    ids=["scatter", "residuals"],
)
def test_regression_figures_empty(figure_function):
    figure = figure_function([], [])
    assert len(figure.data) == 0
    assert "No labelled predictions" in _annotation_text(figure)


def test_pca_scatter_2d_escapes_labels_and_hover():
    figure = pca_scatter(_embedding_frame(), color_by="count", dimensions=2)
    (trace,) = figure.data
    assert isinstance(trace, go.Scatter)
    assert list(trace.text) == [ESCAPED, "a &amp; b", "10", "1"]
    assert trace.customdata[0][0] == ESCAPED
    assert trace.customdata[1][2] == "n/a"
    assert "count" in trace.hovertemplate
    assert "target mean" in trace.hovertemplate
    assert list(trace.marker.color) == [9, 5, 2, 1]
    assert HOSTILE not in json.dumps(json.loads(figure.to_json()), ensure_ascii=False)


def test_pca_scatter_3d_gives_scatter3d():
    figure = pca_scatter(_embedding_frame(), color_by="target_mean", dimensions=3)
    (trace,) = figure.data
    assert isinstance(trace, go.Scatter3d)
    assert len(trace.z) == 4
    assert trace.text[0] == ESCAPED


def test_pca_scatter_without_colour_column():
    figure = pca_scatter(_embedding_frame().drop(columns="count"), color_by="count")
    assert figure.data[0].marker.color is None


def test_pca_scatter_by_group_gives_one_legend_entry_per_group():
    frame = _embedding_frame()
    groups = [index % 2 for index in range(len(frame))]
    figure = pca_scatter(frame, dimensions=2, groups=groups)
    assert [trace.name for trace in figure.data] == ["cluster 1", "cluster 2"]
    assert sum(len(trace.x) for trace in figure.data) == len(frame)
    with pytest.raises(DataValidationError, match="one group per category"):
        pca_scatter(frame, groups=groups[:-1])


def test_pca_scatter_empty_and_invalid():
    empty = pca_scatter(_embedding_frame(0))
    assert len(empty.data) == 0
    assert "No learned categories" in _annotation_text(empty)
    with pytest.raises(DataValidationError, match="expected 2 or 3 dimensions"):
        pca_scatter(_embedding_frame(), dimensions=4)
    with pytest.raises(DataValidationError, match="pca_3"):
        pca_scatter(_embedding_frame().drop(columns="pca_3"), dimensions=3)


def test_similarity_heatmap_escapes_both_axes():
    labels = [HOSTILE, "1", "10"]
    similarity = pd.DataFrame(np.eye(3), index=labels, columns=labels)
    figure = similarity_heatmap(similarity)
    (heatmap,) = figure.data
    assert isinstance(heatmap, go.Heatmap)
    assert list(heatmap.x) == [ESCAPED, "1", "10"]
    assert list(heatmap.y) == [ESCAPED, "1", "10"]
    assert figure.layout.xaxis.type == "category"
    assert (heatmap.zmin, heatmap.zmax) == (-1.0, 1.0)


def test_similarity_heatmap_empty():
    figure = similarity_heatmap(pd.DataFrame())
    assert len(figure.data) == 0
    assert "No learned categories" in _annotation_text(figure)


def test_frequency_histogram_power_of_two_bins():
    figure = frequency_histogram([1, 1, 2, 3, 5, 100])
    (bars,) = figure.data
    assert isinstance(bars, go.Bar)
    assert bars.x[:3] == ("1", "2–3", "4–7")
    assert sum(bars.y) == 6
    assert bars.y[0] == 2
    assert "6 categories" in figure.layout.title.text


def test_frequency_histogram_empty():
    figure = frequency_histogram([])
    assert len(figure.data) == 0
    assert "No categories" in _annotation_text(figure)


def test_metric_comparison_one_trace_per_model():
    rows = pd.DataFrame(
        {
            "model": ["embedding LSTM", "onehot LSTM", f"baseline {HOSTILE}"],
            "accuracy": [0.8, 0.75, 0.5],
            "roc_auc": [0.9, 0.85, None],
            "parameters": [1000, 1200, 0],
            "seconds": [3.0, 3.5, 0.0],
        }
    )
    figure = metric_comparison(rows)
    assert len(figure.data) == 3
    assert all(isinstance(trace, go.Bar) for trace in figure.data)
    assert list(figure.data[0].x) == ["accuracy", "roc_auc"]
    assert figure.data[2].name == f"baseline {ESCAPED}"
    assert figure.data[2].y[1] is None


def test_metric_comparison_empty():
    figure = metric_comparison(pd.DataFrame({"model": [], "accuracy": []}))
    assert len(figure.data) == 0
    assert "No metrics" in _annotation_text(figure)


def test_pca_map_axes_share_one_scale():
    flat = pd.DataFrame(
        {
            "label": list("abcd"),
            "count": [4, 3, 2, 1],
            "target_mean": [None] * 4,
            "pca_1": [-10.0, -3.0, 3.0, 10.0],
            "pca_2": [0.1, -0.1, 0.2, -0.2],
            "pca_3": [0.0, 0.01, 0.0, -0.01],
        }
    )
    two = pca_scatter(flat, dimensions=2)
    assert two.layout.yaxis.scaleanchor == "x"
    assert two.layout.yaxis.scaleratio == 1
    three = pca_scatter(flat, dimensions=3)
    assert three.layout.scene.aspectmode == "data"
    assert three.layout.height >= 700


def test_many_points_are_labelled_on_hover_only():
    rows = 40
    frame = pd.DataFrame(
        {
            "label": [str(i) for i in range(rows)],
            "count": np.arange(rows),
            "target_mean": np.zeros(rows),
            "pca_1": np.arange(rows, dtype=float),
            "pca_2": np.zeros(rows),
        }
    )
    assert pca_scatter(frame).data[0].mode == "markers"
    assert pca_scatter(frame.head(10)).data[0].mode == "markers+text"
