"""Insight page: what the embeddings learned.

Stability over seeds, evolution over epochs, permutation importance, a what-if
on one entity's history, and t-SNE beside PCA. The analyses are in core; heavy
ones run on a button and are kept for the session.
"""

import streamlit as st

from core.analysis.embeddings import embedding_frame
from core.analysis.tsne import MANY_CATEGORIES
from core.errors import CoreError
from core.plots.figures import pca_scatter
from core.plots.insight import (
    evolution_figure,
    importance_figure,
    stability_map,
    timeline_figure,
)
from ui import insight, runs
from ui.text import literal

st.title("7. Insight")
runs.sync_with_url()  # also here: AppTest runs a page without app.py
source = insight.optional_source("ins_model")
tabs = st.tabs(["Stability over seeds", "Evolution", "Importance", "What-if", "Maps"])

with tabs[0]:
    st.caption(
        "Each seed's table is rotated onto a common consensus (orthogonal "
        "Procrustes). Spread: how far a category's seeds lie apart after that; "
        "neighbour agreement: how many of its k nearest neighbours the seeds share."
    )
    run_ids = insight.stability_run_ids()
    if run_ids:
        k = st.number_input("Neighbours (k)", 1, 20, 5, key="ins_stab_k")
        results = insight.stability_results(run_ids, int(k))
        if results:
            column = st.selectbox("Column", list(results), key="ins_stab_column")
            result = results[column]
            st.caption(insight.stability_caption(result))
            figure = stability_map(result.points, result.categories)
            st.plotly_chart(figure, key="ins_stab_map")
            st.dataframe(result.categories, hide_index=True, key="ins_stab_table")
if source is None:
    st.stop()
columns = list(source.preprocessor.config.categorical_names)

with tabs[1]:
    if source.run_id is None or source.encoding != "embedding" or not columns:
        st.info("Per-epoch snapshots are kept by a run's embedding model: open one.")
    else:
        column = st.selectbox("Column", columns, key="ins_evo_column")
        try:
            frame = insight.evolution(
                str(runs.store().root), source.run_id, source.encoding, column
            )
        except CoreError as error:
            st.error(literal(error))
        else:
            st.plotly_chart(evolution_figure(frame), key="ins_evo_figure")

with tabs[2]:
    chosen = insight.importance_data(source)
    if chosen:
        described, dataset = chosen
        st.caption(
            f"Each column is shuffled among the real steps (never the padding) of "
            f"{literal(described)}; the drop is the metric lost, larger = more "
            "important. The diamond: the column's embedding replaced by its mean."
        )
        repeats = st.number_input("Repeats", 1, 20, 5, key="ins_imp_repeats")
        result = insight.importance_result(source, dataset, int(repeats))
        if result is not None:
            table = result.table()
            figure = importance_figure(table, result.metric)
            st.plotly_chart(figure, key="ins_imp_figure")
            st.dataframe(table, hide_index=True, key="ins_imp_table")
            st.caption(
                f"Baseline {result.metric} {result.baseline:.4f} on "
                f"{result.examples} examples; {result.repeats} shuffles per column."
            )

with tabs[3]:
    history_source = insight.history_table(source)
    if history_source is None:
        st.info("Load data on the Data page to follow an entity's history.")
    else:
        try:
            frame, lines, x = insight.what_if_view(source, history_source)
        except CoreError as error:
            st.error(literal(error))
        else:
            st.plotly_chart(timeline_figure(frame, lines, x), key="ins_wi_figure")
            st.dataframe(frame, hide_index=True, key="ins_wi_table")

with tabs[4]:
    if not columns:
        st.info("This model has no categorical columns, so it has no embeddings.")
    else:
        column = st.selectbox("Column", columns, key="ins_map_column")
        table = insight.embedding_of(source, column)
        left, right = st.columns(2)
        left.plotly_chart(pca_scatter(embedding_frame(table)), key="ins_map_pca")
        if len(table.labels) < MANY_CATEGORIES:
            right.caption(
                f"t-SNE is offered for columns with at least {MANY_CATEGORIES} "
                "categories; with fewer, the PCA map shows them all."
            )
        elif right.toggle("t-SNE beside PCA", key="ins_map_tsne"):
            figure = insight.tsne(table.labels, table.vectors, table.counts)
            right.plotly_chart(figure, key="ins_map_tsne_figure")
