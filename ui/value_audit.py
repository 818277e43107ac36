"""The configure page's value audit: where each value of a column goes.

With a saved configuration, the counts are per part of its split (the
vocabulary is learned from the training rows only, so a value of the
validation or test rows alone is shown as never seen in training); without
one, over the whole table.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.config import ExperimentConfig
from core.errors import CoreError
from core.examples.advisor import audit_column
from core.examples.audit import audit_by_part
from core.examples.prepare import plan_experiment
from ui.data import data_key
from ui.state import Dataset


@st.cache_data(show_spinner=False, max_entries=16)
def _audit_by_part(
    key: str, _frame: pd.DataFrame, config_json: str, column: str
) -> pd.DataFrame:
    """:func:`core.examples.audit.audit_by_part` under a config's split.

    ``_frame`` is not hashed: ``key`` (:func:`ui.data.data_key`) names the data.
    """
    config = ExperimentConfig.from_json(config_json)
    plan = plan_experiment(_frame, config, memory_limit_bytes=None)
    data = config.data
    return audit_by_part(plan, column, data.min_category_count, data.max_categories)


def show_value_audit(
    dataset: Dataset, column: str, config: ExperimentConfig | None, min_count: int
) -> None:
    """Caption and table of where each value of ``column`` goes."""
    if config is not None and column in config.data.categorical_names:
        try:
            table = _audit_by_part(
                data_key(dataset), dataset.frame, config.to_json(), column
            )
        except CoreError:
            table = None  # the pre-flight below says what is wrong with the split
        if table is not None:
            st.caption(
                "Where each value goes, with its rows in each part of the saved "
                f"configuration's {config.split.method} split (minimum count "
                f"{config.data.min_category_count}, counted in training; index 1 = "
                "unknown)"
            )
            st.dataframe(table, hide_index=True, key="advisor_audit")
            return
    st.caption(
        f"Where each value goes, over the whole table (minimum count {min_count}; "
        "index 1 = unknown); save a configuration to count it per part of its split"
    )
    st.dataframe(
        audit_column(dataset.frame[column], min_count),
        hide_index=True,
        key="advisor_audit",
    )
