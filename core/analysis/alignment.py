"""Putting embedding tables into common coordinates: Procrustes and a shared PCA.

Embedding tables learned from different seeds, or at different epochs, are
equally good in any rotation, so they are compared only after an orthogonal
Procrustes rotation (:func:`scipy.linalg.orthogonal_procrustes`) and drawn on
one set of principal axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_ITERATIONS = 20


def centred(vectors: np.ndarray) -> np.ndarray:
    """Rows minus their mean."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors - vectors.mean(axis=0)


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Centred, and scaled to unit Frobenius norm (zero tables stay zero)."""
    table = centred(vectors)
    norm = np.linalg.norm(table)
    return table / norm if norm > 0 else table


def rotate_onto(table: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``table`` rotated (or reflected) as close as possible to ``reference``."""
    # Imported here: the command line registers its commands through this module
    # and should not pay for SciPy and scikit-learn on every start.
    from scipy.linalg import orthogonal_procrustes

    rotation, _ = orthogonal_procrustes(table, reference)
    return table @ rotation


def align_to_consensus(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """Rotate normalised tables onto their consensus (generalised Procrustes).

    Parameters
    ----------
    matrices : sequence of numpy.ndarray of shape (n, d)
        The same categories, in the same row order, from each seed.

    Returns
    -------
    numpy.ndarray of shape (tables, n, d)
        Each table centred, scaled to unit norm and rotated onto the mean.
    """
    tables = np.stack([normalised(matrix) for matrix in matrices])
    aligned = tables.copy()
    reference = tables[0]
    for _ in range(_ITERATIONS):
        for i, table in enumerate(tables):
            aligned[i] = rotate_onto(table, reference)
        consensus = normalised(aligned.mean(axis=0))
        if np.linalg.norm(consensus - reference) < 1e-9:
            break
        reference = consensus
    return aligned


def shared_pca(reference: np.ndarray, tables: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Two coordinates per row of each table, on the principal axes of ``reference``.

    A missing second component (one-dimensional vectors) is zeros.
    """
    components = min(2, *reference.shape)
    # Start-up cost, as in rotate_onto: scikit-learn only when aligning.
    from sklearn.decomposition import PCA

    pca = PCA(n_components=components, svd_solver="full").fit(reference)
    projected = []
    for table in tables:
        coordinates = np.zeros((len(table), 2))
        coordinates[:, :components] = pca.transform(table)
        projected.append(coordinates)
    return projected
