"""Do the embeddings say the same thing on every seed? Stability across seeds.

Runs of one configuration with different seeds learn vectors in different
coordinates: any rotation of a table fits the data equally well. Each seed's
table is therefore centred, scaled to unit size and rotated onto a common
consensus with orthogonal Procrustes (:func:`scipy.linalg.orthogonal_procrustes`,
iterated as generalised Procrustes analysis). Per category this module reports

- **spread**: how far the category's aligned points lie from their mean, relative
  to how far categories lie from the centre (0 = the same place on every seed;
  Procrustes fits some noise, so unrelated tables of few, narrow vectors still
  reach only about 0.4 to 0.9);
- **neighbour agreement**: the share of its ``k`` nearest neighbours (cosine, in
  each seed's own space, so no alignment is involved) that two seeds have in
  common, averaged over every pair of seeds; chance is about ``k / (n - 1)``, so
  it is also given **above chance**: ``(agreement - chance) / (1 - chance)``
  (0 = chance, 1 = the same neighbours on every seed);
- **movement**: with the epoch-0 snapshot, how far training moved the vector
  from its initialisation, relative to the median category.

Categories are matched by label, so seeds whose vocabularies differ (a split
that moved with the seed) are compared on the labels they share. Nothing here
imports TensorFlow; :mod:`core.analysis.stability_runs` reads the runs of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.alignment import align_to_consensus, shared_pca
from core.errors import DataValidationError
from core.features.vocabulary import FIRST_CATEGORY_INDEX

#: A category is unstable when its neighbour agreement is less than this share
#: of the way from chance to perfect agreement ...
MIN_AGREEMENT_ABOVE_CHANCE = 0.3
#: ... or when its spread after alignment is above this.
MAX_SPREAD = 0.5
#: A category seen fewer times than this share of the median count is rare.
RARE_SHARE = 0.1
#: A rare category that moved less than this share of the median movement
#: barely left its initialisation.
STILL_SHARE = 0.5
DEFAULT_NEIGHBOURS = 5


@dataclass(frozen=True, eq=False)
class SeedVectors:
    """One seed's learned vectors of one categorical column.

    Attributes
    ----------
    seed : int
        The training seed.
    labels : tuple of str
        One label per row of ``vectors`` (vocabulary order).
    vectors : numpy.ndarray of shape (n, d)
        Learned vectors of the real categories (no reserved rows).
    counts : tuple of int
        Training rows per label.
    initial : numpy.ndarray of shape (n, d) or None
        The same rows at initialisation (epoch 0), when known.
    """

    seed: int
    labels: tuple[str, ...]
    vectors: np.ndarray
    counts: tuple[int, ...]
    initial: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class ColumnStability:
    """Stability of one column's embedding over seeds.

    Attributes
    ----------
    column : str
        The categorical column.
    seeds : tuple of int
        The seeds compared.
    k : int
        Neighbours per category.
    categories : pandas.DataFrame
        One row per shared category: ``label``, ``count``,
        ``neighbour_agreement``, ``agreement_above_chance``, ``spread``,
        ``movement`` (NaN without initialisation), ``unstable`` and
        ``barely_moved``.
    points : pandas.DataFrame
        The aligned map: ``seed``, ``label``, ``pc_1``, ``pc_2`` per seed and
        category, and ``seed = -1`` rows for the consensus.
    chance_agreement : float
        Neighbour agreement expected from random neighbours.
    dropped : tuple of str
        Labels missing from some seed's vocabulary, left out.
    """

    column: str
    seeds: tuple[int, ...]
    k: int
    categories: pd.DataFrame
    points: pd.DataFrame
    chance_agreement: float
    dropped: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mean_agreement(self) -> float:
        """Mean neighbour agreement over the categories."""
        return float(self.categories["neighbour_agreement"].mean())

    @property
    def score(self) -> float:
        """Mean neighbour agreement above chance (0 = chance, 1 = identical)."""
        return float(self.categories["agreement_above_chance"].mean())

    @property
    def median_spread(self) -> float:
        """Median spread after alignment."""
        return float(self.categories["spread"].median())

    @property
    def unstable_share(self) -> float:
        """Share of categories flagged unstable."""
        return float(self.categories["unstable"].mean())

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary and per-category table."""
        table = self.categories.astype(object).where(self.categories.notna(), None)
        return {
            "column": self.column,
            "seeds": list(self.seeds),
            "k": self.k,
            "mean_agreement": self.mean_agreement,
            "chance_agreement": self.chance_agreement,
            "score": self.score,
            "median_spread": self.median_spread,
            "unstable_share": self.unstable_share,
            "dropped": list(self.dropped),
            "categories": table.to_dict(orient="records"),
        }


