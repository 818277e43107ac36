"""Item 1 of issue 22: baselines and skill in comparisons and run tables."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.analysis.comparison import cost_table, summarize
from core.runs.store import RunStatus
from core.runs.views import metrics_side_by_side
from tests.support.configs import forecast_config


def _results(model_rmse: float) -> dict:
    def part(rmse: float) -> dict:
        return {"test": {"rmse": rmse, "mae": rmse, "r2": 0.0}}

    return {
        "test": {"rmse": model_rmse, "mae": 1.0, "r2": 0.5},
        "baselines": {
            "naive": {"strategy": "training_mean", **part(19.5)},
            "persistence": {"strategy": "last_observed", **part(3.42)},
            "seasonal_naive": {
                "strategy": "seasonal_naive",
                "season": 24,
                **part(4.0),
            },
        },
    }


def _store(rmse_by_arm: dict[str, float], seeds=(0, 1)):
    records = [
        SimpleNamespace(
            id=f"r{seed}",
            comparison="cmp",
            config=forecast_config().replace(
                train=forecast_config().train.__class__(seed=seed)
            ),
            status=RunStatus.DONE,
            encodings=tuple(rmse_by_arm),
            peak_memory_bytes=None,
        )
        for seed in seeds
    ]
    results = {arm: _results(rmse) for arm, rmse in rmse_by_arm.items()}
    return SimpleNamespace(
        records=lambda: list(reversed(records)), results=lambda run_id: results
    )


def test_compare_json_carries_every_baseline_and_says_who_loses():
    store = _store({"embedding": 3.87, "onehot": 3.60})
    result = summarize(store, "cmp", "rmse")
    payload = result.to_dict()
    assert payload["baselines"] == pytest.approx(
        {"naive": 19.5, "persistence": 3.42, "seasonal_naive": 4.0}
    )
    assert payload["baseline"] == pytest.approx(19.5)
    assert payload["skill"]["embedding"] == pytest.approx(1 - 3.87 / 3.42)
    verdict = payload["versus_baselines"]["onehot"]
    assert not verdict["beats"]
    assert verdict["text"].startswith("does not beat the strongest baseline")
    costs = cost_table(result)
    assert list(costs["arm"]) == [
        "embedding",
        "onehot",
        "naive baseline",
        "persistence (last observed)",
        "seasonal naive",
    ]
    assert costs["skill"].iloc[3] == pytest.approx(0.0)


def test_run_table_lists_seasonal_naive_and_skill_beside_rmse():
    store = _store({"embedding": 3.0})
    record = SimpleNamespace(id="r0", config=forecast_config())
    table = metrics_side_by_side(store, [record])
    assert table["model"].tolist() == [
        "embedding LSTM",
        "baseline (training_mean)",
        "baseline (last observed)",
        "baseline (seasonal naive, season 24)",
    ]
    assert list(table.columns[:4]) == ["run", "model", "rmse", "skill"]
    assert table["skill"].iloc[0] == pytest.approx(1 - 3.0 / 3.42)
