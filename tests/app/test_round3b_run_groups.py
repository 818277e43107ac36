"""Runs of a comparison, on the Runs and Compare pages (issue 23 item 12).

The comparison's runs are put in the store as queued records with no process
(they never train): to the pages they are a comparison still running.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.analysis.comparison import seed_label
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStore
from tests.support.app import open_page, shown
from tests.support.configs import store_config
from tests.support.tables import make_long_table
from ui import state

COMPARISON = "cmp-0123456789ab"
SUBMIT = "FormSubmitter:compare_form-Run comparison"


@pytest.fixture
def queued_comparison():
    """Three queued seeds of one comparison; removed afterwards."""
    store = RunStore()
    table = make_long_table(seed=8, entities=12)
    made = []
    for seed in range(3):
        base = store_config()
        config = base.replace(train=dataclasses.replace(base.train, seed=seed))
        made.append(
            store.create(
                table,
                config,
                ("embedding", "onehot"),
                "t.csv",
                label=seed_label(seed),
                comparison=COMPARISON,
            )
        )
    yield made
    for record in made:
        store.delete(record.id)


def test_deleting_a_seed_of_a_comparison_warns_first(queued_comparison):
    doomed = queued_comparison[1]
    app = open_page("runs")
    app.selectbox(key="runs_delete_pick").select(doomed.id).run()
    assert not app.exception, app.exception
    warnings = " ".join(shown(w.value) for w in app.warning)
    assert COMPARISON in warnings
    assert "one of the 3 runs" in warnings
    assert "2 seeds" in warnings


def test_a_comparisons_runs_are_grouped_in_an_expander(queued_comparison):
    app = open_page("runs")
    assert not app.exception, app.exception
    labels = [shown(e.label) for e in app.expander]
    grouped = [label for label in labels if COMPARISON in label]
    assert len(grouped) == 1
    assert "3 runs" in grouped[0]
    ungrouped = set().union(
        *(set(t.value["id"]) for t in app.dataframe if "label" not in t.value.columns)
    )
    assert not ungrouped & {record.id for record in queued_comparison}
    inner = [t.value for t in app.dataframe if "label" in t.value.columns]
    assert set(inner[0]["id"]) == {record.id for record in queued_comparison}


def test_run_comparison_is_disabled_while_the_comparison_runs(
    queued_comparison, sample_state
):
    from ui.data import dataset_from_bundled, suggested_config

    store = RunStore()
    before = {record.id for record in store.records()}
    config = suggested_config(dataset_from_bundled("predictive_maintenance"))
    seeded = {**sample_state, state.CONFIG: config, state.COMPARISON: COMPARISON}
    app = open_page("compare", seeded)
    assert not app.exception, app.exception
    assert app.button(key=SUBMIT).disabled
    # A submit from a page drawn before the comparison started (a double click)
    # reaches the server with the comparison running: it starts nothing.
    stale = open_page("compare", {**seeded, state.COMPARISON: None})
    assert not stale.button(key=SUBMIT).disabled
    stale.session_state[state.COMPARISON] = COMPARISON
    stale.number_input(key="cmp_seeds").set_value(1)
    stale.button(key=SUBMIT).click().run()
    started = {record.id for record in store.records()} - before
    try:
        assert not stale.exception, stale.exception
        assert started == set()
        assert stale.session_state[state.COMPARISON] == COMPARISON
    finally:
        executor = LocalExecutor(store)
        for run_id in started:
            executor.cancel(run_id)
