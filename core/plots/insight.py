"""Figures of the insight analyses: pure functions from results to plotly figures.

Every user-provided label goes through :func:`core.plots.figures.escape_label`, and an
empty input gives a figure that says so (see :mod:`core.plots.figures`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.analysis.embeddings import Projection
from core.plots.figures import MAX_TEXT_LABELS, empty_figure, escape_label, pca_scatter

CONSENSUS_SEED = -1


def stability_map(points: pd.DataFrame, categories: pd.DataFrame) -> go.Figure:
    """Every seed's aligned point per category, joined to the category's mean.

    Parameters
    ----------
    points : pandas.DataFrame
        ``ColumnStability.points``: ``seed`` (-1 for the consensus), ``label``,
        ``pc_1``, ``pc_2``.
    categories : pandas.DataFrame
        ``ColumnStability.categories`` (``label``, ``neighbour_agreement``,
        ``spread``, ``unstable``).
    """
    if points.empty:
        return empty_figure("Aligned map over seeds", "No shared categories to show.")
    consensus = points[points["seed"] == CONSENSUS_SEED].set_index("label")
    seeds = points[points["seed"] != CONSENSUS_SEED]
    figure = go.Figure()
    x, y = [], []
    for row in seeds.itertuples(index=False):
        centre = consensus.loc[row.label]
        x += [centre["pc_1"], row.pc_1, None]
        y += [centre["pc_2"], row.pc_2, None]
    figure.add_trace(
        go.Scatter(
            x=x, y=y, mode="lines", line={"width": 1, "color": "lightgray"},
            hoverinfo="skip", showlegend=False,
        )
    )  # fmt: skip
    palette = qualitative.D3
    for position, (seed, rows) in enumerate(seeds.groupby("seed", sort=True)):
        figure.add_trace(
            go.Scatter(
                x=rows["pc_1"], y=rows["pc_2"], mode="markers",
                marker={"size": 6, "color": palette[position % len(palette)]},
                name=f"seed {int(seed)}",
                text=[escape_label(label) for label in rows["label"]],
                hovertemplate="%{text}<extra>seed " + str(int(seed)) + "</extra>",
            )
        )  # fmt: skip
    figure.add_trace(_consensus_trace(consensus, categories))
    figure.update_layout(
        title="Aligned map over seeds (orthogonal Procrustes, PCA of the mean)",
        xaxis_title="PC1",
        yaxis_title="PC2",
        legend_title_text="points",
    )
    return figure


def _consensus_trace(consensus: pd.DataFrame, categories: pd.DataFrame) -> go.Scatter:
    """The mean point per category; unstable ones drawn as red crosses."""
    scores = categories.set_index("label").loc[consensus.index]
    unstable = scores["unstable"].to_numpy(dtype=bool)
    labels = [escape_label(label) for label in consensus.index]
    return go.Scatter(
        x=consensus["pc_1"],
        y=consensus["pc_2"],
        mode="markers+text" if len(consensus) <= MAX_TEXT_LABELS else "markers",
        text=labels,
        textposition="top center",
        marker={
            "size": 11,
            "color": np.where(unstable, "crimson", "black").tolist(),
            "symbol": np.where(unstable, "x", "circle-open").tolist(),
        },
        customdata=np.column_stack([scores["neighbour_agreement"], scores["spread"]]),
        hovertemplate="<b>%{text}</b><br>neighbour agreement %{customdata[0]:.2f}"
        "<br>spread %{customdata[1]:.2f}<extra>mean</extra>",
        name="mean (× unstable)",
    )


def importance_figure(table: pd.DataFrame, metric: str) -> go.Figure:
    """Horizontal bars of the mean drop per column, ± one standard deviation.

    Parameters
    ----------
    table : pandas.DataFrame
        :meth:`core.analysis.importance.ImportanceResult.table` (most important first).
    metric : str
        The metric the drops are in.
    """
    if table.empty:
        return empty_figure("Permutation importance", "No feature columns.")
    ordered = table.iloc[::-1]
    colours = {"categorical": qualitative.D3[0], "numeric": qualitative.D3[1]}
    figure = go.Figure()
    for kind, rows in ordered.groupby("kind", sort=False):
        figure.add_trace(
            go.Bar(
                x=rows["drop_mean"],
                y=[escape_label(c) for c in rows["column"]],
                error_x={"type": "data", "array": rows["drop_std"].fillna(0)},
                orientation="h",
                marker_color=colours.get(kind),
                name=escape_label(kind),
            )
        )
    if "ablation_drop" in ordered and ordered["ablation_drop"].notna().any():
        rows = ordered[ordered["ablation_drop"].notna()]
        figure.add_trace(
            go.Scatter(
                x=rows["ablation_drop"], y=[escape_label(c) for c in rows["column"]],
                mode="markers", marker={"symbol": "diamond", "size": 10,
                                        "color": "black"},
                name="embedding → mean vector",
            )
        )  # fmt: skip
    figure.update_layout(
        title=f"Drop in {escape_label(metric)} when a column is shuffled",
        xaxis_title=f"{escape_label(metric)} drop (larger = more important)",
        yaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [escape_label(c) for c in ordered["column"]]},
        barmode="overlay",
    )  # fmt: skip
    return figure


def _padded_range(values: pd.Series) -> list[float]:
    """Axis limits with a 5 % margin, fixed over all frames of an animation."""
    low, high = float(values.min()), float(values.max())
    margin = 0.05 * (high - low) or 1.0
    return [low - margin, high + margin]


def _epoch_trace(rows: pd.DataFrame) -> go.Scatter:
    """One epoch's points, coloured by training frequency."""
    return go.Scatter(
        x=rows["pc_1"],
        y=rows["pc_2"],
        mode="markers+text" if len(rows) <= MAX_TEXT_LABELS else "markers",
        text=[escape_label(label) for label in rows["label"]],
        textposition="top center",
        marker={"size": 8, "color": rows["count"], "colorscale": "Viridis"},
        hovertemplate="<b>%{text}</b><extra></extra>",
    )


