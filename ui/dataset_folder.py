"""The data page's server-folder source: preview Parquet shards without loading them."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.config import ExperimentConfig
from core.data.parquet import DatasetSource
from core.data.provenance import Provenance, SourceKind
from core.examples.stream_passes import StreamOptions
from core.runs.dataset_run import create_dataset_run
from core.runs.store import RunRecord
from core.serve.server_paths import DATA_ROOT_VARIABLE, allowed_folder
from ui import auth, runs, state
from ui.auth import login_configured
from ui.state import Dataset
from ui.text import literal

PREVIEW_ROWS = 200


@dataclass(frozen=True)
class FolderPreview:
    """What the page shows of a dataset: size, schema and the first rows."""

    path: str
    fingerprint: str
    files: int
    rows: int
    megabytes: float
    schema: pd.DataFrame
    sample: pd.DataFrame


@st.cache_data(show_spinner="Reading the Parquet footers...", max_entries=4)
def _preview(path: str, fingerprint: str) -> FolderPreview:
    source = DatasetSource.open(path)
    return FolderPreview(
        path,
        fingerprint,
        len(source.files),
        source.row_count(),
        source.total_bytes / 1024**2,
        source.schema_frame(),
        source.sample(PREVIEW_ROWS),
    )


def preview_folder(text: str) -> FolderPreview:
    """Preview a folder or glob the server's policy allows (raises CoreError)."""
    root = os.environ.get(DATA_ROOT_VARIABLE) or None
    path = str(allowed_folder(text, root, login_configured()))
    # The fingerprint (sizes, times) keys the cache: changed shards are re-read.
    return _preview(path, DatasetSource.open(path).fingerprint)


def render_folder_source() -> bool:
    """The folder form and, once submitted, its preview; True when one is shown."""
    with st.form("data_folder_form"):
        text = st.text_input(
            "Folder or glob of Parquet files on this server",
            key="data_folder_path",
            placeholder="/data/events/ or /data/events/part-*.parquet",
        )
        submitted = st.form_submit_button("Preview", key="data_folder_preview")
    if submitted and text.strip():
        state.put(state.DATA_FOLDER, preview_folder(text))
    preview = state.get(state.DATA_FOLDER)
    if preview is None:
        return False
    st.subheader(literal(preview.path))
    files, rows, size = st.columns(3)
    files.metric("Files", f"{preview.files:,}")
    rows.metric("Rows", f"{preview.rows:,}")
    size.metric("On disk", f"{preview.megabytes:,.1f} MiB")
    st.caption(
        f"First {len(preview.sample):,} rows; nothing else is loaded. Rows must be "
        "sorted by the entity id across the files (taken in path order)."
    )
    st.dataframe(preview.sample, key="data_folder_sample", hide_index=True)
    st.dataframe(preview.schema, key="data_folder_schema", hide_index=True)
    if st.button(
        "Configure and train on this folder",
        key="data_folder_use",
        type="primary",
        help="Its first rows are the table to configure on; training streams "
        "every row of every file.",
    ):
        use_folder(preview)
    st.markdown("Or from the command line, streamed within a memory budget:")
    st.code(
        f"python -m core train --data {shlex.quote(preview.path)} --target COLUMN "
        "--id ID_COLUMN --memory-budget-mb 1024",
        language="bash",
    )
    return True


def use_folder(preview: FolderPreview) -> None:
    """Make a previewed folder the session's data: its first rows to configure on.

    The provenance keeps the folder's path, so the Train page streams every row
    of it (:func:`submit_folder`) instead of training on the sample.
    """
    provenance = Provenance.folder(preview.path, preview.fingerprint)
    note = (
        f"The first {len(preview.sample):,} of {preview.rows:,} rows, to configure "
        f"on; training streams all of them from {preview.files:,} file(s)."
    )
    name = os.path.basename(preview.path.rstrip(os.sep)) or preview.path
    state.set_dataset(Dataset(preview.sample.copy(), name, provenance, (note,)))


def folder_of(dataset: Dataset | None) -> str | None:
    """The folder a session's data streams from, or None for an in-memory table."""
    if dataset is None or dataset.provenance.kind is not SourceKind.FOLDER:
        return None
    return dataset.provenance.name


def folder_caption(dataset: Dataset) -> str:
    """What a streamed run trains on: rows and files of the session's folder."""
    preview = _preview(dataset.provenance.name, dataset.provenance.content_hash or "")
    return f"{preview.rows:,} rows in {preview.files:,} files, streamed"


def submit_folder(
    dataset: Dataset, config: ExperimentConfig, encodings: tuple[str, ...]
) -> RunRecord:
    """Start a streamed run on every row of the session's folder.

    The path is checked against the server's policy again (the session could
    hold it from before a change of ``$SEQ_EMBED_DATA_ROOT``).

    Raises
    ------
    CoreError
        If the folder is no longer allowed or readable, or the config cannot
        be streamed (:func:`core.examples.stream_passes.check_streamable`).
    """
    root = os.environ.get(DATA_ROOT_VARIABLE) or None
    path = allowed_folder(dataset.provenance.name, root, login_configured())
    executor = runs.executor()
    record = create_dataset_run(
        executor.store,
        DatasetSource.open(str(path)),
        config,
        encodings,
        StreamOptions(),
        owner=auth.viewer().owner,
    )
    executor.launch(record.id)
    return executor.store.get(record.id)
