"""The leaderboard: arms and baselines best first, and who beats the strongest."""

from __future__ import annotations

import dataclasses

import pytest

from core.analysis.comparison import ArmSummary, summarize
from core.analysis.leaderboard import leaderboard
from core.runs.store import RunStore

pytestmark = pytest.mark.slow  # reads the session's trained tiny comparison


@pytest.fixture(scope="module")
def compared(tiny_comparison_runs):
    root, comparison, _records, _frame = tiny_comparison_runs
    store = RunStore(root)
    return store, summarize(store, comparison)


def test_rows_are_best_first_with_intervals_and_the_naive_baseline(compared):
    store, result = compared
    board = leaderboard(store, result)
    names = [row.name for row in board.rows]
    assert "embedding" in names
    assert "naive" in names
    means = [row.mean for row in board.rows]
    assert means == sorted(means, reverse=True)  # ROC AUC: higher is better
    embedding = next(row for row in board.rows if row.name == "embedding")
    assert embedding.seeds == 2
    assert embedding.low <= embedding.mean <= embedding.high
    assert board.strongest_baseline.name == "naive"
    assert board.to_dict()["strongest_baseline"] == "naive"


def test_a_model_below_the_strongest_baseline_is_named_in_words(compared):
    store, result = compared
    worse = ArmSummary({0: 0.30, 1: 0.32}, 0.31, 0.01, None, None, None)
    losing = dataclasses.replace(result, arms={"embedding": worse})
    board = leaderboard(store, losing)
    assert board.verdict.startswith("No model beats the naive baseline")
    row = next(row for row in board.table_rows() if row["name"] == "embedding")
    assert row["note"] == "does not beat naive"
    assert board.rows[0].name == "naive"
