"""Plotly figures of training, evaluation and embeddings: pure functions, no I/O.

Plotly renders text, hover text, tick labels and legend names as a small subset
of HTML, so every user-provided label (categories, class names, column and
model names) goes through :func:`escape_label` and is shown literally. Empty
input gives a figure with an explanatory annotation rather than an exception.
Category-like axes are forced to ``type="category"``, so labels such as
``"1"`` and ``"10"`` are never placed on a numeric axis.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.errors import DataValidationError

#: Points labelled on the map; beyond this the labels overlap (hover shows them).
MAX_TEXT_LABELS = 30
PCA_2D_HEIGHT = 600
PCA_3D_HEIGHT = 750
#: The 3D map's starting camera: further out than plotly's (1.25, 1.25, 1.25),
#: whose view cut off the outermost point and its label on the sample data.
PCA_3D_EYE = {"x": 1.7, "y": 1.7, "z": 0.9}
#: Room around the points on each map axis, as a share of the widest axis's
#: span: labels above the outermost points must not be clipped.
PCA_MARGIN = 0.25
#: Columns of a comparison table that are not metrics.
NON_METRIC_COLUMNS = ("model", "parameters", "epochs", "seconds")
#: Metrics on their own scale, drawn in a panel beside the others.
OWN_AXIS_METRICS = ("r2",)


def escape_label(value: Any) -> str:
    """``value`` as text that plotly shows literally (``<``, ``>``, ``&`` escaped).

    Examples
    --------
    >>> escape_label("<b>x</b> & y")
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    """
    return html.escape(str(value), quote=False)


def empty_figure(title: str, message: str) -> go.Figure:
    """A blank figure that says why it is blank."""
    figure = go.Figure()
    figure.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
    )
    figure.update_layout(title=title, xaxis_visible=False, yaxis_visible=False)
    return figure


def _finite_pairs(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of the pairs where both values are finite."""
    truth = pd.to_numeric(pd.Series(np.asarray(y_true).reshape(-1)), errors="coerce")
    predicted = pd.to_numeric(
        pd.Series(np.asarray(y_pred).reshape(-1)), errors="coerce"
    )
    truth = truth.to_numpy(dtype=np.float64, na_value=np.nan)
    predicted = predicted.to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(truth) & np.isfinite(predicted)
    return truth[keep], predicted[keep]


def _metric_groups(history: Mapping[str, Sequence[float]]) -> dict[str, list[str]]:
    """History keys grouped by metric: ``{"loss": ["loss", "val_loss"], ...}``."""
    groups: dict[str, list[str]] = {}
    for key, values in history.items():
        if len(values):
            base = key.removeprefix("val_")
            groups.setdefault(base, []).append(key)
    return groups


def training_curves(
    history: Mapping[str, Sequence[float]], title: str = "Training curves"
) -> go.Figure:
    """Per-epoch training and validation curves, one subplot per metric.

    Parameters
    ----------
    history : dict of str to list of float
        Keras-style history (``loss``, ``val_loss``, other metrics).
    title : str, default "Training curves"
        Figure title (shown as literal text), e.g. naming the model.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per metric; training solid, validation dashed.
    """
    groups = _metric_groups(history)
    if not groups:
        return empty_figure(escape_label(title), "No epochs finished yet.")
    figure = make_subplots(
        rows=len(groups),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[escape_label(name) for name in groups],
    )
    for row, keys in enumerate(groups.values(), start=1):
        for key in sorted(keys, key=lambda name: name.startswith("val_")):
            validation = key.startswith("val_")
            values = [float(v) for v in history[key]]
            figure.add_trace(
                go.Scatter(
                    x=list(range(1, len(values) + 1)),
                    y=values,
                    mode="lines+markers",
                    name=escape_label(key),
                    line={"dash": "dash" if validation else "solid"},
                ),
                row=row,
                col=1,
            )
    figure.update_xaxes(title_text="epoch", row=len(groups), col=1)
    # Whole epochs only (no tick at 1.5); let plotly thin them out for long runs.
    epochs = max(len(values) for values in history.values())
    if epochs <= 25:
        figure.update_xaxes(dtick=1)
    else:
        figure.update_xaxes(tickformat="d")
    figure.update_layout(title=escape_label(title), height=260 * len(groups) + 80)
    return figure


