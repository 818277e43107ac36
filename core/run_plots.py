"""Figures of runs: validation curves of several runs overlaid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from core.plots import escape_label


def curves_overlay(
    curves: Mapping[str, Sequence[float]], title: str = "Validation loss per epoch"
) -> go.Figure:
    """One line per ``"<run> <encoding>"``: its validation loss by epoch.

    Parameters
    ----------
    curves : dict of str to list of float
        From :func:`core.run_views.validation_curves`.
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
