"""Embedding extraction by layer name, PCA, similarity, neighbours and export."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.analysis.embeddings import (
    EmbeddingTable,
    cluster_categories,
    cosine_similarity_matrix,
    embedding_frame,
    export_projector,
    extract_embedding,
    heatmap_similarity,
    nearest_neighbours,
    project_pca,
    projector_bytes,
)
from core.errors import DataValidationError, NotFittedError
from core.features.naming import embedding_layer_name

KIND_VOCABULARY = ["a", "b", "c", "<img src=x onerror=alert(1)>"]
#: Rows 0 (padding) and 1 (unknown) first, then one row per vocabulary entry.
KIND_WEIGHTS = np.array(
    [
        [9.0, 9.0, 9.0],
        [7.0, 7.0, 7.0],
        [1.0, 0.0, 0.0],
        [0.9, 0.1, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, -1.0],
    ]
)
SHIFT_WEIGHTS = np.array([[5.0], [6.0], [0.5]])


def _preprocessor(**vocabularies: list[str]) -> SimpleNamespace:
    vocabularies = vocabularies or {"kind": KIND_VOCABULARY, "shift code": ["night"]}
    return SimpleNamespace(
        vocabularies_=vocabularies,
        category_counts_={
            name: list(range(len(labels), 0, -1))
            for name, labels in vocabularies.items()
        },
        category_target_means_={
            name: [0.5] + [None] * (len(labels) - 1)
            for name, labels in vocabularies.items()
        },
    )


@pytest.fixture(scope="module")
def model():
    """A tiny functional model with two named embeddings and a decoy Dense."""
    keras = pytest.importorskip("keras")
    kind = keras.Input(shape=(None,), dtype="int32", name="cat_kind")
    shift = keras.Input(shape=(None,), dtype="int32", name="cat_shift")
    kind_layer = keras.layers.Embedding(6, 3, name=embedding_layer_name("kind"))
    shift_layer = keras.layers.Embedding(3, 1, name=embedding_layer_name("shift code"))
    merged = keras.layers.Concatenate()([kind_layer(kind), shift_layer(shift)])
    pooled = keras.layers.GlobalAveragePooling1D()(merged)
    output = keras.layers.Dense(1, name=embedding_layer_name("decoy"))(pooled)
    network = keras.Model([kind, shift], output)
    kind_layer.set_weights([KIND_WEIGHTS])
    shift_layer.set_weights([SHIFT_WEIGHTS])
    return network


def _table(vectors, labels=None) -> EmbeddingTable:
    vectors = np.asarray(vectors, dtype=np.float64)
    labels = labels or [f"c{i}" for i in range(len(vectors))]
    return EmbeddingTable(
        "col", tuple(labels), vectors, tuple([1] * len(labels)), (None,) * len(labels)
    )


def test_extract_drops_reserved_rows_and_labels_from_vocabulary(model):
    table = extract_embedding(model, _preprocessor(), "kind")
    assert table.column == "kind"
    assert table.labels == tuple(KIND_VOCABULARY)
    np.testing.assert_allclose(table.vectors, KIND_WEIGHTS[2:])
    assert table.counts == (4, 3, 2, 1)
    assert table.target_means == (0.5, None, None, None)
    assert not table.vectors.flags.writeable


def test_extract_can_keep_the_unknown_row(model):
    table = extract_embedding(model, _preprocessor(), "kind", include_unknown=True)
    assert table.labels[0] == "<unknown>"
    np.testing.assert_allclose(table.vectors, KIND_WEIGHTS[1:])
    assert table.counts[0] == 0
    assert table.target_means[0] is None


def test_extract_finds_layer_of_column_with_unsafe_name(model):
    table = extract_embedding(model, _preprocessor(), "shift code")
    assert table.labels == ("night",)
    np.testing.assert_allclose(table.vectors, [[0.5]])


@pytest.mark.parametrize(
    "column", ["missing", "decoy"], ids=["no-such-column", "layer-not-embedding"]
)
def test_extract_names_the_column_and_lists_available(model, column):
    preprocessor = _preprocessor(kind=KIND_VOCABULARY, decoy=["x"])
    with pytest.raises(
        DataValidationError, match=rf"column '{column}'.*'kind'"
    ) as info:
        extract_embedding(model, preprocessor, column)
    assert info.value.column == column
    assert "expected a categorical column with an embedding layer" in str(info.value)


def test_extract_rejects_vocabulary_of_wrong_size(model):
    with pytest.raises(DataValidationError, match="expected an embedding with 4 rows"):
        extract_embedding(model, _preprocessor(kind=["a", "b"]), "kind")


def test_extract_requires_a_fitted_preprocessor(model):
    with pytest.raises(NotFittedError):
        extract_embedding(model, SimpleNamespace(), "kind")


def test_pca_shapes_and_explained_variance():
    rng = np.random.default_rng(0)
    table = _table(rng.normal(size=(12, 5)))
    projection = project_pca(table, n_components=3)
    assert projection.coordinates.shape == (12, 3)
    assert len(projection.explained_variance_ratio) == 3
    assert all(isinstance(r, float) for r in projection.explained_variance_ratio)
    assert 0 < sum(projection.explained_variance_ratio) <= 1 + 1e-9
    assert projection.labels == table.labels


@pytest.mark.parametrize(
    ("vectors", "expected_ratio"),
    [
        ([[1.0, 2.0]], (0.0, 0.0, 0.0)),
        ([[1.0], [2.0], [4.0]], (1.0, 0.0, 0.0)),
        ([[1.0, 1.0], [1.0, 1.0]], (0.0, 0.0, 0.0)),
    ],
    ids=["one-category", "one-dimension", "identical-vectors"],
)
def test_pca_pads_missing_components_with_zeros(vectors, expected_ratio):
    projection = project_pca(_table(vectors), n_components=3)
    assert projection.coordinates.shape == (len(vectors), 3)
    assert np.isfinite(projection.coordinates).all()
    assert projection.explained_variance_ratio == pytest.approx(expected_ratio)
    assert np.all(projection.coordinates[:, 1:] == 0)


def test_pca_of_no_categories_raises():
    with pytest.raises(DataValidationError, match="at least one learned category"):
        project_pca(_table(np.zeros((0, 3))))


def test_cosine_similarity_has_labels_and_no_nan():
    table = _table([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0], [-1.0, 0.0]], list("wxyz"))
    similarity = cosine_similarity_matrix(table)
    assert list(similarity.index) == list(similarity.columns) == list("wxyz")
    assert not similarity.isna().any().any()
    assert similarity.loc["w", "x"] == pytest.approx(1.0)
    assert similarity.loc["w", "z"] == pytest.approx(-1.0)
    assert (similarity.loc["y"] == 0).all()


def test_nearest_neighbours_excludes_query_and_sorts(model):
    table = extract_embedding(model, _preprocessor(), "kind")
    neighbours = nearest_neighbours(table, "a", k=2)
    assert list(neighbours.columns) == ["label", "similarity"]
    assert list(neighbours["label"]) == ["b", "c"]
    assert neighbours["similarity"].is_monotonic_decreasing
    assert len(nearest_neighbours(table, "a", k=10)) == 3


def test_nearest_neighbours_unknown_label_names_column():
    with pytest.raises(DataValidationError, match="received 'x'") as info:
        nearest_neighbours(_table([[1.0], [2.0]]), "x")
    assert info.value.column == "col"
    assert "expected one of the learned categories" in str(info.value)


def test_projector_files_are_readable_tsv(tmp_path):
    labels = ["plain", "tab\there", "line\nbreak", "=SUM(A1)"]
    table = _table(np.arange(8.0).reshape(4, 2) / 3, labels)
    vectors_path, metadata_path = export_projector(table, tmp_path / "projector")
    assert (vectors_path.name, metadata_path.name) == ("vectors.tsv", "metadata.tsv")
    vectors = np.loadtxt(vectors_path, delimiter="\t")
    np.testing.assert_allclose(vectors, table.vectors, rtol=1e-6)
    metadata = pd.read_csv(metadata_path, sep="\t", dtype=str, keep_default_na=False)
    assert list(metadata.columns) == ["label", "count"]
    assert list(metadata["label"]) == ["plain", "tab here", "line break", "'=SUM(A1)"]
    assert (vectors_path.read_bytes(), metadata_path.read_bytes()) == projector_bytes(
        table
    )


def test_embedding_frame_columns(model):
    table = extract_embedding(model, _preprocessor(), "kind")
    frame = embedding_frame(table, n_components=3)
    expected = ["label", "count", "target_mean", "pca_1", "pca_2", "pca_3"]
    assert list(frame.columns) == expected + ["dim_0", "dim_1", "dim_2"]
    assert list(frame["label"]) == KIND_VOCABULARY
    assert frame["target_mean"].isna().sum() == 3
    np.testing.assert_allclose(frame[["dim_0", "dim_1", "dim_2"]], KIND_WEIGHTS[2:])


def test_embedding_frame_of_empty_table_is_empty():
    frame = embedding_frame(_table(np.zeros((0, 2))), n_components=2)
    assert frame.empty
    assert list(frame.columns) == [
        "label",
        "count",
        "target_mean",
        "pca_1",
        "pca_2",
        "dim_0",
        "dim_1",
    ]


def _grouped_table(vectors: list[list[float]]) -> EmbeddingTable:
    labels = tuple(f"c{i}" for i in range(len(vectors)))
    return EmbeddingTable(
        "kind", labels, np.array(vectors), (1,) * len(labels), (None,) * len(labels)
    )


def test_clusters_follow_the_groups_of_vectors():
    table = _grouped_table([[0, 0], [0.1, 0], [5, 5], [5.1, 5], [0, 0.1], [5, 5.1]])
    groups = cluster_categories(table, 2)
    assert groups[0] == groups[1] == groups[4]
    assert groups[2] == groups[3] == groups[5]
    assert groups[0] != groups[2]


def test_identical_vectors_form_one_cluster_without_warning():
    groups = cluster_categories(_grouped_table([[1.0, 1.0]] * 4), 3)
    assert set(groups) == {0}


@pytest.mark.parametrize("n_clusters", [0, 4, 2.0, True])
def test_cluster_count_outside_the_categories_names_the_column(n_clusters):
    with pytest.raises(DataValidationError, match="kind.*n_clusters"):
        cluster_categories(_grouped_table([[0.0], [1.0], [2.0]]), n_clusters)


def _many(rows: int, dimensions: int = 3) -> EmbeddingTable:
    rng = np.random.default_rng(1)
    labels = tuple(str(i) for i in range(rows))
    return EmbeddingTable(
        "hour", labels, rng.normal(size=(rows, dimensions)), (1,) * rows, (None,) * rows
    )


def test_heatmap_similarity_computes_only_the_shown_block(monkeypatch):
    import core.analysis.embeddings as embeddings

    shapes = []
    real = embeddings.cosine_similarity

    def spy(vectors, *args, **kwargs):
        shapes.append(vectors.shape)
        return real(vectors, *args, **kwargs)

    monkeypatch.setattr(embeddings, "cosine_similarity", spy)
    table = _many(500)
    block = embeddings.heatmap_similarity(table, limit=60)
    assert block.shape == (60, 60)
    assert shapes == [(60, 3)]
    full = cosine_similarity_matrix(table)
    np.testing.assert_allclose(block.loc["7", "12"], full.loc["7", "12"])


def test_heatmap_orders_numeric_labels_as_numbers():
    table = _many(24)
    assert list(heatmap_similarity(table).index[:4]) == ["0", "1", "2", "3"]
    assert list(heatmap_similarity(table).index[-2:]) == ["22", "23"]


def test_embedding_frame_reuses_a_given_projection(monkeypatch):
    import core.analysis.embeddings as embeddings

    table = _many(6)
    projection = project_pca(table, 2)

    def refuse(*args, **kwargs):
        raise AssertionError("PCA computed a second time")

    monkeypatch.setattr(embeddings, "project_pca", refuse)
    frame = embedding_frame(table, 2, projection=projection)
    np.testing.assert_allclose(frame[["pca_1", "pca_2"]], projection.coordinates)


def test_nearest_neighbours_match_a_brute_force_cosine():
    table = _many(30, dimensions=4)
    unit = table.vectors / np.linalg.norm(table.vectors, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ unit[5]))[1:6]
    found = nearest_neighbours(table, "5", k=5)
    assert list(found["label"]) == [str(i) for i in expected]
    np.testing.assert_allclose(found["similarity"], (unit @ unit[5])[expected])