def confusion_matrix_figure(
    matrix: Sequence[Sequence[int]], labels: Sequence[Any] | None
) -> go.Figure:
    """Heatmap of a confusion matrix (rows actual, columns predicted).

    Parameters
    ----------
    matrix : nested list of int
        Square matrix, e.g. ``compute_metrics(...)["confusion_matrix"]``.
    labels : sequence of str, optional
        Class names in matrix order; indices are used when missing or mismatched.
    """
    counts = np.asarray(matrix if matrix is not None else [], dtype=np.float64)
    if counts.size == 0 or counts.ndim != 2:
        return empty_figure("Confusion matrix", "No labelled predictions to count.")
    size = counts.shape[0]
    names = list(labels) if labels is not None and len(labels) == size else None
    ticks = [escape_label(name) for name in (names or range(size))]
    figure = go.Figure(
        go.Heatmap(
            z=counts,
            x=ticks,
            y=ticks,
            colorscale="Blues",
            texttemplate="%{z:,.0f}",
            hovertemplate="actual %{y}<br>predicted %{x}<br>%{z:,.0f}<extra></extra>",
        )
    )
    figure.update_xaxes(title_text="predicted", type="category")
    figure.update_yaxes(title_text="actual", type="category", autorange="reversed")
    figure.update_layout(title="Confusion matrix")
    return figure


def _curve(title: str, x: list, y: list, name: str, axes: tuple[str, str]) -> go.Figure:
    """A single curve on a unit square."""
    figure = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=name))
    figure.update_xaxes(title_text=axes[0], range=[0, 1])
    figure.update_yaxes(title_text=axes[1], range=[0, 1.02])
    figure.update_layout(title=title)
    return figure


def _score_text(value: float | None) -> str:
    """A score for a title, or ``"n/a"``."""
    return "n/a" if value is None else f"{value:.3f}"


def roc_figure(points: Mapping[str, Any]) -> go.Figure:
    """ROC curve with the chance diagonal, from ``core.model.metrics.curve_points``."""
    if not points.get("fpr"):
        return empty_figure("ROC curve", "Needs both classes among the labels.")
    figure = _curve(
        f"ROC curve (AUC {_score_text(points.get('roc_auc'))})",
        points["fpr"],
        points["tpr"],
        "model",
        ("false positive rate", "true positive rate"),
    )
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line_dash="dot")
    )
    return figure


def precision_recall_figure(points: Mapping[str, Any]) -> go.Figure:
    """Precision-recall curve with the positive-rate (chance) line."""
    if not points.get("recall"):
        return empty_figure(
            "Precision-recall curve", "Needs both classes among the labels."
        )
    figure = _curve(
        f"Precision-recall curve (AP {_score_text(points.get('pr_auc'))})",
        points["recall"],
        points["precision"],
        "model",
        ("recall", "precision"),
    )
    rate = points.get("positive_rate") or 0.0
    figure.add_trace(
        go.Scatter(
            x=[0, 1], y=[rate, rate], mode="lines", name="chance", line_dash="dot"
        )
    )
    return figure


def _scatter_with_line(
    points: tuple[np.ndarray, np.ndarray],
    line: tuple[list[float], list[float]],
    line_name: str,
    titles: dict[str, str],
) -> go.Figure:
    """Examples as markers plus one dotted reference line; ``titles``: x, y, title."""
    figure = go.Figure(
        go.Scatter(
            x=points[0], y=points[1], mode="markers", name="examples", opacity=0.6
        )
    )
    figure.add_trace(
        go.Scatter(x=line[0], y=line[1], mode="lines", name=line_name, line_dash="dot")
    )
    figure.update_xaxes(title_text=titles["x"])
    figure.update_yaxes(title_text=titles["y"])
    figure.update_layout(title=titles["title"])
    return figure


def predicted_vs_actual(y_true: Any, y_pred: Any) -> go.Figure:
    """Scatter of predicted against actual values, with the identity line."""
    truth, predicted = _finite_pairs(y_true, y_pred)
    if len(truth) == 0:
        return empty_figure("Predicted vs actual", "No labelled predictions to plot.")
    low = float(min(truth.min(), predicted.min()))
    high = float(max(truth.max(), predicted.max()))
    titles = {"x": "actual", "y": "predicted", "title": "Predicted vs actual"}
    return _scatter_with_line(
        (truth, predicted), ([low, high], [low, high]), "perfect", titles
    )


