"""Analysis of learned embedding matrices: extraction, PCA, similarity, export.

Weights are fetched by layer name (:func:`core.features.naming.embedding_layer_name`),
never by position, so a reloaded model gives the same table. The reserved rows
0 (padding) and 1 (unknown) are dropped; row ``i + 2`` belongs to vocabulary
entry ``i``. Only :func:`extract_embedding` touches Keras, and imports it lazily;
:func:`stored_embedding` reads a saved bundle's weights file instead, so the web
server never imports TensorFlow for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.neighbors import NearestNeighbors

from core.data.io import FORMULA_PREFIXES
from core.data.values import natural_order
from core.errors import DataValidationError, NotFittedError
from core.features.naming import embedding_layer_name
from core.features.vocabulary import FIRST_CATEGORY_INDEX, UNKNOWN_INDEX, UNKNOWN_LABEL
from core.runs.stored_models import stored_embedding_weights

if TYPE_CHECKING:
    import keras

    from core.features.preprocessor import SequencePreprocessor


@dataclass(frozen=True, eq=False)
class EmbeddingTable:
    """One categorical column's learned vectors with their labels.

    Attributes
    ----------
    column : str
        The categorical column.
    labels : tuple of str
        One label per row of ``vectors``, most frequent category first.
    vectors : numpy.ndarray of shape (n, d)
        Read-only embedding vectors.
    counts : tuple of int
        Training frequency of each label (0 for the unknown row).
    target_means : tuple of float or None
        Mean training target of rows with each label (``None`` when undefined).
    """

    column: str
    labels: tuple[str, ...]
    vectors: np.ndarray
    counts: tuple[int, ...]
    target_means: tuple[float | None, ...]


@dataclass(frozen=True, eq=False)
class Projection:
    """Low-dimensional coordinates of an embedding table.

    Attributes
    ----------
    coordinates : numpy.ndarray of shape (n, k)
        Principal-component coordinates; missing components are zeros.
    explained_variance_ratio : tuple of float
        Share of variance of each component (0.0 for missing components).
    labels : tuple of str
        Label of each row.
    """

    coordinates: np.ndarray
    explained_variance_ratio: tuple[float, ...]
    labels: tuple[str, ...]


def _layer_error(column: str, available: list[str]) -> DataValidationError:
    """The error for a column without an embedding layer."""
    return DataValidationError(
        column,
        f"expected a categorical column with an embedding layer (one of "
        f"{available}), received {column!r}",
    )


def _embedding_weights(
    model: keras.Model, column: str, available: list[str]
) -> np.ndarray:
    """The full weight matrix of ``column``'s embedding layer, fetched by name."""
    # Start-up cost: Keras only to read a live model; the pages read stored arrays.
    import keras

    try:
        layer = model.get_layer(embedding_layer_name(column))
    except (KeyError, ValueError) as error:
        raise _layer_error(column, available) from error
    if not isinstance(layer, keras.layers.Embedding):
        raise _layer_error(column, available)
    return np.asarray(keras.ops.convert_to_numpy(layer.embeddings), dtype=np.float64)


def extract_embedding(
    model: keras.Model,
    preprocessor: SequencePreprocessor,
    column: str,
    include_unknown: bool = False,
) -> EmbeddingTable:
    """Learned vectors of one categorical column, labelled from the vocabulary.

    Parameters
    ----------
    model : keras.Model
        A trained model with an ``Embedding`` named
        ``embedding_layer_name(column)``.
    preprocessor : SequencePreprocessor
        The fitted preprocessor the model was trained with.
    column : str
        The categorical column.
    include_unknown : bool, default False
        Keep the unknown row (index 1), labelled ``"<unknown>"``, first.

    Returns
    -------
    EmbeddingTable
        Vectors of the real categories (and optionally the unknown row).

    Raises
    ------
    NotFittedError
        If the preprocessor is not fitted.
    DataValidationError
        If the column has no embedding layer, or the layer's size does not
        match the vocabulary.
    """
    vocabularies = _fitted_vocabularies(preprocessor, column)
    weights = _embedding_weights(model, column, sorted(vocabularies))
    return embedding_table(weights, preprocessor, column, include_unknown)


