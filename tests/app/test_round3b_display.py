"""Missing values and memory as a reader wants them (issue 23 item 9, the rest).

Streamlit prints a missing cell as "None"; the tables show "—" instead. Peak
memory reads "906 MiB", not "906.0977".
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.analysis.comparison import seed_label
from core.runs.store import RunStatus, RunStore
from tests.support.app import open_page
from tests.support.configs import store_config
from tests.support.tables import make_long_table
from ui import state

MISSING = "—"
PEAK_BYTES = 950_112_345  # 906.0977 MiB


def _metrics(auc: float) -> dict:
    test = {"accuracy": 0.8, "roc_auc": auc, "pr_auc": 0.7, "f1": 0.6, "n": 10}
    baseline = {"accuracy": 0.5, "roc_auc": None, "pr_auc": None, "f1": 0.0, "n": 10}
    return {
        "task": "binary",
        "test": test,
        "baseline": {"strategy": "majority_class", "test": baseline},
        "parameters": {"total": 120},
        "training": {"epochs_run": 2, "seconds": 3.25},
    }


def _done_run(store, table, config, **fields):
    record = store.create(table, config, ("embedding", "onehot"), "t.csv", **fields)
    for encoding, auc in (("embedding", 0.81), ("onehot", 0.79)):
        shift = config.train.seed / 100
        store.save_result(record.id, encoding, _metrics(auc + shift), {})
    return store.finish(record.id, RunStatus.DONE, peak_memory_bytes=PEAK_BYTES)


@pytest.fixture(scope="module")
def finished():
    """One done run, and a done two-seed comparison; all removed afterwards."""
    store, table, base = (
        RunStore(),
        make_long_table(seed=9, entities=12),
        store_config(),
    )
    single = _done_run(store, table, base)
    seeds = [
        _done_run(
            store,
            table,
            base.replace(train=dataclasses.replace(base.train, seed=seed)),
            label=seed_label(seed),
            comparison="cmp-feedfacecafe",
        )
        for seed in (0, 1)
    ]
    yield single, seeds
    for record in (single, *seeds):
        store.delete(record.id)


def _has_missing(frame: pd.DataFrame) -> bool:
    return bool(frame.isna().to_numpy().any())


def test_the_data_preview_shows_missing_values_as_a_dash(sample_state):
    frame = sample_state[state.DATA].copy()
    frame["site"] = frame["site"].astype(object)
    frame.loc[0, "site"] = None
    frame.loc[1, "temperature"] = np.nan
    app = open_page("data", {**sample_state, state.DATA: frame})
    assert not app.exception, app.exception
    preview = app.dataframe[0].value
    assert not _has_missing(preview)
    assert preview.loc[0, "site"] == MISSING
    assert preview.loc[1, "temperature"] == MISSING
    assert preview.loc[0, "temperature"] == f"{frame.loc[0, 'temperature']:g}"


def test_baseline_rows_show_a_dash_for_metrics_they_lack(finished):
    single, _ = finished
    app = open_page("train", query={"run": single.id})
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert not _has_missing(table)
    baseline = table[table["model"].str.startswith("baseline")].iloc[0]
    assert baseline["roc_auc"] == MISSING
    assert baseline["parameters"] == MISSING


def test_peak_memory_is_rounded_to_whole_mebibytes(finished, sample_state):
    _, seeds = finished
    app = open_page("compare", {**sample_state, state.COMPARISON: seeds[0].comparison})
    assert not app.exception, app.exception
    costs = next(t.value for t in app.dataframe if "arm" in t.value.columns)
    assert not _has_missing(costs)
    assert list(costs["peak memory (MiB)"])[:2] == ["906 MiB", "906 MiB"]