def residuals_figure(y_true: Any, y_pred: Any) -> go.Figure:
    """Residuals (predicted - actual) against predicted values, with a zero line."""
    truth, predicted = _finite_pairs(y_true, y_pred)
    if len(truth) == 0:
        return empty_figure("Residuals", "No labelled predictions to plot.")
    span = [float(predicted.min()), float(predicted.max())]
    titles = {
        "x": "predicted",
        "y": "residual (predicted - actual)",
        "title": "Residuals",
    }
    return _scatter_with_line(
        (predicted, predicted - truth), (span, [0.0, 0.0]), "zero", titles
    )


def _hover_data(frame: pd.DataFrame) -> np.ndarray:
    """Per point: escaped label, count and target mean as display text."""
    missing = pd.Series(np.nan, index=frame.index)
    counts = pd.to_numeric(frame.get("count", missing), errors="coerce")
    means = pd.to_numeric(frame.get("target_mean", missing), errors="coerce")
    return np.column_stack(
        [
            [escape_label(label) for label in frame["label"]],
            ["n/a" if pd.isna(c) else f"{int(c):,}" for c in counts],
            ["n/a" if pd.isna(m) else f"{float(m):.4g}" for m in means],
        ]
    )


def pca_dimensions(categories: int, width: int) -> tuple[int, ...]:
    """The map dimensions worth offering for an embedding table.

    :func:`core.analysis.embeddings.project_pca` fits at most
    ``min(categories, width)`` components; a 3D map of fewer than three is an
    empty third axis ("PC3 0.0 %"), so 3D is offered only when a third
    component is fitted.

    >>> pca_dimensions(10, 2), pca_dimensions(2, 8), pca_dimensions(3, 3)
    ((2,), (2,), (2, 3))
    """
    return (2, 3) if min(categories, width) >= 3 else (2,)


def pca_scatter(
    frame: pd.DataFrame,
    color_by: str | None = "count",
    dimensions: int = 2,
    groups: Sequence[int] | None = None,
) -> go.Figure:
    """2D or 3D scatter of PCA coordinates from
    :func:`core.analysis.embeddings.embedding_frame`.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``label``, ``count``, ``target_mean`` and ``pca_1`` ..
        ``pca_<dimensions>``.
    color_by : str or None, default "count"
        Numeric column that colours the points; ignored when absent or all NaN,
        or when ``groups`` is given.
    dimensions : {2, 3}
        ``Scatter`` for 2, ``Scatter3d`` for 3.
    groups : sequence of int, optional
        A group per row (e.g. from :func:`core.analysis.embeddings.cluster_categories`):
        one trace, colour and legend entry per group.

    Raises
    ------
    DataValidationError
        If ``dimensions`` is not 2 or 3, a ``pca_*`` column is missing, or
        ``groups`` does not have one entry per row.
    """
    if dimensions not in (2, 3):
        raise DataValidationError(
            None, f"expected 2 or 3 dimensions, received {dimensions!r}"
        )
    axes = [f"pca_{i}" for i in range(1, dimensions + 1)]
    if len(frame) == 0:
        return empty_figure("Embedding map (PCA)", "No learned categories to show.")
    missing = [name for name in axes if name not in frame.columns]
    if missing:
        raise DataValidationError(
            None, f"expected PCA columns {axes}, received none for {missing}"
        )
    if groups is None:
        traces = [_pca_trace(frame, axes, _marker(frame, color_by, dimensions))]
    else:
        traces = _grouped_traces(frame, axes, groups, dimensions)
    figure = go.Figure(traces)
    ranges = _padded_ranges(frame, axes)
    titles = [
        {"title_text": f"PC{i + 1}", "range": ranges[i]} for i in range(dimensions)
    ]
    # One scale on every axis: a component with 3 % of the variance must look
    # 30 times shorter than one with 90 %, not as long.
    if dimensions == 3:
        figure.update_scenes(
            xaxis=titles[0],
            yaxis=titles[1],
            zaxis=titles[2],
            aspectmode="data",
            camera={"eye": PCA_3D_EYE},
        )
        figure.update_layout(height=PCA_3D_HEIGHT)
    else:
        figure.update_xaxes(titles[0])
        figure.update_yaxes(titles[1], scaleanchor="x", scaleratio=1)
        figure.update_layout(height=PCA_2D_HEIGHT)
    figure.update_layout(title="Embedding map (PCA)")
    return figure