def evolution_figure(frame: pd.DataFrame) -> go.Figure:
    """An animated PCA map, one frame per epoch, with a slider and a play button.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`core.analysis.evolution.evolution_frame`.
    """
    if frame.empty:
        return empty_figure("Embedding map per epoch", "No snapshots to show.")
    epochs = sorted(frame["epoch"].unique())
    by_epoch = {epoch: frame[frame["epoch"] == epoch] for epoch in epochs}
    frames = [
        go.Frame(data=[_epoch_trace(by_epoch[e])], name=str(int(e))) for e in epochs
    ]
    step = {"frame": {"duration": 400, "redraw": True}, "mode": "immediate"}
    # Below the plot, the button left of the slider: at plotly's default place
    # (top left) the Play button covered the y axis and its ticks.
    slider = {
        "x": 0.1,
        "len": 0.9,
        "y": -0.08,
        "yanchor": "top",
        "currentvalue": {"prefix": "epoch "},
        "steps": [
            {"label": str(int(e)), "method": "animate", "args": [[str(int(e))], step]}
            for e in epochs
        ],
        "active": len(epochs) - 1,
    }
    play = {
        "type": "buttons",
        "showactive": False,
        "x": 0.0,
        "xanchor": "left",
        "y": -0.08,
        "yanchor": "top",
        "pad": {"t": 50},
        "buttons": [
            {"label": "Play", "method": "animate", "args": [None, step]},
        ],
    }
    figure = go.Figure(data=[_epoch_trace(by_epoch[epochs[-1]])], frames=frames)
    figure.update_layout(
        title="Embedding map per epoch (aligned to the last; epoch 0 = initial)",
        xaxis={"title": "PC1", "range": _padded_range(frame["pc_1"])},
        yaxis={"title": "PC2", "range": _padded_range(frame["pc_2"])},
        sliders=[slider],
        updatemenus=[play],
        showlegend=False,
    )
    return figure


def timeline_figure(table: pd.DataFrame, columns: list[str], x: str) -> go.Figure:
    """Lines of one or more prediction columns over an entity's steps.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`core.analysis.whatif.timeline` or
        :func:`core.analysis.whatif.what_if`.
    columns : list of str
        The columns to draw (e.g. ``["probability"]`` or
        ``["original", "changed"]``).
    x : str
        The column on the horizontal axis (time or ``step``).
    """
    if table.empty:
        return empty_figure("Prediction over the history", "No steps to show.")
    figure = go.Figure()
    for column in columns:
        figure.add_trace(
            go.Scatter(
                x=table[x], y=table[column], mode="lines", name=escape_label(column)
            )
        )
    figure.update_layout(
        title="Prediction at every step of the history",
        xaxis_title=escape_label(x),
        yaxis_title="prediction",
    )
    return figure


def tsne_scatter(projection: Projection, counts: list[int]) -> go.Figure:
    """The t-SNE map, drawn like the PCA map (coloured by training frequency)."""
    frame = pd.DataFrame(
        {
            "label": list(projection.labels),
            "count": list(counts),
            "pca_1": projection.coordinates[:, 0],
            "pca_2": projection.coordinates[:, 1],
        }
    )
    figure = pca_scatter(frame, color_by="count")
    figure.update_layout(title="Embedding map (t-SNE)")
    figure.update_xaxes(title_text="t-SNE 1")
    figure.update_yaxes(title_text="t-SNE 2")
    return figure
