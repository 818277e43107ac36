"""Embeddings page: PCA maps, similarity, neighbours and projector export."""

import streamlit as st

from core.analysis.embeddings import (
    HEATMAP_CATEGORIES,
    cluster_categories,
    embedding_frame,
    heatmap_similarity,
    nearest_neighbours,
    project_pca,
    projector_bytes,
)
from core.data.values import natural_order
from core.errors import CoreError
from core.plots.figures import pca_dimensions, pca_scatter, similarity_heatmap
from ui import insight, runs
from ui.results import choose_source
from ui.text import literal

COLOURINGS = {
    "count": "training frequency",
    "target_mean": "mean target",
    "cluster": "k-means cluster",
}

st.title("5. Embeddings")
runs.sync_with_url()  # also here: AppTest runs a page without app.py
source = choose_source("emb_model")
columns = list(source.preprocessor.config.categorical_names)
if not columns:
    st.info("This model has no categorical columns, so it has no embeddings.")
    st.stop()
if "onehot" in source.label:
    st.info(
        "One-hot twin: its 'embedding' is a fixed identity matrix, so there is no "
        "learned structure to map. Choose the embedding model above."
    )
    st.stop()

left, middle, right = st.columns(3)
column = left.selectbox("Categorical column", columns, key="emb_column")
try:
    table = insight.embedding_of(source, column)  # a run's: read, not loaded
except CoreError as error:
    st.error(literal(error))
    st.stop()
# 3D only when a third component exists: otherwise an empty "PC3 0.0%" axis.
choices = pca_dimensions(len(table.labels), table.vectors.shape[1])
dimensions = middle.radio(
    "PCA", choices, horizontal=True, format_func=lambda d: f"{d}D", key="emb_dimensions"
)
colour = right.radio(
    "Colour by",
    tuple(COLOURINGS),
    horizontal=True,
    format_func=COLOURINGS.get,
    key="emb_colour",
)
try:
    projection = project_pca(table, n_components=dimensions)
    frame = embedding_frame(table, n_components=dimensions, projection=projection)
except CoreError as error:
    st.error(literal(error))
    st.stop()

variance = ", ".join(
    f"PC{i + 1} {share:.1%}"
    for i, share in enumerate(projection.explained_variance_ratio)
)
st.caption(
    f"{len(table.labels)} categories, {table.vectors.shape[1]} dimensions · "
    f"explained variance: {variance}"
)
groups = None
if colour == "cluster" and len(table.labels) >= 2:
    most = min(12, len(table.labels))
    clusters = st.slider(
        "Clusters (k-means on the full vectors, not on the 2D/3D map)",
        1,
        most,
        min(4, most),
        key="emb_clusters",
    )
    groups = cluster_categories(table, clusters)
st.plotly_chart(
    pca_scatter(frame, color_by=colour, dimensions=dimensions, groups=groups),
    key="emb_pca",
)

similar, neighbours = st.columns([3, 2])
with similar:
    st.subheader("Cosine similarity")
    heatmap = similarity_heatmap(heatmap_similarity(table))
    heatmap.update_layout(title=None)  # the subheader above names it
    st.plotly_chart(heatmap, key="emb_similarity")
    if len(table.labels) > HEATMAP_CATEGORIES:
        st.caption(
            f"The {HEATMAP_CATEGORIES} most frequent of {len(table.labels)} categories."
        )
with neighbours:
    st.subheader("Nearest neighbours")
    query = st.selectbox("Category", natural_order(table.labels), key="emb_query")
    others = len(table.labels) - 1
    if others < 1:
        st.caption("Only one category: it has no neighbours.")
    else:
        # A slider needs two distinct ends: with one other category there is no choice.
        k = others
        if others > 1:
            k = st.slider("How many", 1, min(20, others), min(5, others), key="emb_k")
        st.dataframe(
            nearest_neighbours(table, query, k=k), hide_index=True, key="emb_neighbours"
        )

vectors, metadata = projector_bytes(table)
st.subheader("TensorBoard Embedding Projector")
a, b = st.columns(2)
a.download_button("vectors.tsv", vectors, f"{column}_vectors.tsv", key="emb_vectors")
b.download_button(
    "metadata.tsv", metadata, f"{column}_metadata.tsv", key="emb_metadata"
)