def _padded_ranges(frame: pd.DataFrame, axes: list[str]) -> list[list[float]]:
    """Axis ranges that hold every point with room for its label.

    Plotly's own ranges put two categories (``-a`` and ``a`` on PC1, 0 on
    PC2) on the plot's edge with their labels cut; the same margin on every
    axis keeps the scale of the axes equal.
    """
    lows = [float(np.nanmin(frame[axis])) for axis in axes]
    highs = [float(np.nanmax(frame[axis])) for axis in axes]
    widest = max(high - low for low, high in zip(lows, highs, strict=True))
    margin = PCA_MARGIN * widest if widest > 0 else 1.0
    return [
        [low - margin, high + margin] for low, high in zip(lows, highs, strict=True)
    ]


def _whole_number_ticks(values: pd.Series) -> list[int]:
    """Colour-bar ticks for counts: whole numbers only (never "1,458.5")."""
    low, high = int(np.floor(values.min())), int(np.ceil(values.max()))
    if high - low <= 10:
        return list(range(low, high + 1))
    return sorted({int(round(tick)) for tick in np.linspace(low, high, 6)})


def _grouped_traces(
    frame: pd.DataFrame, axes: list[str], groups: Sequence[int], dimensions: int
) -> list[Any]:
    """One trace per group, so each gets a qualitative colour and a legend entry."""
    group_array = np.asarray(groups)
    if len(group_array) != len(frame):
        raise DataValidationError(
            None,
            f"expected one group per category ({len(frame)}), received "
            f"{len(group_array)}",
        )
    traces = []
    # An explicit qualitative palette: the app theme's default cycle pairs
    # similar shades, which made neighbouring clusters hard to tell apart.
    palette = qualitative.D3
    for position, group in enumerate(np.unique(group_array)):
        marker = {
            "size": 8 if dimensions == 2 else 5,
            "color": palette[position % len(palette)],
        }
        trace = _pca_trace(frame[group_array == group], axes, marker)
        trace.update(name=f"cluster {int(group) + 1}", showlegend=True)
        traces.append(trace)
    return traces


def _marker(frame: pd.DataFrame, color_by: str | None, dimensions: int) -> dict:
    """Marker settings, coloured by a numeric column when it has any value."""
    marker: dict[str, Any] = {"size": 8 if dimensions == 2 else 5}
    if color_by is None or color_by not in frame.columns:
        return marker
    colour = pd.to_numeric(frame[color_by], errors="coerce")
    if colour.notna().any():
        colorbar: dict[str, Any] = {"title": {"text": escape_label(color_by)}}
        if color_by == "count":
            colorbar.update(
                tickvals=_whole_number_ticks(colour.dropna()), tickformat=",d"
            )
        marker.update(
            color=colour, colorscale="Viridis", showscale=True, colorbar=colorbar
        )
    return marker


def _pca_trace(frame: pd.DataFrame, axes: list[str], marker: dict) -> Any:
    """A Scatter (two axes) or Scatter3d (three) with escaped text and hover."""
    common = {
        "text": [escape_label(label) for label in frame["label"]],
        "customdata": _hover_data(frame),
        "mode": "markers+text" if len(frame) <= MAX_TEXT_LABELS else "markers",
        "marker": marker,
        "hovertemplate": "<b>%{customdata[0]}</b><br>count: %{customdata[1]}"
        "<br>target mean: %{customdata[2]}<extra></extra>",
    }
    coordinates = {
        name: frame[column]
        for name, column in zip("xyz"[: len(axes)], axes, strict=True)
    }
    if len(axes) == 3:
        return go.Scatter3d(**coordinates, **common)
    return go.Scatter(**coordinates, textposition="top center", **common)


