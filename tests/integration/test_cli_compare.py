"""``compare`` and ``sweep`` through the executor: JSON reports, resuming."""

from __future__ import annotations

import json

import pytest

from core.cli.main import main
from core.runs.store import RunStore
from tests.support.tables import category_only_table

pytestmark = pytest.mark.slow

FLAGS = (
    "--target label --id entity --time step --categorical kind:2 --numeric noise "
    "--epochs 2 --batch-size 16"
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    category_only_table(entities=48).to_csv(folder / "data.csv", index=False)
    return folder


def _run(data, command: str, report: str) -> dict:
    argv = [
        *command.split(), "--data", str(data / "data.csv"), *FLAGS.split(),
        "--runs-dir", str(data / "runs"), "--json", str(data / report),
    ]  # fmt: skip
    assert main(argv) == 0
    return json.loads((data / report).read_text())


def test_compare_reports_every_arm_over_the_seeds_and_resumes(data):
    report = _run(data, "compare --seeds 2 --baseline-arm", "compare.json")
    assert report["metric"] == "roc_auc"
    assert set(report["arms"]) == {"embedding", "onehot", "gbm"}
    for arm in report["arms"].values():
        assert set(arm["per_seed"]) == {"0", "1"}
        assert {"mean", "std"} <= set(arm)
    difference = report["difference"]
    assert {"mean", "low", "high", "method"} <= set(difference)
    assert difference["low"] <= difference["mean"] <= difference["high"]
    assert "t-interval" in difference["method"]
    assert report["verdict"]
    assert report["baseline"] == pytest.approx(0.5)
    runs_before = len(RunStore(data / "runs").records())
    again = _run(data, "compare --seeds 2 --baseline-arm", "again.json")
    assert len(RunStore(data / "runs").records()) == runs_before, "finished runs reused"
    assert again["arms"] == report["arms"]


def test_sweep_reports_each_size_and_recommends_one(data):
    report = _run(data, "sweep --column kind --sizes 1,3 --seeds 2", "sweep.json")
    rows = {row["size"]: row for row in report["rows"]}
    assert set(rows) == {"1", "3", "one-hot"}
    assert rows["3"]["column parameters"] > rows["1"]["column parameters"]
    assert all(row["seeds"] == 2 for row in rows.values())
    # The best size has the higher mean AUC; the recommendation is the smallest
    # size whose mean lies inside the best size's interval.
    means = {size: rows[str(size)]["mean"] for size in (1, 3)}
    best = max(means, key=means.get)
    assert report["best"] == best
    low, high = rows[str(best)]["low"], rows[str(best)]["high"]
    assert report["recommended"] == min(s for s in means if low <= means[s] <= high)
