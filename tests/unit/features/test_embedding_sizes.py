"""Embedding-size rules."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.features.embedding_sizes import (
    RULES,
    default_embedding_dim,
    embedding_parameters,
    suggest_embedding_dim,
)


@pytest.mark.parametrize(
    ("cardinality", "expected"),
    [(1, 2), (2, 3), (10, 6), (100, 21), (100_000, 600)],
    ids=["one", "two", "ten", "hundred", "huge-capped"],
)
def test_default_rule_is_fastai_capped_by_reachable_rows(cardinality, expected):
    assert default_embedding_dim(cardinality) == expected


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("cardinality", [0, 1, 7, 5000])
def test_every_rule_gives_a_width_within_the_table(rule, cardinality):
    width = suggest_embedding_dim(cardinality, rule)
    assert 1 <= width <= cardinality + 1


def test_unknown_rule_raises():
    with pytest.raises(ConfigError, match="expected one of"):
        suggest_embedding_dim(10, "magic")


def test_parameters_include_reserved_rows():
    assert embedding_parameters(10, 4) == 48