def similarity_heatmap(similarity: pd.DataFrame) -> go.Figure:
    """Heatmap of a cosine-similarity frame (labels on both axes, range [-1, 1])."""
    if similarity.empty:
        return empty_figure("Cosine similarity", "No learned categories to compare.")
    figure = go.Figure(
        go.Heatmap(
            z=similarity.to_numpy(dtype=np.float64),
            x=[escape_label(label) for label in similarity.columns],
            y=[escape_label(label) for label in similarity.index],
            zmin=-1.0,
            zmax=1.0,
            colorscale="RdBu",
            hovertemplate="%{y} · %{x}<br>similarity %{z:.3f}<extra></extra>",
        )
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category", autorange="reversed")
    figure.update_layout(title="Cosine similarity")
    return figure


def _count_bins(counts: np.ndarray) -> tuple[list[str], list[int]]:
    """Counts grouped in powers of two: ``1``, ``2-3``, ``4-7``, ..."""
    exponents = np.floor(np.log2(counts)).astype(int)
    names, sizes = [], []
    for exponent in range(int(exponents.max()) + 1):
        low, high = 2**exponent, 2 ** (exponent + 1) - 1
        names.append(f"{low:,}" if low == high else f"{low:,}–{high:,}")
        sizes.append(int((exponents == exponent).sum()))
    return names, sizes


def frequency_histogram(counts: Sequence[int]) -> go.Figure:
    """How many categories occur how often, in power-of-two bins.

    Parameters
    ----------
    counts : sequence of int
        Rows per category; zeros are ignored.
    """
    values = np.asarray([c for c in counts if c is not None], dtype=np.float64)
    values = values[np.isfinite(values) & (values >= 1)]
    if len(values) == 0:
        return empty_figure("Category frequencies", "No categories to count.")
    names, sizes = _count_bins(values)
    figure = go.Figure(go.Bar(x=names, y=sizes, name="categories"))
    singletons = int((values == 1).sum())
    figure.update_xaxes(title_text="rows per category", type="category")
    figure.update_yaxes(title_text="categories")
    figure.update_layout(
        title=f"Category frequencies ({len(values):,} categories, "
        f"{singletons:,} seen once)"
    )
    return figure


def metric_comparison(
    rows: pd.DataFrame, metrics: Sequence[str] | None = None
) -> go.Figure:
    """Grouped bars of metrics per model (e.g. embedding, one-hot, baseline).

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per model, a ``model`` column and one column per metric.
    metrics : sequence of str, optional
        Columns to show; default: every numeric column except
        ``NON_METRIC_COLUMNS``.
    """
    if metrics is None:
        metrics = [
            name
            for name in rows.columns
            if name not in NON_METRIC_COLUMNS
            and pd.to_numeric(rows[name], errors="coerce").notna().any()
        ]
    if rows.empty or not metrics:
        return empty_figure("Model comparison", "No metrics to compare.")
    names = rows["model"] if "model" in rows.columns else rows.index
    # R² lies at most at 1 while RMSE and MAE are in the target's units (often
    # hundreds): on one axis R² is invisible, so it gets a panel of its own.
    panels = [
        group
        for group in (
            [m for m in metrics if m not in OWN_AXIS_METRICS],
            [m for m in metrics if m in OWN_AXIS_METRICS],
        )
        if group
    ]
    figure = make_subplots(
        rows=1,
        cols=len(panels),
        column_widths=[len(group) for group in panels],
        horizontal_spacing=0.12,
    )
    palette = qualitative.Plotly
    for position, (name, (_, row)) in enumerate(
        zip(names, rows.iterrows(), strict=True)
    ):
        for column, group in enumerate(panels, start=1):
            values = pd.to_numeric(row[list(group)], errors="coerce")
            figure.add_trace(
                go.Bar(
                    x=[escape_label(metric) for metric in group],
                    y=[None if math.isnan(v) else float(v) for v in values],
                    name=escape_label(name),
                    legendgroup=str(position),
                    showlegend=column == 1,
                    marker_color=palette[position % len(palette)],
                    texttemplate="%{y:.3f}",
                ),
                row=1,
                col=column,
            )
    figure.update_xaxes(type="category")
    figure.update_layout(title="Model comparison", barmode="group")
    return figure
