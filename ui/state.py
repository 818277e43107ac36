"""Every session-state key, defined once, with small typed accessors.

Pages never type key strings. Domain objects (the DataFrame, the config, the
ids of the current and open runs, bundles) live here; widget values do not,
because Streamlit clears widget state when the user leaves a page. Trained
models live in the run store, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.data.provenance import Provenance

if TYPE_CHECKING:
    import pandas as pd

DATA = "data_frame"
DATA_NAME = "data_name"
DATA_FINGERPRINT = "data_fingerprint"
DATA_NOTES = "data_notes"
SCHEMA = "schema_suggestion"
SELECTION = "column_selection"
CONFIG = "experiment_config"
TRAIN_TWIN = "train_onehot_twin"
SIZE_OVERRIDES = "embedding_size_overrides"
#: The run this session started or followed (its id is also in the URL).
CURRENT_RUN = "current_run_id"
#: The run whose models the result pages show (the latest finished one).
OPEN_RUN = "open_run_id"
#: The finished current run already made the open one (so it happens once).
ADOPTED_RUN = "adopted_run_id"
#: The comparison and the size sweep this session started or reopened.
COMPARISON = "comparison_id"
SWEEP = "sweep_id"
LOADED_BUNDLE = "loaded_bundle"
PREDICTION = "new_prediction"
PREDICTION_MEMO = "test_prediction_memo"
UPLOAD_SEEN = "last_upload_fingerprint"
DERIVED_COLUMNS = "derived_columns"
CONFIG_UPLOAD_MEMO = "config_upload_memo"
#: The preview of a server folder of Parquet shards (never loaded whole).
DATA_FOLDER = "server_folder_preview"
ROLES_SHOWN = "configure_roles_shown"
#: The columns the last target expression that parsed reads (kept out of the
#: features while a mistyped one is corrected).
DERIVE_SOURCES = "configure_derive_sources"
#: Every configure widget's key starts with this.
CONFIG_WIDGET_PREFIX = "cfg_"
#: After a config is loaded: True while the widgets render it, then their values,
#: written back once so the browser shows them (see ui.configure.pin_widgets).
WIDGETS_TO_PIN = "configure_widgets_to_pin"
#: The Insight page's latest stability and importance results, with their inputs.
INSIGHT_STABILITY = "insight_stability"
INSIGHT_IMPORTANCE = "insight_importance"

#: Everything computed from the data; cleared together when new data arrives.
DOWNSTREAM = (
    SCHEMA,
    SELECTION,
    CONFIG,
    TRAIN_TWIN,
    SIZE_OVERRIDES,
    CURRENT_RUN,
    OPEN_RUN,
    ADOPTED_RUN,
    COMPARISON,
    SWEEP,
    LOADED_BUNDLE,
    PREDICTION,
    PREDICTION_MEMO,
    INSIGHT_STABILITY,
    INSIGHT_IMPORTANCE,
    DERIVE_SOURCES,
)


@dataclass(frozen=True)
class Dataset:
    """The table the session works on, with where it came from."""

    frame: pd.DataFrame
    name: str
    provenance: Provenance
    notes: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """The provenance as the string caches and data checks are keyed on."""
        return self.provenance.fingerprint


def get(key: str, default: Any = None) -> Any:
    """Value stored under one of this module's keys."""
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    """Store a value under one of this module's keys."""
    st.session_state[key] = value


def reset_downstream() -> None:
    """Forget everything computed from the previous data.

    Runs are not cancelled: they live in the run store and stay on the Runs page.
    """
    for key in DOWNSTREAM:
        st.session_state.pop(key, None)


def set_dataset(dataset: Dataset) -> bool:
    """Make ``dataset`` current; returns True when it differs from the previous one.

    A different file (name, size or content) clears config, model, predictions
    and embeddings, so nothing stale survives an upload.
    """
    if get(DATA_FINGERPRINT) == dataset.fingerprint:
        return False
    reset_downstream()
    put(DATA, dataset.frame)
    put(DATA_NAME, dataset.name)
    put(DATA_FINGERPRINT, dataset.fingerprint)
    put(DATA_NOTES, list(dataset.notes))
    return True


def dataset() -> Dataset | None:
    """The current data set, if any."""
    frame = get(DATA)
    if frame is None:
        return None
    # The session keeps the fingerprint string (tests and older sessions seed it).
    provenance = Provenance.parse(get(DATA_FINGERPRINT, ""))
    return Dataset(frame, get(DATA_NAME, ""), provenance, tuple(get(DATA_NOTES, ())))


def forget_config_widgets() -> None:
    """Make the configure widgets show the config now in :data:`CONFIG`.

    Deleting a widget's state is not enough for a browser that still shows the
    widget: it keeps (and later sends back) its own value unless the server
    marks a new one as set. So this also asks the configure page to write the
    freshly rendered values back once (``ui.configure.pin_widgets``). Sizes
    the advisor applied give way to the config's.
    """
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(CONFIG_WIDGET_PREFIX):
            del st.session_state[key]
    put(ROLES_SHOWN, None)
    put(SIZE_OVERRIDES, None)
    put(WIDGETS_TO_PIN, True)
