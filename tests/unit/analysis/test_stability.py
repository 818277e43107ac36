"""Stability over seeds: alignment arithmetic, and planted vs shuffled truth."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.alignment import align_to_consensus
from core.analysis.stability import SeedVectors, column_stability, neighbour_agreement
from core.errors import DataValidationError


def _rotation(dimensions: int, seed: int) -> np.ndarray:
    matrix = np.random.default_rng(seed).normal(size=(dimensions, dimensions))
    return np.linalg.qr(matrix)[0]


def _seed(seed: int, vectors: np.ndarray, labels=None, initial=None) -> SeedVectors:
    labels = labels or tuple(f"c{i}" for i in range(len(vectors)))
    return SeedVectors(seed, tuple(labels), vectors, (10,) * len(labels), initial)


def test_rotated_copies_align_exactly_and_score_as_perfectly_stable():
    base = np.random.default_rng(0).normal(size=(10, 3))
    seeds = [_seed(s, 2.0 * base @ _rotation(3, s) + s) for s in range(3)]
    aligned = align_to_consensus([s.vectors for s in seeds])
    np.testing.assert_allclose(aligned[0], aligned[1], atol=1e-9)
    np.testing.assert_allclose(aligned[0], aligned[2], atol=1e-9)
    result = column_stability("kind", seeds, k=3)
    assert result.categories["spread"].max() < 1e-6
    # Cosine neighbours are not shift-invariant; rotations alone keep them.
    unshifted = [_seed(s, base @ _rotation(3, s)) for s in range(3)]
    assert column_stability("kind", unshifted, k=3).mean_agreement == 1.0
    assert set(result.points["seed"]) == {-1, 0, 1, 2}


def test_unrelated_tables_are_unstable():
    rng = np.random.default_rng(1)
    seeds = [_seed(s, rng.normal(size=(30, 4))) for s in range(4)]
    result = column_stability("kind", seeds, k=5)
    assert result.mean_agreement < 0.35
    assert result.median_spread > 0.6
    assert result.unstable_share > 0.8


def test_neighbour_agreement_counts_shared_neighbours():
    first = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    swapped = first[[0, 2, 1, 3]]  # rows 1 and 2 trade places
    agreement = neighbour_agreement([first, swapped], k=1)
    np.testing.assert_allclose(agreement, [0.0, 0.0, 0.0, 0.0])
    assert neighbour_agreement([first, first], k=1).tolist() == [1.0] * 4


def test_categories_are_matched_by_label_and_missing_ones_reported():
    base = np.random.default_rng(2).normal(size=(5, 2))
    first = _seed(0, base, labels=("a", "b", "c", "d", "e"))
    # Seed 1 orders its vocabulary differently and lacks "e".
    second = _seed(1, base[[3, 2, 1, 0]], labels=("d", "c", "b", "a"))
    result = column_stability("kind", [first, second], k=2)
    assert list(result.categories["label"]) == ["a", "b", "c", "d"]
    assert result.dropped == ("e",)
    assert result.categories["spread"].max() < 1e-6


def test_rare_categories_that_barely_moved_are_flagged():
    rng = np.random.default_rng(3)
    initial = rng.normal(scale=0.01, size=(6, 2))
    final = initial + rng.normal(size=(6, 2))
    final[5] = initial[5]  # the rare category never moved
    counts = (100, 90, 80, 70, 60, 1)
    seeds = [
        SeedVectors(s, tuple("abcdef"), final @ _rotation(2, s), counts,
                    initial @ _rotation(2, s))
        for s in range(2)
    ]  # fmt: skip
    flags = column_stability("kind", seeds, k=2).categories.set_index("label")
    assert flags.loc["f", "barely_moved"]
    assert not flags.drop(index="f")["barely_moved"].any()
    assert flags.loc["f", "movement"] < 0.1


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        (1, "at least 2 seeds"),
        (2, "one embedding width"),
    ],
    ids=["one-seed", "widths-differ"],
)
def test_bad_inputs_name_the_column(seeds, message):
    tables = [np.ones((4, 2)), np.ones((4, 3))][:seeds]
    with pytest.raises(DataValidationError, match="column 'kind'.*" + message):
        column_stability("kind", [_seed(i, t) for i, t in enumerate(tables)])


# -- planted truth ------------------------------------------------------------

SEEDS = (0, 1, 2)


def _stability(shuffled: bool, column: str = "machine_type"):
    from core.analysis.embeddings import extract_embedding
    from core.analysis.stability import seed_vectors
    from tests.support.insight_models import trained

    vectors = []
    for seed in SEEDS:
        run = trained(seed, shuffled)
        table = extract_embedding(run.model, run.prepared.preprocessor, column)
        vectors.append(seed_vectors(table, seed, run.snapshots[0][column]))
    return column_stability(column, vectors, k=3)


@pytest.fixture(scope="module")
def planted():
    return _stability(shuffled=False)


@pytest.fixture(scope="module")
def shuffled():
    return _stability(shuffled=True)


# Measured (this machine, seeds 0-2, k = 3): planted machine_type score 0.73,
# median spread 0.13, 17 % unstable; shuffled target 0.06, 0.42, 92 %; the noise
# column inside the planted runs -0.07, 0.39, 100 %.


@pytest.mark.slow
def test_planted_machine_families_come_out_stable(planted):
    assert planted.score > 0.4
    assert planted.median_spread < 0.25
    assert planted.unstable_share <= 0.34


@pytest.mark.slow
def test_a_shuffled_target_gives_unstable_embeddings(planted, shuffled):
    assert shuffled.score < 0.2
    assert shuffled.unstable_share >= 0.66
    assert planted.score - shuffled.score > 0.3
    assert planted.median_spread < 0.5 * shuffled.median_spread


@pytest.mark.slow
def test_a_pure_noise_column_is_unstable_even_in_the_planted_runs():
    from tests.support.insight_models import NOISE_CATEGORICAL

    noise = _stability(shuffled=False, column=NOISE_CATEGORICAL)
    assert noise.score < 0.2
    assert noise.unstable_share >= 0.66
