"""The comparison's verdict as a type: its kind, its numbers, and today's sentence."""

from __future__ import annotations

import json

import pytest

from core.analysis.comparison import ArmSummary, ComparisonResult
from core.analysis.verdict import (
    Difference,
    VerdictKind,
    judge,
    paired_difference,
    t_interval,
    verdict,
)


def _difference(mean, low, high, seeds=5) -> Difference:
    return Difference(mean, low, high, "t", seeds)


@pytest.mark.parametrize(
    ("difference", "metric", "kind", "winner", "text"),
    [
        (None, "roc_auc", VerdictKind.NO_RESULTS, None, "no finished seeds yet"),
        (
            _difference(0.031, None, None, 1),
            "roc_auc",
            VerdictKind.ONE_SEED,
            None,
            "one seed is not evidence: embeddings − one-hot = +0.0310 roc_auc on a "
            "single run; compare over several seeds",
        ),
        (
            _difference(0.02, -0.01, 0.05),
            "roc_auc",
            VerdictKind.NO_DIFFERENCE,
            None,
            "no difference detected at 5 seeds: embeddings − one-hot = +0.0200 "
            "roc_auc (95% interval -0.0100 to +0.0500)",
        ),
        (
            _difference(0.03, 0.01, 0.05),
            "roc_auc",
            VerdictKind.BETTER,
            "embeddings",
            "embeddings better by 0.0300 roc_auc (95% interval +0.0100 to "
            "+0.0500), 5 seeds",
        ),
        (
            _difference(0.03, 0.01, 0.05),
            "rmse",
            VerdictKind.BETTER,
            "one-hot",
            "one-hot better by 0.0300 rmse (95% interval +0.0100 to +0.0500), 5 seeds",
        ),
    ],
    ids=["none", "one-seed", "no-difference", "embedding-auc", "onehot-rmse"],
)
def test_the_kind_decides_and_the_text_is_the_old_sentence(
    difference, metric, kind, winner, text
):
    judged = judge(difference, metric)
    assert judged.kind is kind
    assert judged.winner == winner
    assert judged.difference == difference
    assert judged.text == text
    assert str(judged) == text
    assert verdict(difference, metric) == text


def test_the_arms_keep_their_names_in_the_sentence():
    judged = judge(_difference(-0.03, -0.05, -0.01), "roc_auc", "full", "without")
    assert judged.kind is VerdictKind.BETTER
    assert judged.winner == "without"
    assert judged.text.startswith("without better by 0.0300 roc_auc")


def test_the_compare_json_keeps_the_verdict_sentence():
    difference = paired_difference([0.9, 0.8, 0.85], [0.7, 0.6, 0.7])
    arm = ArmSummary({0: 0.9}, 0.9, 0.0, None, None, None)
    judged = judge(difference, "roc_auc")
    result = ComparisonResult(
        "cmp-x", "roc_auc", {"embedding": arm}, difference, judged, None, {0: "r"}, 0
    )
    report = json.loads(json.dumps(result.to_dict()))
    assert report["verdict"] == result.verdict.text
    assert report["verdict"].startswith("embeddings better by")
    assert list(report) == [
        "comparison", "metric", "arms", "difference", "verdict", "baseline", "runs",
        "pending", "baselines", "skill", "versus_baselines",
    ]  # fmt: skip


def test_t_interval_is_symmetric_and_absent_for_one_value():
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert mean == pytest.approx(2.0)
    assert mean - low == pytest.approx(high - mean)
    assert low < 1.0 < 3.0 < high  # t(0.975, 2) * 1 / sqrt(3) is about 2.48
    assert t_interval([4.0]) == (4.0, None, None)
