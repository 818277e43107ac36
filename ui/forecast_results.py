"""Forecast baselines on the result pages: the table and the sentence.

Each page makes one call here; the numbers come from :mod:`core.model.skill`
over the reports training wrote, so every page words the standing the same way.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.model.metric_registry import summary_metrics
from core.model.skill import Standing, baseline_table, report_standing
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