def seed_vectors(
    table: Any, seed: int, initial_matrix: np.ndarray | None = None
) -> SeedVectors:
    """A :class:`SeedVectors` from an :class:`~core.analysis.embeddings.EmbeddingTable`.

    Parameters
    ----------
    table : EmbeddingTable
        From :func:`core.analysis.embeddings.extract_embedding` (without the
        unknown row).
    seed : int
        The run's seed.
    initial_matrix : numpy.ndarray or None
        The full epoch-0 matrix of the column (reserved rows included), as
        :func:`core.model.run_logging.read_snapshots` returns it.
    """
    initial = None
    if initial_matrix is not None:
        initial = np.asarray(initial_matrix, dtype=np.float64)[FIRST_CATEGORY_INDEX:]
        if initial.shape != table.vectors.shape:
            raise DataValidationError(
                table.column,
                f"expected an initial matrix of shape {table.vectors.shape}, "
                f"received {initial.shape}",
            )
    return SeedVectors(seed, table.labels, table.vectors, table.counts, initial)


def _neighbour_membership(vectors: np.ndarray, k: int) -> np.ndarray:
    """Boolean (n, n): row i marks the k most cosine-similar other categories."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    membership = np.zeros(similarity.shape, dtype=bool)
    np.put_along_axis(membership, nearest, True, axis=1)
    return membership


def neighbour_agreement(matrices: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Per category: mean share of k nearest neighbours two seeds have in common."""
    memberships = [_neighbour_membership(np.asarray(m), k) for m in matrices]
    overlaps = [
        (first & second).sum(axis=1) / k
        for first, second in combinations(memberships, 2)
    ]
    return np.mean(overlaps, axis=0)


def _shared(seeds: Sequence[SeedVectors]) -> tuple[list[str], tuple[str, ...]]:
    """Labels in every seed (first seed's order) and those left out."""
    common = set(seeds[0].labels).intersection(*(s.labels for s in seeds[1:]))
    everything = dict.fromkeys(label for s in seeds for label in s.labels)
    dropped = tuple(label for label in everything if label not in common)
    return [label for label in seeds[0].labels if label in common], dropped


def _rows(seed: SeedVectors, labels: list[str]) -> np.ndarray:
    position = {label: i for i, label in enumerate(seed.labels)}
    return np.asarray([position[label] for label in labels], dtype=np.int64)


def _movement(seeds: Sequence[SeedVectors], rows: list[np.ndarray]) -> np.ndarray:
    """Mean distance from initialisation per category, over the median category."""
    if any(s.initial is None for s in seeds):
        return np.full(len(rows[0]), np.nan)
    distances = np.mean(
        [
            np.linalg.norm(s.vectors[r] - s.initial[r], axis=1)
            for s, r in zip(seeds, rows, strict=True)
        ],
        axis=0,
    )
    median = float(np.median(distances))
    return distances / median if median > 0 else np.zeros_like(distances)


