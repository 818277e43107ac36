"""Figures of runs: overlays, per-seed dots, the difference interval, sweeps."""

from __future__ import annotations

import pandas as pd
import pytest

from core.plots.runs import (
    curves_overlay,
    difference_figure,
    seed_dot_plot,
    sweep_figure,
)


def test_curves_overlay_draws_one_line_per_run_and_model():
    figure = curves_overlay({"r1 embedding": [0.7, 0.6], "r2 <b>onehot</b>": [0.8]})
    assert len(figure.data) == 2
    assert figure.data[1].name == "r2 &lt;b&gt;onehot&lt;/b&gt;"
    assert list(figure.data[0].x) == [1, 2]


def test_seed_dots_give_every_seed_a_point_and_each_arm_its_mean():
    table = pd.DataFrame(
        {"arm": ["embedding"] * 3 + ["onehot"] * 3, "seed": [0, 1, 2] * 2,
         "roc_auc": [0.8, 0.82, 0.81, 0.78, 0.79, 0.8]}
    )  # fmt: skip
    figure = seed_dot_plot(table, "roc_auc")
    points, mean = figure.data[0], figure.data[1]
    assert list(points.y) == [0.8, 0.82, 0.81]
    assert mean.y[0] == pytest.approx(0.81)
    assert points.marker.color == mean.marker.color


def test_difference_figure_shows_the_interval_around_the_mean_and_zero():
    figure = difference_figure(0.02, -0.01, 0.05, "roc_auc")
    bar = figure.data[0].error_x
    assert bar.array[0] == pytest.approx(0.03)
    assert bar.arrayminus[0] == pytest.approx(0.03)
    assert figure.layout.shapes[0].x0 == 0
    assert difference_figure(0.02, None, None, "rmse").data[0].error_x.array is None


def test_sweep_figure_plots_sizes_with_intervals_and_parameters():
    table = pd.DataFrame(
        {"size": ["2", "8", "one-hot"], "mean": [0.7, 0.8, 0.75],
         "low": [0.65, 0.78, 0.7], "high": [0.75, 0.82, 0.8],
         "total parameters": [100, 400, 900]}
    )  # fmt: skip
    figure = sweep_figure(table, "roc_auc")
    line, bars = figure.data
    assert list(line.x) == [2, 8]
    assert list(bars.y) == [100, 400]
    assert figure.layout.shapes, "the one-hot twin's mean as a reference line"