def stored_embedding(
    bundle_path: str | Path,
    preprocessor: SequencePreprocessor,
    column: str,
    include_unknown: bool = False,
) -> EmbeddingTable:
    """:func:`extract_embedding` of a saved bundle, read from its weights file.

    The same table as from the loaded model, without loading it (no
    TensorFlow): what the web server's pages use for a run's models.

    Raises
    ------
    NotFittedError, DataValidationError
        As :func:`extract_embedding`.
    BundleError
        If the bundle's ``model.keras`` is missing or damaged.
    """
    _fitted_vocabularies(preprocessor, column)
    weights = stored_embedding_weights(bundle_path, column)
    return embedding_table(weights, preprocessor, column, include_unknown)


def _fitted_vocabularies(
    preprocessor: SequencePreprocessor, column: str
) -> dict[str, Any]:
    """The preprocessor's vocabularies; raises unless fitted and ``column`` in them."""
    vocabularies = getattr(preprocessor, "vocabularies_", None)
    if vocabularies is None:
        raise NotFittedError("the preprocessor must be fitted before embeddings")
    if column not in vocabularies:
        raise _layer_error(column, sorted(vocabularies))
    return vocabularies


def embedding_table(
    weights: np.ndarray,
    preprocessor: SequencePreprocessor,
    column: str,
    include_unknown: bool = False,
) -> EmbeddingTable:
    """The table of ``column`` from its embedding layer's full weight matrix
    (rows 0 and 1 reserved), labelled from the fitted preprocessor.

    Raises
    ------
    DataValidationError
        If the matrix's rows do not match the vocabulary.
    """
    vocabulary = [
        str(label) for label in _fitted_vocabularies(preprocessor, column)[column]
    ]
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape[0] != len(vocabulary) + FIRST_CATEGORY_INDEX:
        raise DataValidationError(
            column,
            f"expected an embedding with {len(vocabulary) + FIRST_CATEGORY_INDEX} "
            f"rows (vocabulary + 2 reserved), received {weights.shape[0]}; the "
            "model and preprocessor do not belong together",
        )
    counts = getattr(preprocessor, "category_counts_", {}).get(column)
    means = getattr(preprocessor, "category_target_means_", {}).get(column)
    counts = [int(c) for c in counts] if counts else [0] * len(vocabulary)
    means = [_optional_float(m) for m in means] if means else [None] * len(vocabulary)
    first = FIRST_CATEGORY_INDEX
    if include_unknown:
        first = UNKNOWN_INDEX
        unknown = UNKNOWN_LABEL if UNKNOWN_LABEL not in vocabulary else "<unknown row>"
        vocabulary, counts, means = [unknown, *vocabulary], [0, *counts], [None, *means]
    vectors = weights[first:].copy()
    vectors.setflags(write=False)
    return EmbeddingTable(
        column, tuple(vocabulary), vectors, tuple(counts), tuple(means)
    )


def _optional_float(value: Any) -> float | None:
    """A finite float, or ``None``."""
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def project_pca(table: EmbeddingTable, n_components: int = 2) -> Projection:
    """Principal-component projection of the vectors (scikit-learn PCA).

    Components that cannot exist (fewer categories or dimensions than asked
    for) are filled with zeros and an explained variance of 0.0.

    Parameters
    ----------
    table : EmbeddingTable
        The vectors to project.
    n_components : int, default 2
        Number of coordinates per category.

    Returns
    -------
    Projection
        Coordinates of shape (n, n_components) and explained variance ratios.

    Raises
    ------
    DataValidationError
        If the table has no categories or ``n_components`` is below 1.
    """
    if isinstance(n_components, bool) or not isinstance(n_components, int):
        raise DataValidationError(
            table.column, f"expected an integer n_components, received {n_components!r}"
        )
    if n_components < 1:
        raise DataValidationError(
            table.column, f"expected n_components >= 1, received {n_components}"
        )
    rows, dimensions = table.vectors.shape
    if rows == 0:
        raise DataValidationError(
            table.column, "expected at least one learned category, received none"
        )
    coordinates = np.zeros((rows, n_components))
    ratios = np.zeros(n_components)
    fitted = min(n_components, rows, dimensions)
    total_variance = float(table.vectors.var(axis=0).sum())
    # One row, or identical rows, have no variance to explain: all zeros.
    if rows >= 2 and total_variance > 0:
        pca = PCA(n_components=fitted, svd_solver="full")
        coordinates[:, :fitted] = pca.fit_transform(table.vectors)
        ratios[:fitted] = np.nan_to_num(pca.explained_variance_ratio_)
    return Projection(coordinates, tuple(float(r) for r in ratios), table.labels)