def _aligned_map(
    aligned: np.ndarray, seeds: tuple[int, ...], labels: list[str]
) -> pd.DataFrame:
    """Every seed's aligned points and the consensus on the consensus's PCA axes."""
    consensus = aligned.mean(axis=0)
    maps = shared_pca(consensus, [consensus, *aligned])
    frames = [
        pd.DataFrame(
            {"seed": seed, "label": labels, "pc_1": xy[:, 0], "pc_2": xy[:, 1]}
        )
        for seed, xy in zip((-1, *seeds), maps, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


def column_stability(
    column: str,
    seeds: Sequence[SeedVectors],
    k: int = DEFAULT_NEIGHBOURS,
) -> ColumnStability:
    """Align every seed's table of one column and score each category.

    Parameters
    ----------
    column : str
        The categorical column (for messages and the result).
    seeds : sequence of SeedVectors
        At least two seeds' vectors, all of the same width.
    k : int, default 5
        Neighbours per category (lowered to ``n - 1`` for small vocabularies).

    Returns
    -------
    ColumnStability
        Per-category scores, flags and the aligned map. A category is
        ``unstable`` when its agreement above chance is below 0.3 or its
        spread above 0.5; ``barely_moved`` when it is rare (fewer rows than a
        tenth of the median category) and moved less than half the median
        distance from its initialisation.

    Raises
    ------
    DataValidationError
        If fewer than two seeds or three shared categories are given, or the
        tables differ in width.
    """
    labels, dropped, k = _checked(column, seeds, k)
    rows = [_rows(s, labels) for s in seeds]
    matrices = [s.vectors[r] for s, r in zip(seeds, rows, strict=True)]
    aligned = align_to_consensus(matrices)
    agreement = neighbour_agreement(matrices, k)
    chance = k / (len(labels) - 1)
    above_chance = (agreement - chance) / (1 - chance) if chance < 1 else agreement
    counts = np.mean(
        [np.asarray(s.counts)[r] for s, r in zip(seeds, rows, strict=True)], axis=0
    )
    movement = _movement(seeds, rows)
    spread = _spread(aligned)
    rare = counts < RARE_SHARE * np.median(counts)
    categories = pd.DataFrame(
        {
            "label": labels,
            "count": counts,
            "neighbour_agreement": agreement,
            "agreement_above_chance": above_chance,
            "spread": spread,
            "movement": movement,
            "unstable": (above_chance < MIN_AGREEMENT_ABOVE_CHANCE)
            | (spread > MAX_SPREAD),
            "barely_moved": rare & (movement < STILL_SHARE),
        }
    )
    numbers = tuple(s.seed for s in seeds)
    points = _aligned_map(aligned, numbers, labels)
    return ColumnStability(column, numbers, k, categories, points, chance, dropped)


def _checked(
    column: str, seeds: Sequence[SeedVectors], k: int
) -> tuple[list[str], tuple[str, ...], int]:
    """Shared labels, dropped labels and the usable k; raises on bad input."""
    if len(seeds) < 2:
        raise DataValidationError(
            column, f"expected at least 2 seeds to compare, received {len(seeds)}"
        )
    widths = sorted({s.vectors.shape[1] for s in seeds})
    if len(widths) > 1:
        raise DataValidationError(
            column, f"expected one embedding width on every seed, received {widths}"
        )
    labels, dropped = _shared(seeds)
    if len(labels) < 3:
        raise DataValidationError(
            column,
            f"expected at least 3 categories shared by every seed, received "
            f"{len(labels)}",
        )
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise DataValidationError(column, f"expected k >= 1, received {k!r}")
    return labels, dropped, min(k, len(labels) - 1)


def _spread(aligned: np.ndarray) -> np.ndarray:
    """RMS distance of each category's seeds from their mean, over the map's scale."""
    consensus = aligned.mean(axis=0)
    scale = np.sqrt(np.mean(np.sum(consensus**2, axis=1)))
    deviation = np.sqrt(np.mean(np.sum((aligned - consensus) ** 2, axis=2), axis=0))
    return deviation / scale if scale > 0 else np.full(len(consensus), np.inf)
