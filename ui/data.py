"""Cached data loading for the pages (pure functions of their inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.config import ExperimentConfig
from core.data.bundled import get_bundled, list_bundled, load_bundled
from core.data.io import load_table
from core.data.provenance import Provenance
from core.data.repairs import add_timestamp, numbers_or_missing
from core.data.schema import SchemaSuggestion, infer_schema
from ui import state
from ui.state import Dataset


@st.cache_data(show_spinner="Reading the file...", max_entries=4)
def _read_upload(content: bytes, name: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    loaded = load_table(content, name=name)
    return loaded.frame, tuple(loaded.notes)


@st.cache_data(show_spinner="Loading the sample data...")
def _read_bundled(name: str) -> pd.DataFrame:
    return load_bundled(name)


def dataset_from_upload(content: bytes, name: str) -> Dataset:
    """Parse uploaded bytes (raises CoreError for unreadable files)."""
    frame, notes = _read_upload(content, name)
    # A copy: cached return values must never be mutated by callers.
    return Dataset(frame.copy(), name, Provenance.upload(name, content), notes)


def dataset_from_bundled(name: str) -> Dataset:
    """One of the bundled data sets."""
    return Dataset(_read_bundled(name).copy(), name, Provenance.bundled(name))


def description_of(dataset: Dataset) -> str | None:
    """A bundled set's description from the registry; ``None`` for uploads."""
    name = dataset.provenance.bundled_name
    return get_bundled(name).description if name else None


def suggested_config(dataset: Dataset) -> ExperimentConfig | None:
    """The registry's roles and framing when the data is an unchanged bundled set.

    Schema inference alone would guess (for the sample data it picks ``rul`` and
    would treat ``failure`` as a feature); the registry knows the intended roles.
    """
    name = dataset.provenance.bundled_name
    if name is None:
        return None
    return ExperimentConfig(data=get_bundled(name).data_config())


def bundled_titles() -> dict[str, str]:
    """Bundled data set names and their titles."""
    return {item.name: item.title for item in list_bundled()}


@st.cache_data(show_spinner="Inferring column roles...", max_entries=4)
def _schema(key: str, _frame: pd.DataFrame, target: str | None) -> SchemaSuggestion:
    # ``_frame`` is not hashed (a 20,000-row table costs seconds per rerun): the
    # key (:func:`data_key`) already names the data.
    return infer_schema(_frame, target_column=target)


def data_key(dataset: Dataset) -> str:
    """Cache key of a data set's table, cheap to compute on every rerun.

    The fingerprint names the data; the frame's identity and shape guard
    against a table replaced under the same fingerprint (tests seed such
    states), without hashing every cell.
    """
    return f"{dataset.fingerprint}:{id(dataset.frame)}:{dataset.frame.shape}"


def schema_for(dataset: Dataset) -> SchemaSuggestion:
    """Column-role suggestions for the current data set (a bundled set's target)."""
    suggested = suggested_config(dataset)
    target = suggested.data.target_column if suggested else None
    return _schema(data_key(dataset), dataset.frame, target)


def load_upload(dataset: Dataset) -> bool:
    """Make an upload current the first time the uploader holds it.

    The data page reruns with the same file in its widget; after a repair or a
    bundled set the current table differs from that file and must not be
    replaced by it again. Returns True when the data changed (everything
    downstream was cleared).
    """
    if state.get(state.UPLOAD_SEEN) == dataset.fingerprint:
        return False
    state.put(state.UPLOAD_SEEN, dataset.fingerprint)
    return state.set_dataset(dataset)


def forget_upload() -> None:
    """The uploader is empty: the same file uploaded again is new data again."""
    state.put(state.UPLOAD_SEEN, None)


def _derive(dataset: Dataset, frame: pd.DataFrame, repair: str, notes) -> None:
    derived = Dataset(
        frame,
        dataset.name,
        dataset.provenance.with_repair(repair),
        (*dataset.notes, *notes),
    )
    state.set_dataset(derived)


def build_timestamp(dataset: Dataset, parts: tuple[str, ...]) -> None:
    """Replace the current data by a copy with a timestamp built from ``parts``."""
    frame, name = add_timestamp(dataset.frame, parts)
    note = f"column {name!r} derived from {', '.join(parts)}"
    _derive(dataset, frame, f"timestamp({','.join(parts)})", [note])
    derived = dict(derived_columns(dataset))
    derived[name] = f"derived from {', '.join(parts)}"
    state.put(state.DERIVED_COLUMNS, (state.get(state.DATA_FINGERPRINT), derived))


def blank_non_numbers(dataset: Dataset, columns: tuple[str, ...]) -> None:
    """Replace the current data by a copy where ``columns`` are read as numbers."""
    frame, notes = numbers_or_missing(dataset.frame, columns)
    _derive(dataset, frame, f"numbers({','.join(columns)})", notes)
    derived = dict(derived_columns(dataset))
    derived.update(dict.fromkeys(columns, "text that is not a number read as missing"))
    state.put(state.DERIVED_COLUMNS, (state.get(state.DATA_FINGERPRINT), derived))


def derived_columns(dataset: Dataset) -> dict[str, str]:
    """Columns the user's repairs created or changed in this data set, with how."""
    stored = state.get(state.DERIVED_COLUMNS)
    if stored and stored[0] == dataset.fingerprint:
        return dict(stored[1])
    return {}


def profile_table(schema: SchemaSuggestion, derived: dict[str, str]) -> pd.DataFrame:
    """The data page's schema table; a ``derived`` column when repairs made any."""
    profile = pd.DataFrame(
        {
            "column": [c.name for c in schema.columns],
            "role": [c.role for c in schema.columns],
            "dtype": [c.dtype for c in schema.columns],
            "missing %": [round(100 * c.missing_fraction, 2) for c in schema.columns],
            "distinct values": [c.cardinality for c in schema.columns],
            "examples": [", ".join(c.example_values) for c in schema.columns],
        }
    )
    if derived:
        profile["derived"] = [derived.get(c.name, "") for c in schema.columns]
    return profile


#: A missing cell as the tables show it (Streamlit itself prints "None").
MISSING = "—"


def _cell(value: object) -> str:
    """One present value as text, numbers compact (``3.25``, ``120``)."""
    if isinstance(value, float | np.floating):
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6g}"
    return str(value)


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: missing cells as "—" rather than Streamlit's "None".

    Only columns with a missing cell become text; the others keep their type
    (and their sorting and alignment).
    """
    shown = frame.copy()
    for column in shown.columns:
        missing = shown[column].isna().to_numpy()
        if missing.any():
            shown[column] = [
                MISSING if gone else _cell(value)
                for value, gone in zip(shown[column], missing, strict=True)
            ]
    return shown


def memory_text(mebibytes: float | None) -> str:
    """Memory in whole MiB ("906 MiB"), or "—"."""
    if mebibytes is None or pd.isna(mebibytes):
        return MISSING
    return f"{round(mebibytes):,} MiB"
