"""Figures of runs: curves of several runs, comparisons over seeds, size sweeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.analysis.sweep import ONEHOT_ROW
from core.plots.figures import escape_label


def curves_overlay(
    curves: Mapping[str, Sequence[float]], title: str = "Validation loss per epoch"
) -> go.Figure:
    """One line per ``"<run> <encoding>"``: its validation loss by epoch.

    Parameters
    ----------
    curves : dict of str to list of float
        From :func:`core.runs.views.validation_curves`.
    title : str
        Figure title (shown literally).
    """
    figure = go.Figure()
    for name, values in curves.items():
        figure.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=[float(value) for value in values],
                mode="lines+markers",
                name=escape_label(name),
            )
        )
    figure.update_layout(
        title=escape_label(title),
        xaxis_title="epoch",
        yaxis_title="validation loss",
        legend_title_text="run · model",
    )
    figure.update_xaxes(tickformat="d", dtick=1 if len(figure.data) else None)
    return figure


def seed_dot_plot(per_seed: pd.DataFrame, metric: str) -> go.Figure:
    """Every seed's test metric per arm (dots), with each arm's mean (a bar line).

    Parameters
    ----------
    per_seed : pandas.DataFrame
        Columns ``arm``, ``seed`` and ``metric`` (from
        :func:`core.analysis.comparison.per_seed_table`).
    metric : str
        The metric column.
    """
    figure = go.Figure()
    palette = qualitative.Safe
    for number, (arm, rows) in enumerate(per_seed.groupby("arm", sort=False)):
        colour = palette[number % len(palette)]
        figure.add_trace(
            go.Scatter(
                x=[escape_label(arm)] * len(rows),
                y=rows[metric].astype(float).tolist(),
                mode="markers",
                marker={"size": 11, "opacity": 0.75, "color": colour},
                name=escape_label(arm),
                text=[f"seed {seed}" for seed in rows["seed"]],
                hovertemplate="%{text}: %{y:.4f}<extra></extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[escape_label(arm)],
                y=[float(rows[metric].mean())],
                mode="markers",
                marker={
                    "symbol": "line-ew-open",
                    "size": 40,
                    "color": colour,
                    "line": {"width": 3, "color": colour},
                },
                name=f"{escape_label(arm)} mean",
                showlegend=False,
                hovertemplate="mean %{y:.4f}<extra></extra>",
            )
        )
    figure.update_layout(
        title="Test metric of every seed, per arm",
        yaxis_title=escape_label(metric),
        showlegend=False,
    )
    return figure


def difference_figure(
    mean: float, low: float | None, high: float | None, metric: str
) -> go.Figure:
    """The paired difference embedding − one-hot with its 95% interval and zero."""
    error = None
    if low is not None and high is not None:
        error = {
            "type": "data",
            "symmetric": False,
            "array": [high - mean],
            "arrayminus": [mean - low],
        }
    figure = go.Figure(
        go.Scatter(
            x=[mean],
            y=["embedding − one-hot"],
            mode="markers",
            marker={"size": 14},
            error_x=error,
            hovertemplate="%{x:.4f}<extra></extra>",
        )
    )
    figure.add_vline(x=0, line_dash="dash", line_color="grey")
    figure.update_layout(
        title="Paired difference with its 95% interval",
        xaxis_title=f"difference in {escape_label(metric)}",
        height=260,
    )
    return figure


def sweep_figure(table: pd.DataFrame, metric: str) -> go.Figure:
    """Metric against embedding size with 95% intervals; parameters on a second axis."""
    sized = table[table["size"] != ONEHOT_ROW]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    low = sized["low"].astype(float)
    high = sized["high"].astype(float)
    figure.add_trace(
        go.Scatter(
            x=sized["size"].astype(int),
            y=sized["mean"],
            mode="lines+markers",
            name=f"mean {escape_label(metric)}",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (high - sized["mean"]).fillna(0).tolist(),
                "arrayminus": (sized["mean"] - low).fillna(0).tolist(),
            },
        ),
        secondary_y=False,
    )
    figure.add_trace(
        go.Bar(
            x=sized["size"].astype(int),
            y=sized["total parameters"],
            name="parameters",
            opacity=0.3,
        ),
        secondary_y=True,
    )
    onehot = table[table["size"] == ONEHOT_ROW]
    if len(onehot):
        figure.add_hline(
            y=float(onehot["mean"].iloc[0]),
            line_dash="dot",
            annotation_text="one-hot twin",
        )
    figure.update_layout(title="Metric against embedding size (95% intervals)")
    figure.update_xaxes(title="embedding size", type="log")
    figure.update_yaxes(title_text=escape_label(metric), secondary_y=False)
    figure.update_yaxes(title_text="parameters", secondary_y=True)
    return figure
