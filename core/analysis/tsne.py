"""t-SNE maps of embedding tables, beside PCA for columns with many categories.

PCA keeps global distances but squeezes a large vocabulary into two axes;
t-SNE (scikit-learn) keeps local neighbourhoods, at the price of distances
between groups meaning little. Its axes have no explained variance, so the
returned :class:`~core.analysis.embeddings.Projection` has none.
"""

from __future__ import annotations

import numpy as np
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from core.analysis.embeddings import EmbeddingTable, Projection
from core.errors import DataValidationError

#: Columns with at least this many categories get a t-SNE map beside PCA.
MANY_CATEGORIES = 20
#: t-SNE needs a few points more than its perplexity.
MIN_CATEGORIES = 5
DEFAULT_PERPLEXITY = 30.0


def default_perplexity(categories: int) -> float:
    """30, or a third of the categories when there are fewer than 91."""
    return float(min(DEFAULT_PERPLEXITY, max(2.0, (categories - 1) / 3)))


def project_tsne(
    table: EmbeddingTable, perplexity: float | None = None, seed: int = 0
) -> Projection:
    """Two-dimensional t-SNE coordinates of the vectors (cosine distance).

    Parameters
    ----------
    table : EmbeddingTable
        The vectors to map.
    perplexity : float or None
        Effective neighbours per point; ``None`` uses :func:`default_perplexity`.
    seed : int, default 0
        Seed of the initialisation (PCA initialisation, so runs agree closely).

    Returns
    -------
    Projection
        Coordinates of shape (n, 2); ``explained_variance_ratio`` is empty.

    Raises
    ------
    DataValidationError
        If there are fewer than 5 categories, or the perplexity is not below
        the number of categories.
    """
    rows = table.vectors.shape[0]
    if rows < MIN_CATEGORIES:
        raise DataValidationError(
            table.column,
            f"expected at least {MIN_CATEGORIES} categories for t-SNE, received "
            f"{rows}; PCA is the map for so few",
        )
    chosen = default_perplexity(rows) if perplexity is None else float(perplexity)
    if not 0 < chosen < rows:
        raise DataValidationError(
            table.column,
            f"expected a perplexity between 0 and {rows} (the categories), "
            f"received {chosen}",
        )
    vectors = np.asarray(table.vectors, dtype=np.float64)
    if not np.linalg.norm(vectors, axis=1).all():
        # Cosine distance is undefined for a zero vector: use Euclidean.
        metric = "euclidean"
    else:
        metric = "cosine"
    tsne = TSNE(
        n_components=2,
        perplexity=chosen,
        metric=metric,
        init="pca",
        random_state=seed,
    )
    # One thread: next to TensorFlow's thread pools, scikit-learn's OpenMP
    # threads spin against them and t-SNE ran 10-30x slower (measured, 2 cores).
    with threadpool_limits(limits=1):
        coordinates = tsne.fit_transform(vectors)
    return Projection(coordinates, (), table.labels)
