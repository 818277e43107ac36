"""The Insight page through AppTest: stability of a comparison, evolution,
importance, what-if and maps of an open run; a loaded bundle with many categories."""

from __future__ import annotations

import numpy as np
import pytest

from core.runs.store import RUNS_DIR_VARIABLE
from tests.support.app import errors_of, infos_of, open_page
from ui import state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def comparison(tiny_comparison_runs):
    """Two seeds of a tiny comparison, in a store of their own.

    The page reads ``$SEQ_EMBED_RUNS_DIR``; a private store keeps these runs off
    the pages other tests expect to find empty (the Runs page without runs).
    """
    root, *runs = tiny_comparison_runs
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(RUNS_DIR_VARIABLE, str(root))
        yield tuple(runs)


def _table_with(app, columns: set[str]):
    """The shown table that has these columns (AppTest tables carry no key)."""
    found = [t.value for t in app.dataframe if columns <= set(t.value.columns)]
    assert found, f"no table with columns {sorted(columns)}"
    return found[0]


def test_stability_of_a_comparison(comparison):
    identity, records, _ = comparison
    app = open_page("insight", query={"run": records[0].id})
    assert not app.exception
    app.selectbox(key="ins_stab_comparison").select(identity).run()
    app.number_input(key="ins_stab_k").set_value(2).run()
    app.button(key="ins_stab_go").click().run()
    assert not app.exception, app.exception
    assert not errors_of(app)
    _table_with(app, {"label", "neighbour_agreement", "spread", "unstable"})
    app.selectbox(key="ins_stab_column").select("shift").run()
    assert not app.exception
    assert len(_table_with(app, {"neighbour_agreement"})) == 3
    assert any("Neighbour agreement" in c.value for c in app.caption)


def test_importance_what_if_and_evolution_of_the_open_run(comparison):
    _, records, _ = comparison
    app = open_page("insight", query={"run": records[0].id})
    assert not app.exception
    assert not errors_of(app), "the evolution map should draw from the snapshots"
    app.number_input(key="ins_imp_repeats").set_value(2).run()
    app.button(key="ins_imp_go").click().run()
    assert not app.exception, app.exception
    importance = _table_with(app, {"drop_mean", "drop_std"})
    assert set(importance["column"]) == {"kind", "shift", "reading"}
    app.selectbox(key="ins_wi_column").select("kind").run()
    app.selectbox(key="ins_wi_value").select("<unknown>").run()
    assert not app.exception
    _table_with(app, {"original", "changed", "difference"})
    # The importance result stays while other widgets change.
    _table_with(app, {"drop_mean", "drop_std"})
    assert any("t-SNE is offered" in c.value for c in app.caption)


def test_a_loaded_bundle_with_many_categories_gets_a_tsne_map():
    from core.config import ColumnSpec, DataConfig, ExperimentConfig
    from core.examples.prepare import prepare_experiment
    from core.model.bundle import Bundle
    from core.model.network import build_model
    from tests.support.tables import make_long_table

    frame = make_long_table(seed=1, entities=60)
    frame["station"] = [f"s{i % 25}" for i in range(len(frame))]
    data = DataConfig(
        target_column="label", id_column="entity", time_column="step",
        categorical_columns=(ColumnSpec("station", 3),), numeric_columns=("reading",),
        task="binary",
    )  # fmt: skip
    config = ExperimentConfig(data=data)
    prepared = prepare_experiment(frame, config)
    # Untrained weights are enough to draw the maps.
    bundle = Bundle(build_model(config, prepared.preprocessor), prepared.preprocessor,
                    config)  # fmt: skip
    seeded = {
        state.LOADED_BUNDLE: bundle,
        state.DATA: frame,
        state.DATA_NAME: "stations.csv",
        state.DATA_FINGERPRINT: "test:stations",
        state.DATA_NOTES: [],
    }
    app = open_page("insight", seeded)
    assert not app.exception
    assert any("snapshots" in text for text in infos_of(app))
    app.toggle(key="ins_map_tsne").set_value(True).run()
    assert not app.exception, app.exception
    app.button(key="ins_imp_go").click().run()
    assert not app.exception, app.exception
    importance = _table_with(app, {"drop_mean", "drop_std"})
    assert set(importance["column"]) == {"station", "reading"}
    assert np.isfinite(importance["drop_mean"]).all()
