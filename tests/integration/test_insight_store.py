"""Insight over runs in the store: stability of a comparison, evolution from
snapshots, what-if on a run's bundle, and the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import ConfigError
from core.runs.store import RunStore
from tests.support.insight_runs import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def comparison(tiny_comparison_runs):
    root, identity, records, frame = tiny_comparison_runs
    return RunStore(root), identity, records, frame


def test_stability_of_a_comparisons_runs(comparison):
    from core.analysis.stability_runs import comparison_choices, stability_of_runs

    store, identity, records, _ = comparison
    choices = comparison_choices(store)
    assert {r.id for r in choices[identity]} == {r.id for r in records}
    results = stability_of_runs(store, [r.id for r in records], k=2)
    assert list(results) == ["kind", "shift"]
    kind = results["kind"]
    assert kind.seeds == SEEDS
    assert kind.categories["movement"].notna().all(), "epoch-0 snapshots were read"
    assert set(kind.points["seed"]) == {-1, *SEEDS}
    assert 0.0 <= kind.mean_agreement <= 1.0


def test_stability_refuses_fewer_than_two_runs(comparison):
    from core.analysis.stability_runs import stability_of_runs

    store, _, records, _ = comparison
    with pytest.raises(ConfigError, match="at least 2 runs"):
        stability_of_runs(store, [records[0].id, records[0].id])


def test_evolution_from_a_runs_snapshots(comparison):
    from core.analysis.evolution import run_evolution

    store, _, records, _ = comparison
    frame = run_evolution(store, records[0], "kind")
    epochs = sorted(frame["epoch"].unique())
    assert epochs == list(range(0, records[0].config.train.epochs + 1))
    final = frame[frame["epoch"] == epochs[-1]]
    assert np.allclose(final["distance"], 0.0)
    assert (frame[frame["epoch"] == 0]["distance"] > 0).all()
    assert len(final) == final["label"].nunique()


def _bundle(store, record):
    from core.model.bundle import load_bundle

    return load_bundle(store.bundle_path(record.id, "embedding"))


def test_timeline_has_one_prediction_per_real_step(comparison):
    from core.analysis.whatif import entity_history, entity_ids, timeline
    from core.examples.prepare import prepare_prediction
    from core.model.evaluation import predict_scores

    store, _, records, frame = comparison
    bundle = _bundle(store, records[0])
    data = bundle.preprocessor.config
    entity = entity_ids(frame, data)[3]
    history = entity_history(frame, data, entity)
    table = timeline(bundle.model, bundle.preprocessor, history)
    assert len(table) == len(history)
    assert list(table["step"]) == list(range(len(history)))
    assert table["probability"].between(0, 1).all()
    last = prepare_prediction(history, bundle.preprocessor, last_only=True)
    expected = predict_scores(bundle.model, last, "all")[-1]
    assert table["probability"].iloc[-1] == pytest.approx(expected, abs=1e-6)


def test_what_if_replaces_a_value_over_the_whole_history(comparison):
    from core.analysis.whatif import entity_history, what_if

    store, _, records, frame = comparison
    bundle = _bundle(store, records[0])
    data = bundle.preprocessor.config
    history = entity_history(frame, data, 5)
    same = history["kind"].iloc[0]
    if same is None:
        same = "<missing>"
    unchanged = what_if(bundle.model, bundle.preprocessor, history.assign(kind=same),
                        "kind", same)  # fmt: skip
    assert np.allclose(unchanged["difference"], 0.0)
    changed = what_if(bundle.model, bundle.preprocessor, history, "kind", None)
    assert len(changed) == len(history)
    assert (changed["difference"].abs() > 0).any()
    assert changed.attrs["output"] == "probability"


def test_what_if_names_an_unknown_category(comparison):
    from core.analysis.whatif import entity_history, what_if
    from core.errors import DataValidationError

    store, _, records, frame = comparison
    bundle = _bundle(store, records[0])
    history = entity_history(frame, bundle.preprocessor.config, 1)
    with pytest.raises(DataValidationError, match="column 'kind'.*'omega'"):
        what_if(bundle.model, bundle.preprocessor, history, "kind", "omega")


def test_cli_stability_over_runs_and_over_a_comparison(comparison, capsys, tmp_path):
    from core.cli.main import main

    store, identity, records, _ = comparison
    out = tmp_path / "stability.json"
    ids = ",".join(r.id for r in records)
    assert main(["stability", "--runs-dir", str(store.root), "--runs", ids,
                 "--json", str(out), "--k", "2"]) == 0  # fmt: skip
    report = json.loads(out.read_text())
    assert [c["column"] for c in report["columns"]] == ["kind", "shift"]
    first = report["columns"][0]
    assert first.keys() >= {"score", "mean_agreement", "categories", "seeds"}
    capsys.readouterr()
    assert main(["stability", "--runs-dir", str(store.root), "--comparison",
                 identity, "--column", "shift"]) == 0  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    assert [c["column"] for c in printed["columns"]] == ["shift"]
    assert main(["stability", "--runs-dir", str(store.root), "--runs", ids,
                 "--column", "nope"]) == 2  # fmt: skip
    assert "--column" in capsys.readouterr().err


def test_cli_importance_of_a_run_id(comparison, tmp_path):
    from core.cli.main import main

    store, _, records, frame = comparison
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "importance.json"
    code = main(["importance", "--runs-dir", str(store.root), "--model",
                 records[0].id, "--data", str(data), "--json", str(out),
                 "--repeats", "2", "--no-ablation"])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert {c["column"] for c in report["columns"]} == {"kind", "shift", "reading"}
    assert report["ablation"] == []
