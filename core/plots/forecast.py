"""Forecast figures: error against horizon, and predicted against actual over time.

Pure functions over an evaluation report's ``horizons`` section and a forecast
prediction table (:func:`core.model.evaluation.prediction_table`): the model's
line beside every baseline's, and for quantile forecasts the interval of the
outermost quantiles as a shaded band (a fan chart).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.model.skill import BASELINE_TITLES
from core.plots.figures import empty_figure, escape_label

#: Baseline columns a forecast table may carry, with their line style.
BASELINE_LINES = {"persistence": "dot", "seasonal_naive": "dash"}
QUANTILE_PREFIX = "P"


def horizon_figure(
    report: dict[str, Any], metric: str = "rmse", part: str = "test"
) -> go.Figure:
    """``metric`` at each step ``1 .. H``: the model's curve beside each baseline's.

    Parameters
    ----------
    report : dict
        An evaluation report with a ``horizons`` section.
    metric : str
        One of the section's ``metrics`` (``rmse``, ``mae``).
    part : str
        ``"validation"`` or ``"test"``.
    """
    section = report.get("horizons") or {}
    steps = section.get("steps") or []
    model = ((section.get("model") or {}).get(part) or {}).get(metric)
    if not steps or not model:
        return empty_figure("Error by horizon", "This model predicts one step.")
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=steps, y=model, mode="lines+markers", name="model"))
    for name, parts in (section.get("baselines") or {}).items():
        values = (parts.get(part) or {}).get(metric)
        if values:
            figure.add_trace(
                go.Scatter(
                    x=steps,
                    y=values,
                    mode="lines",
                    name=escape_label(BASELINE_TITLES.get(name, name)),
                    line={"dash": BASELINE_LINES.get(name, "dashdot")},
                )
            )
    figure.update_layout(
        title=f"{metric.upper()} by horizon ({part} part)",
        xaxis_title="horizon (steps ahead)",
        yaxis_title=metric.upper(),
    )
    return figure


def quantile_columns(table: pd.DataFrame) -> list[str]:
    """The quantile columns of a forecast table (``P10``, ``P50``...), in order."""
    found = []
    for column in table.columns:
        text = str(column)
        if text.startswith(QUANTILE_PREFIX):
            try:
                found.append((float(text[len(QUANTILE_PREFIX) :]), column))
            except ValueError:
                continue
    return [column for _, column in sorted(found)]


def fan_chart(
    table: pd.DataFrame,
    entity_column: str,
    entity: Any,
    time_column: str | None,
    horizon: int | None = None,
) -> go.Figure:
    """Predicted against actual over time for one entity, baselines beside.

    Parameters
    ----------
    table : pandas.DataFrame
        A forecast prediction table (the time column holds the predicted
        step's time).
    entity_column : str
        Its entity column.
    entity : object
        The entity shown.
    time_column : str or None
        The time column; ``None`` plots against the row order.
    horizon : int or None
        For a table of several steps, the one shown (each step's forecasts
        form one line over time); ``None`` keeps every row.

    Returns
    -------
    plotly.graph_objects.Figure
        Actual values, the model's prediction, each baseline, and with
        quantiles the outermost quantiles' interval as a band.
    """
    rows = table[table[entity_column] == entity]
    if horizon is not None and "horizon" in rows:
        rows = rows[rows["horizon"] == horizon]
    if rows.empty:
        return empty_figure("Forecast over time", "No predictions for this entity.")
    if time_column is not None and time_column in rows:
        rows = rows.sort_values(time_column, kind="stable")
        x = rows[time_column]
    else:
        x = pd.Series(range(len(rows)))
    figure = go.Figure()
    quantiles = quantile_columns(rows)
    if len(quantiles) >= 2:
        low, high = quantiles[0], quantiles[-1]
        figure.add_trace(
            go.Scatter(
                x=x, y=rows[high], mode="lines", line={"width": 0}, showlegend=False
            )
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=rows[low],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(99, 110, 250, 0.2)",
                name=f"{low}–{high} interval",
            )
        )
    if "actual" in rows:
        figure.add_trace(
            go.Scatter(
                x=x,
                y=rows["actual"],
                mode="lines+markers",
                name="actual",
                line={"color": "black"},
            )
        )
    figure.add_trace(
        go.Scatter(x=x, y=rows["predicted"], mode="lines", name="predicted")
    )
    for column, dash in BASELINE_LINES.items():
        if column in rows:
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=rows[column],
                    mode="lines",
                    name=BASELINE_TITLES.get(column, column),
                    line={"dash": dash},
                )
            )
    step = "" if horizon is None else f", {horizon} step(s) ahead"
    figure.update_layout(
        title=f"Forecast for {escape_label(entity)}{step}",
        xaxis_title="predicted time" if time_column else "example",
        yaxis_title="value",
    )
    return figure