def cluster_categories(
    table: EmbeddingTable, n_clusters: int, seed: int = 0
) -> tuple[int, ...]:
    """Group the categories by their vectors with k-means (scikit-learn).

    Used to compare learned structure with groups the user knows (for example
    machine families), or to colour a PCA plot.

    Parameters
    ----------
    table : EmbeddingTable
        The vectors to group.
    n_clusters : int
        Number of groups, between 1 and the number of categories.
    seed : int, default 0
        Seed of the k-means initialisation (ten restarts, best inertia kept).

    Returns
    -------
    tuple of int
        Group of each label, in the order of ``table.labels``.

    Raises
    ------
    DataValidationError
        If ``n_clusters`` is not between 1 and the number of categories.
    """
    rows = table.vectors.shape[0]
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, int):
        raise DataValidationError(
            table.column, f"expected an integer n_clusters, received {n_clusters!r}"
        )
    if not 1 <= n_clusters <= rows:
        raise DataValidationError(
            table.column,
            f"expected n_clusters between 1 and {rows} (the number of categories), "
            f"received {n_clusters}",
        )
    # Identical vectors (an untrained or collapsed table) cannot be split further.
    distinct = len(np.unique(table.vectors, axis=0))
    kmeans = KMeans(n_clusters=min(n_clusters, distinct), n_init=10, random_state=seed)
    return tuple(int(group) for group in kmeans.fit_predict(table.vectors))


#: Categories shown in the similarity heatmap: the most frequent ones.
HEATMAP_CATEGORIES = 60


def cosine_similarity_matrix(
    table: EmbeddingTable, limit: int | None = None
) -> pd.DataFrame:
    """Cosine similarity of every pair of categories (scikit-learn).

    Parameters
    ----------
    table : EmbeddingTable
        The vectors to compare.
    limit : int, optional
        Only the ``limit`` most frequent categories (the first rows), so a
        heatmap of 60 never computes the n x n matrix of 10,000 categories.

    Returns
    -------
    pandas.DataFrame
        Square frame with the labels as index and columns; values in
        [-1, 1]. A zero vector has similarity 0 to everything, itself included.
    """
    rows = len(table.labels) if limit is None else min(limit, len(table.labels))
    vectors = table.vectors[:rows]
    similarity = (
        np.clip(cosine_similarity(vectors), -1.0, 1.0) if rows else np.zeros((0, 0))
    )
    labels = list(table.labels[:rows])
    return pd.DataFrame(similarity, index=labels, columns=labels)


def heatmap_similarity(
    table: EmbeddingTable, limit: int = HEATMAP_CATEGORIES
) -> pd.DataFrame:
    """The heatmap's similarities: the most frequent categories, in natural order.

    Numeric-looking labels (hours, codes) read 0, 1, 2, ..., 10 rather than
    0, 1, 10, 11, ...
    """
    similarity = cosine_similarity_matrix(table, limit)
    order = natural_order(similarity.index)
    return similarity.loc[order, order]


