"""Pickers, cached computations and result views of the Insight page."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core import analysis, examples, features, plots
from core import runs as core_runs
from core.errors import CoreError
from core.runs.store import RunRecord, RunStatus
from ui import runs, state
from ui.results import ModelSource, model_sources
from ui.text import literal


def optional_source(key: str) -> ModelSource | None:
    """A "Model" picker over the open run's models and a loaded bundle, if any."""
    sources = model_sources()
    if not sources:
        st.info(
            "Open a finished run (or load a bundle) for importance, evolution, "
            "what-if and maps; stability needs only runs in the store."
        )
        st.page_link("pages/runs.py", label="Go to the runs page")
        return None
    labels = [source.label for source in sources]
    return sources[labels.index(st.selectbox("Model", labels, key=key))]


# -- stability ----------------------------------------------------------------


def _finished_embedding_runs() -> list[RunRecord]:
    return [
        record
        for record in runs.store().records()
        if record.status is RunStatus.DONE and "embedding" in record.encodings
    ]


def stability_run_ids() -> list[str] | None:
    """A comparison, or hand-picked runs, to compare over seeds; None if none."""
    choices = analysis.comparison_choices(runs.store())
    mode = st.radio(
        "Compare", ("a comparison", "chosen runs"), horizontal=True,
        index=0 if choices else 1, key="ins_stab_mode",
    )  # fmt: skip
    if mode == "a comparison":
        if not choices:
            st.info("No comparison with two finished seeds yet: run one on Compare.")
            st.page_link("pages/compare.py", label="Go to the compare page")
            return None
        picked = st.selectbox(
            "Comparison", list(choices), key="ins_stab_comparison",
            format_func=lambda c: f"{c} · {len(choices[c])} seeds · "
            f"{choices[c][0].data_name}",
        )  # fmt: skip
        return [record.id for record in choices[picked]]
    finished = {record.id: record for record in _finished_embedding_runs()}
    picked = st.multiselect(
        "Runs of one configuration, one per seed", list(finished),
        format_func=lambda i: f"{i} · seed {finished[i].config.train.seed} · "
        f"{finished[i].data_name}",
        key="ins_stab_runs",
    )  # fmt: skip
    if len(picked) < 2:
        st.info("Pick at least two finished runs that differ only by their seed.")
        return None
    return list(picked)


@st.cache_data(show_spinner="Aligning the seeds...", max_entries=8)
def _stability(root: str, run_ids: tuple[str, ...], k: int) -> dict[str, Any]:
    return analysis.stability_of_runs(core_runs.RunStore(root), run_ids, k)


def stability_results(run_ids: list[str], k: int) -> dict[str, Any] | None:
    """Computed on the button; kept in the session for these runs and k."""
    key = (tuple(run_ids), k)
    if st.button("Compute stability", key="ins_stab_go"):
        try:
            results = _stability(str(runs.store().root), key[0], k)
        except CoreError as error:
            st.error(literal(error))
            return None
        state.put(state.INSIGHT_STABILITY, (key, results))
    stored = state.get(state.INSIGHT_STABILITY)
    return stored[1] if stored and stored[0] == key else None


# -- importance -----------------------------------------------------------------


def importance_data(source: ModelSource) -> tuple[str, Any] | None:
    """What importance is measured on: a run's test part, or the session's data."""
    if source.run_id is not None:
        return f"the test part of run {source.run_id}", None
    dataset = state.dataset()
    if dataset is None:
        st.info("Load labelled data on the Data page to measure a bundle's importance.")
        return None
    return f"all of {dataset.name}", dataset


def _prepared(source: ModelSource, dataset: Any) -> tuple[Any, str]:
    if dataset is not None:
        return examples.prepare_prediction(dataset.frame, source.preprocessor), "all"
    store = runs.store()
    record = store.get(source.run_id)
    return examples.prepare_experiment(store.load_data(record), record.config), "test"


def importance_result(source: ModelSource, dataset: Any, repeats: int) -> Any:
    """Computed on the button; kept in the session for this model, data and repeats."""
    # id(): a bundle loaded later under the same label is another model; a
    # run's model is its folder (reading it must not load Keras).
    model = str(source.path) if source.path is not None else id(source.loaded)
    key = (source.label, model, dataset.fingerprint if dataset else None,
           repeats)  # fmt: skip
    if st.button("Compute importance", key="ins_imp_go"):
        try:
            with st.spinner("Shuffling each column and predicting again..."):
                prepared, part = _prepared(source, dataset)
                result = _with_model(
                    source, "permutation_importance", analysis.permutation_importance,
                    prepared, part, repeats=repeats,
                )  # fmt: skip
        except CoreError as error:
            st.error(literal(error))
            return None
        state.put(state.INSIGHT_IMPORTANCE, (key, result))
    stored = state.get(state.INSIGHT_IMPORTANCE)
    return stored[1] if stored and stored[0] == key else None


