"""The data page's server-folder source: preview Parquet shards without loading them."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.data.parquet import DatasetSource
from core.serve.server_paths import DATA_ROOT_VARIABLE, allowed_folder
from ui import state
from ui.auth import login_configured
from ui.text import literal

PREVIEW_ROWS = 200


@dataclass(frozen=True)
class FolderPreview:
    """What the page shows of a dataset: size, schema and the first rows."""

    path: str
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
    st.markdown("Train on all of it, streamed within a memory budget:")
    st.code(
        f"python -m core train --data {shlex.quote(preview.path)} --target COLUMN "
        "--id ID_COLUMN --memory-budget-mb 1024",
        language="bash",
    )
    return True
