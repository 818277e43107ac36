"""Figures that read right on small and real cases (issue 23, items 8 and 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.plots.figures import metric_comparison, pca_dimensions, pca_scatter
from core.plots.insight import evolution_figure


def _frame(coordinates: np.ndarray, counts: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "label": [f"type {i}" for i in range(len(counts))],
            "count": counts,
            "target_mean": np.linspace(0.1, 0.9, len(counts)),
        }
    )
    for axis in range(coordinates.shape[1]):
        frame[f"pca_{axis + 1}"] = coordinates[:, axis]
    return frame


def test_3d_is_offered_only_with_three_components():
    assert pca_dimensions(categories=10, width=2) == (2,)
    assert pca_dimensions(categories=2, width=8) == (2,)
    assert pca_dimensions(categories=3, width=3) == (2, 3)  # the sample's machine_type


def _inside(values, axis_range, share=0.1):
    low, high = axis_range
    margin = share * (high - low)
    return min(values) >= low + margin and max(values) <= high - margin


def test_two_categories_sit_inside_the_map_not_on_its_edge():
    frame = _frame(np.array([[-0.8, 0.0], [0.8, 0.0]]), [1458, 1461])
    figure = pca_scatter(frame, color_by="count")
    assert figure.layout.xaxis.range is not None
    assert _inside(frame["pca_1"], figure.layout.xaxis.range)
    assert _inside(frame["pca_2"], figure.layout.yaxis.range)


def test_count_colour_bar_has_whole_number_ticks():
    frame = _frame(np.array([[-0.8, 0.0], [0.8, 0.0]]), [1458, 1461])
    colorbar = pca_scatter(frame, color_by="count").data[0].marker.colorbar
    assert colorbar.tickvals is not None
    assert all(float(tick).is_integer() for tick in colorbar.tickvals)
    assert colorbar.tickformat == ",d"


def test_default_3d_view_holds_every_point():
    rng = np.random.default_rng(0)
    coordinates = rng.normal(size=(5, 3)) * [3.0, 1.0, 0.2]
    frame = _frame(coordinates, [10, 20, 30, 40, 50])
    scene = pca_scatter(frame, dimensions=3).layout.scene
    for axis, column in zip(
        (scene.xaxis, scene.yaxis, scene.zaxis),
        ("pca_1", "pca_2", "pca_3"),
        strict=True,
    ):
        assert axis.range is not None
        assert _inside(frame[column], axis.range, share=0.05)
    eye = scene.camera.eye
    assert np.linalg.norm([eye.x, eye.y, eye.z]) >= 2.4  # plotly default: 2.17


def test_regression_chart_gives_r2_its_own_axis():
    rows = pd.DataFrame(
        {
            "model": ["embedding LSTM", "baseline (mean)"],
            "rmse": [310.0, 420.0],
            "mae": [220.0, 300.0],
            "r2": [0.42, 0.0],
        }
    )
    figure = metric_comparison(rows)
    axes_of = {}
    for trace in figure.data:
        for metric in trace.x:
            axes_of.setdefault(metric, set()).add(trace.yaxis or "y")
    assert axes_of["r2"].isdisjoint(axes_of["rmse"] | axes_of["mae"])
    assert axes_of["rmse"] == axes_of["mae"]


def test_evolution_play_button_sits_below_the_axes():
    frame = pd.DataFrame(
        {
            "epoch": [0, 0, 1, 1],
            "label": ["a", "b", "a", "b"],
            "pc_1": [0.0, 1.0, 0.5, 1.5],
            "pc_2": [0.0, 1.0, 0.2, 0.8],
            "distance": [0.3, 0.3, 0.0, 0.0],
            "count": [3, 4, 3, 4],
        }
    )
    menu = evolution_figure(frame).layout.updatemenus[0]
    assert menu.y is not None
    assert menu.y < 0
    assert menu.yanchor == "top"