# -- evolution, what-if, maps ---------------------------------------------------


def _with_model(
    source: ModelSource, operation: str, local: Any, *args: Any, **kwargs: Any
) -> Any:
    """Compute with the source's model: a run's in the executor's model worker
    (the server never imports TensorFlow for it), an uploaded bundle's here.

    ``local`` is the core function taking ``(model, ...)`` (importance) or
    ``(model, preprocessor, ...)`` (timeline, what-if).
    """
    if source.path is not None and kwargs:
        return runs.executor().models.call(operation, source.path, *args, **kwargs)
    if source.path is not None:  # every rerun asks again: kept per question
        modified = (source.path / "model.keras").stat().st_mtime
        return _remote_cached(str(source.path), modified, operation, args)
    if operation == "permutation_importance":
        return local(source.model, *args, **kwargs)
    return local(source.model, source.preprocessor, *args, **kwargs)


@st.cache_data(show_spinner="Asking the model...", max_entries=64)
def _remote_cached(path: str, modified: float, operation: str, arguments: Any) -> Any:
    return runs.executor().models.call(operation, path, *arguments)


@st.cache_data(show_spinner=False, max_entries=32)
def evolution(root: str, run_id: str, encoding: str, column: str) -> pd.DataFrame:
    """The per-epoch map of one column of a run (see core.analysis.evolution)."""
    store = core_runs.RunStore(root)
    return analysis.run_evolution(store, store.get(run_id), column, encoding)


def embedding_of(source: ModelSource, column: str) -> analysis.EmbeddingTable:
    """A column's embedding table: a run's from its saved weights file (no
    TensorFlow in the server), an uploaded bundle's from its loaded model."""
    if source.path is not None:
        modified = (source.path / "model.keras").stat().st_mtime
        return _stored_embedding(str(source.path), modified, column)
    return analysis.extract_embedding(source.model, source.preprocessor, column)


@st.cache_data(show_spinner=False, max_entries=32)
def _stored_embedding(
    path: str, modified: float, column: str
) -> analysis.EmbeddingTable:
    preprocessor = core_runs.read_stored_model(path).preprocessor
    return analysis.stored_embedding(path, preprocessor, column)


@st.cache_data(show_spinner=False, max_entries=4)
def _stored_table(root: str, run_id: str) -> pd.DataFrame:
    store = core_runs.RunStore(root)
    return store.load_data(store.get(run_id))


def history_table(source: ModelSource) -> pd.DataFrame | None:
    """The rows entities are picked from: the run's data, else the session's."""
    if source.run_id is not None:
        return _stored_table(str(runs.store().root), source.run_id)
    dataset = state.dataset()
    return None if dataset is None else dataset.frame


@st.cache_data(show_spinner="Running t-SNE...", max_entries=16)
def tsne(labels: tuple[str, ...], vectors: Any, counts: tuple[int, ...]) -> Any:
    """The t-SNE figure of a table (keyed by its content)."""
    table = analysis.EmbeddingTable(
        "column", labels, vectors, counts, (None,) * len(labels)
    )
    return plots.tsne_scatter(analysis.project_tsne(table), list(counts))


def stability_caption(result: Any) -> str:
    """One line summarising a column's stability."""
    return (
        f"Neighbour agreement {result.mean_agreement:.2f} (chance "
        f"{result.chance_agreement:.2f}, k = {result.k}); above chance "
        f"{result.score:.2f} · median spread {result.median_spread:.2f} · "
        f"{result.unstable_share:.0%} unstable · seeds {list(result.seeds)}"
    )


NO_CHANGE = "(nothing: the model's predictions)"


def what_if_view(
    source: ModelSource, table: pd.DataFrame
) -> tuple[pd.DataFrame, list[str], str]:
    """Entity and replacement pickers; the step table, its lines and x axis."""
    data = source.preprocessor.config
    left, middle, right = st.columns(3)
    entity = left.selectbox(
        "Entity", analysis.entity_ids(table, data), key="ins_wi_entity"
    )
    column = middle.selectbox(
        "Replace on every step", [NO_CHANGE, *data.categorical_names],
        key="ins_wi_column",
    )  # fmt: skip
    history = analysis.entity_history(table, data, entity)
    if column == NO_CHANGE:
        frame = _with_model(source, "timeline", analysis.timeline, history)
        lines = [c for c in frame.columns if c.startswith("probability")]
        lines = lines or ["predicted"]
    else:
        vocabulary = source.preprocessor.vocabularies_[column]
        replacement = right.selectbox(
            "by", [features.UNKNOWN_LABEL, *vocabulary], key="ins_wi_value"
        )
        frame = _with_model(
            source, "what_if", analysis.what_if, history, column, replacement
        )
        lines = ["original", "changed"]
    x = data.time_column if data.time_column in frame.columns else "step"
    return frame, lines, x
