"""Forecast baselines on the result pages: the table and the sentence.

Each page makes one call here; the numbers come from :mod:`core.model.skill`
over the reports training wrote, so every page words the standing the same way.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.config import DataConfig
from core.model.forecast_report import quantile_summary
from core.model.metric_registry import summary_metrics
from core.model.skill import Standing, baseline_table, report_standing
from core.plots.forecast import fan_chart, horizon_figure
from core.runs.store import RunRecord, RunStore
from ui.text import literal


def show_standing(found: Standing | None, model: str) -> None:
    """A green line when the model beats every baseline, a warning otherwise."""
    if found is None:
        return
    message = f"**{literal(model)}** {literal(found.text)}."
    if found.beats:
        st.success(message)
    else:
        st.warning(message)


def show_run_standings(store: RunStore, record: RunRecord) -> None:
    """Each trained model of a run against its strongest baseline (forecasts)."""
    for encoding, results in store.results(record.id).items():
        if results.get("test"):
            show_standing(report_standing(results), f"{encoding} model")


def show_report_baselines(report: dict[str, Any], key: str) -> None:
    """A forecast's test metrics beside every baseline's, with the standing."""
    found = report_standing(report)
    if found is None:
        return
    st.markdown("**Against the baselines (test part)**")
    metrics = summary_metrics(report["task"])
    st.dataframe(baseline_table(report, metrics), hide_index=True, key=key)
    show_standing(found, "The model")


def show_comparison_standings(result: Any) -> None:
    """Each arm's mean over the seeds against the strongest baseline's mean."""
    for arm, found in result.standings().items():
        show_standing(found, f"{arm} (mean over seeds)")


def show_forecast_views(
    report: dict[str, Any], table: pd.DataFrame | None, data: DataConfig
) -> None:
    """Error by horizon, the quantile scores and the fan chart of a forecast.

    Each part shows only where it applies: a forecast of several steps
    (``horizons`` in the report), quantiles (``quantiles``), and a forecast
    table with an entity to pick (predicted against actual over time).
    """
    if report.get("horizons"):
        st.plotly_chart(horizon_figure(report), key="forecast_horizons")
    if report.get("quantiles"):
        st.markdown("**Quantile forecast (test part)**")
        st.dataframe(
            quantile_summary(report), hide_index=True, key="forecast_quantiles"
        )
    if table is None or "horizon" not in table.columns or table.empty:
        return
    entity_column = data.id_column or "entity"
    entities = list(dict.fromkeys(table[entity_column]))
    left, right = st.columns(2)
    entity = left.selectbox("Entity", entities, key="forecast_entity", format_func=str)
    horizons = sorted(set(table["horizon"]))
    horizon = horizons[0]
    if len(horizons) > 1:
        horizon = right.selectbox("Steps ahead", horizons, key="forecast_step")
    st.plotly_chart(
        fan_chart(table, entity_column, entity, data.time_column, horizon),
        key="forecast_fan",
    )