def nearest_neighbours(table: EmbeddingTable, label: str, k: int = 5) -> pd.DataFrame:
    """The ``k`` categories most cosine-similar to ``label`` (scikit-learn).

    Parameters
    ----------
    table : EmbeddingTable
        The vectors to search.
    label : str
        A label of the table (the query; left out of the result).
    k : int, default 5
        Most neighbours to return.

    Returns
    -------
    pandas.DataFrame
        Columns ``label`` and ``similarity``, most similar first.

    Raises
    ------
    DataValidationError
        If ``label`` is not in the table or ``k`` is below 1.
    """
    if label not in table.labels:
        raise DataValidationError(
            table.column, f"expected one of the learned categories, received {label!r}"
        )
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise DataValidationError(
            table.column, f"expected k to be an integer >= 1, received {k!r}"
        )
    position = table.labels.index(label)
    count = min(k + 1, len(table.labels))
    search = NearestNeighbors(n_neighbors=count, metric="cosine", algorithm="brute")
    search.fit(table.vectors)
    distances, indices = search.kneighbors(table.vectors[position : position + 1])
    found = [
        (int(i), float(d))
        for i, d in zip(indices[0], distances[0], strict=True)
        if i != position
    ][:k]
    return pd.DataFrame(
        {
            "label": [table.labels[i] for i, _ in found],
            "similarity": [float(np.clip(1.0 - d, -1.0, 1.0)) for _, d in found],
        }
    )


def _metadata_label(label: str) -> str:
    """A label safe for one TSV cell and for spreadsheets."""
    text = " ".join(str(label).replace("\t", " ").splitlines()) or " "
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def projector_bytes(table: EmbeddingTable) -> tuple[bytes, bytes]:
    """``vectors.tsv`` and ``metadata.tsv`` content for the Embedding Projector.

    Returns
    -------
    vectors : bytes
        One tab-separated row of floats per category, no header.
    metadata : bytes
        Header ``label<TAB>count``, then one row per category. Tabs and line
        breaks in labels become spaces; formula-like labels get a leading ``'``.
    """
    vector_lines = [
        "\t".join(format(value, ".7g") for value in row) for row in table.vectors
    ]
    metadata_lines = ["label\tcount"] + [
        f"{_metadata_label(label)}\t{count}"
        for label, count in zip(table.labels, table.counts, strict=True)
    ]
    return (
        "".join(line + "\n" for line in vector_lines).encode("utf-8"),
        "".join(line + "\n" for line in metadata_lines).encode("utf-8"),
    )


def export_projector(table: EmbeddingTable, directory: Path) -> tuple[Path, Path]:
    """Write ``vectors.tsv`` and ``metadata.tsv`` into ``directory`` (created).

    Returns
    -------
    tuple of pathlib.Path
        Paths of the vectors and metadata files.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vectors, metadata = projector_bytes(table)
    vectors_path, metadata_path = directory / "vectors.tsv", directory / "metadata.tsv"
    vectors_path.write_bytes(vectors)
    metadata_path.write_bytes(metadata)
    return vectors_path, metadata_path


def embedding_frame(
    table: EmbeddingTable,
    n_components: int = 2,
    projection: Projection | None = None,
) -> pd.DataFrame:
    """One row per category: label, count, target mean, PCA coordinates, vector.

    Parameters
    ----------
    table : EmbeddingTable
        The vectors to describe.
    n_components : int, default 2
        Number of ``pca_*`` columns.
    projection : Projection, optional
        A projection already computed by :func:`project_pca` with
        ``n_components`` components (the page shows its explained variance
        too, so PCA runs once).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``count``, ``target_mean`` (NaN when undefined),
        ``pca_1`` .. ``pca_k`` and ``dim_0`` .. ``dim_{d-1}``. An empty table
        gives an empty frame with these columns.
    """
    rows, dimensions = table.vectors.shape
    if rows == 0:
        coordinates = np.zeros((0, n_components))
    elif projection is not None:
        coordinates = projection.coordinates
    else:
        coordinates = project_pca(table, n_components).coordinates
    described = pd.DataFrame(
        {
            "label": pd.Series(table.labels, dtype=object),
            "count": np.asarray(table.counts, dtype=np.int64),
            "target_mean": np.asarray(
                [np.nan if m is None else m for m in table.target_means],
                dtype=np.float64,
            ),
        }
    )
    pca = pd.DataFrame(
        coordinates, columns=[f"pca_{i + 1}" for i in range(n_components)]
    )
    vectors = pd.DataFrame(
        table.vectors, columns=[f"dim_{i}" for i in range(dimensions)]
    )
    # One concat rather than a column at a time: wide tables stay unfragmented.
    return pd.concat([described, pca, vectors], axis=1)
