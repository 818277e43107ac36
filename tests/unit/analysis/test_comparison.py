"""Repeated-seed comparisons: interval arithmetic, verdicts, and the machinery
tested where the truth is certain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.analysis.comparison import ComparisonSpec
from core.analysis.verdict import Difference, paired_difference, verdict
from core.config import (
    ExperimentConfig,
)
from core.errors import ConfigError
from tests.support.configs import comparison_config as _config
from tests.support.tables import category_only_table


def test_paired_t_interval_matches_the_textbook_formula():
    first = [0.80, 0.82, 0.79, 0.85, 0.81]
    second = [0.78, 0.80, 0.80, 0.81, 0.79]
    difference = paired_difference(first, second)
    gaps = np.subtract(first, second)
    margin = 2.7764451051977987 * gaps.std(ddof=1) / math.sqrt(5)  # t(0.975, 4)
    assert difference.mean == pytest.approx(gaps.mean())
    assert difference.low == pytest.approx(gaps.mean() - margin)
    assert difference.high == pytest.approx(gaps.mean() + margin)
    assert "t-interval" in difference.method
    assert difference.seeds == 5


def test_one_seed_has_no_interval_and_says_so():
    difference = paired_difference([0.839], [0.808])
    assert difference.low is None
    assert difference.high is None
    assert "one seed is not evidence" in verdict(difference, "roc_auc")


@pytest.mark.parametrize(
    ("low", "high", "metric", "expected"),
    [
        (0.01, 0.05, "roc_auc", "embeddings better by 0.0300"),
        (-0.05, -0.01, "roc_auc", "one-hot better by 0.0300"),
        (-0.01, 0.05, "roc_auc", "no difference detected at 5 seeds"),
        (-0.05, -0.01, "rmse", "embeddings better by 0.0300"),
        (0.01, 0.05, "rmse", "one-hot better by 0.0300"),
    ],
    ids=["emb-auc", "onehot-auc", "none", "emb-rmse", "onehot-rmse"],
)
def test_verdicts_read_the_interval_and_the_metric_direction(
    low, high, metric, expected
):
    mean = 0.03 if low > 0 else -0.03 if high < 0 else 0.02
    difference = Difference(mean, low, high, "t", 5)
    assert verdict(difference, metric).startswith(expected)


def test_spec_seeds_configs_and_identity():
    spec = ComparisonSpec(_config(), seeds=(0, 1, 2), vary_split=True)
    assert spec.seeded(2).train.seed == 2
    assert spec.seeded(2).split.seed == 2
    assert ComparisonSpec(_config()).seeded(3).split.seed == _config().split.seed
    assert spec.identity("abc") == ComparisonSpec(
        _config(seed=9), seeds=(0, 1, 2), vary_split=True
    ).identity("abc"), "the base seed is not part of the identity"
    assert spec.identity("abc") != spec.identity("abd")
    assert spec.arms == ("embedding", "onehot")
    assert ComparisonSpec(_config(), baseline_arm=True).arms[-1] == "gbm"
    with pytest.raises(ConfigError, match="1 to 20 seeds"):
        ComparisonSpec(_config(), seeds=tuple(range(21)))


def _test_auc(frame: pd.DataFrame, config: ExperimentConfig) -> float:
    from core.model.experiment import run_experiment

    return run_experiment(frame, config).metrics["test"]["roc_auc"]


@pytest.fixture(scope="module")
def seeded_aucs() -> dict[str, list[float]]:
    frame = category_only_table()
    seeds = range(5)
    return {
        "full": [_test_auc(frame, _config(seed=s)) for s in seeds],
        "full_other_seeds": [_test_auc(frame, _config(seed=100 + s)) for s in seeds],
        "without_kind": [
            _test_auc(frame, _config(categorical=(), seed=s)) for s in seeds
        ],
    }


@pytest.mark.slow
def test_arms_that_differ_only_in_the_seed_stream_show_no_difference(seeded_aucs):
    difference = paired_difference(seeded_aucs["full"], seeded_aucs["full_other_seeds"])
    assert difference.low <= 0 <= difference.high
    assert verdict(difference, "roc_auc", "seeds 0-4", "seeds 100-104").startswith(
        "no difference detected at 5 seeds"
    )


@pytest.mark.slow
def test_removing_the_informative_column_loses_with_an_interval_above_zero(
    seeded_aucs,
):
    difference = paired_difference(seeded_aucs["full"], seeded_aucs["without_kind"])
    assert difference.mean > 0
    assert difference.low > 0, difference
    assert verdict(difference, "roc_auc", "full model", "without kind").startswith(
        "full model better by"
    )
