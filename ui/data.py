"""Cached data loading for the pages (pure functions of their inputs)."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.config import ExperimentConfig
from core.datasets import get_bundled, list_bundled, load_bundled
from core.io import load_table
from core.schema import SchemaSuggestion, infer_schema
from ui.state import Dataset

#: Fingerprint prefix of an unchanged bundled data set (followed by its name).
BUNDLED_PREFIX = "bundled:"


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
    digest = hashlib.sha256(content).hexdigest()[:16]
    # A copy: cached return values must never be mutated by callers.
    return Dataset(frame.copy(), name, f"upload:{name}:{len(content)}:{digest}", notes)


def dataset_from_bundled(name: str) -> Dataset:
    """One of the bundled data sets."""
    return Dataset(_read_bundled(name).copy(), name, f"{BUNDLED_PREFIX}{name}")


def _bundled_name(dataset: Dataset) -> str | None:
    """Registry name when the data is an unchanged bundled set."""
    if dataset.fingerprint.startswith(BUNDLED_PREFIX):
        return dataset.fingerprint[len(BUNDLED_PREFIX) :]
    return None


def description_of(dataset: Dataset) -> str | None:
    """A bundled set's description from the registry; ``None`` for uploads."""
    name = _bundled_name(dataset)
    return get_bundled(name).description if name else None


def suggested_config(dataset: Dataset) -> ExperimentConfig | None:
    """The registry's roles and framing when the data is an unchanged bundled set.

    Schema inference alone would guess (for the sample data it picks ``rul`` and
    would treat ``failure`` as a feature); the registry knows the intended roles.
    """
    name = _bundled_name(dataset)
    if name is None:
        return None
    return ExperimentConfig(data=get_bundled(name).data_config())


def bundled_titles() -> dict[str, str]:
    """Bundled data set names and their titles."""
    return {item.name: item.title for item in list_bundled()}


@st.cache_data(show_spinner="Inferring column roles...", max_entries=4)
def _schema(
    fingerprint: str, frame: pd.DataFrame, target: str | None
) -> SchemaSuggestion:
    return infer_schema(frame, target_column=target)


def schema_for(dataset: Dataset) -> SchemaSuggestion:
    """Column-role suggestions for the current data set (a bundled set's target)."""
    suggested = suggested_config(dataset)
    target = suggested.data.target_column if suggested else None
    return _schema(dataset.fingerprint, dataset.frame, target)
