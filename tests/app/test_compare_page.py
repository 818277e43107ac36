"""The Compare page: a comparison over seeds and a size sweep, through AppTest."""

from __future__ import annotations

import pytest

from core.analysis.comparison import ComparisonSpec, comparison_runs, start_comparison
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunStatus, RunStore
from tests.support.app import RUN_SECONDS, open_page, shown
from tests.support.configs import comparison_config
from tests.support.tables import category_only_table
from ui import state

pytestmark = pytest.mark.slow


def _seeded(frame, config) -> dict:
    return {
        state.DATA: frame,
        state.DATA_NAME: "category.csv",
        state.DATA_FINGERPRINT: "test:category",
        state.DATA_NOTES: [],
        state.CONFIG: config,
    }


@pytest.fixture(scope="module")
def finished_comparison():
    """Two seeds of the embedding/one-hot comparison, trained by the executor."""
    frame = category_only_table(entities=48)
    config = comparison_config().replace(
        train=comparison_config().train.__class__(epochs=2, batch_size=16)
    )
    executor = LocalExecutor(RunStore())
    spec = ComparisonSpec(config, seeds=(0, 1))
    comparison = start_comparison(executor, frame, spec, "category.csv")
    for record in comparison_runs(executor.store, comparison).values():
        assert executor.wait(record.id, timeout=RUN_SECONDS).status is RunStatus.DONE
    return frame, config, comparison


def test_compare_page_shows_the_verdict_dots_and_costs(finished_comparison):
    frame, config, comparison = finished_comparison
    app = open_page("compare", {**_seeded(frame, config), state.COMPARISON: comparison})
    assert not app.exception
    verdicts = [shown(e.value) for e in (*app.success, *app.info)]
    assert any("Verdict:" in text and "2 seeds" in text for text in verdicts), verdicts
    costs = app.dataframe[0].value
    assert list(costs["arm"]) == ["embedding", "onehot", "naive baseline"]
    # Shown as text: the baseline row has no seeds ("—", not "None").
    assert list(costs["seeds"]) == ["2", "2", "—"]
    app.selectbox(key="cmp_metric").select("pr_auc").run()
    assert not app.exception


def test_running_the_same_comparison_again_reuses_its_seeds(finished_comparison):
    frame, config, comparison = finished_comparison
    before = len(RunStore().records())
    app = open_page("compare", _seeded(frame, config))
    app.number_input(key="cmp_seeds").set_value(2)
    app.button(key="FormSubmitter:compare_form-Run comparison").click().run()
    assert not app.exception
    assert app.session_state[state.COMPARISON] == comparison
    assert len(RunStore().records()) == before


def test_train_page_says_one_run_is_not_evidence(finished_comparison):
    _, _, comparison = finished_comparison
    run_id = next(iter(comparison_runs(RunStore(), comparison).values())).id
    app = open_page("train", query={"run": run_id})
    assert any("not evidence" in shown(e.value) for e in app.info)


def test_a_finished_sweep_applies_its_recommended_size(finished_comparison):
    from core.analysis.sweep import SweepSpec, start_sweep, sweep_runs

    frame, config, _ = finished_comparison
    executor = LocalExecutor(RunStore())
    spec = SweepSpec.for_column(config, frame, "kind", seeds=(0,), sizes=(1, 2))
    sweep = start_sweep(executor, frame, spec, "category.csv")
    for record in sweep_runs(executor.store, sweep):
        assert executor.wait(record.id, timeout=RUN_SECONDS).status is RunStatus.DONE
    app = open_page("compare", {**_seeded(frame, config), state.SWEEP: sweep})
    assert not app.exception
    table = app.dataframe[-1].value
    assert list(table["size"]) == ["1", "2", "one-hot"]
    button = next(b for b in app.button if b.key == "swp_apply")
    button.click().run()
    assert not app.exception
    size = next(
        spec.embedding_dim
        for spec in app.session_state[state.CONFIG].data.categorical_columns
        if spec.name == "kind"
    )
    assert size in (1, 2)
    assert app.session_state[state.SIZE_OVERRIDES]["kind"] == size
