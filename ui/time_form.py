"""The configure form's options for irregular time steps (clinical visits, events).

Time since the previous and the first row, the time itself as an input, the
unit they count in, and a horizon in time ("event within 90 days") beside the
horizon in steps.
"""

from __future__ import annotations

import streamlit as st

from core.config import TIME_UNITS, DataConfig

TIME_UNIT_LABELS = {
    "auto": "from the typical step",
    "seconds": "seconds",
    "minutes": "minutes",
    "hours": "hours",
    "days": "days",
}


def horizon_time_field(column, data: DataConfig) -> float | None:
    """A horizon in time for event targets (0 = none: steps or the window's end)."""
    value = column.number_input(
        "Or: event within this much time (in the time unit; 0 = off)",
        min_value=0.0,
        value=float(data.horizon_time or 0.0),
        step=1.0,
        help="Binary targets: 1 when the event occurs within this time after "
        "the window's end, however many rows that is. Windows whose entity is "
        "observed for less than that without an event are dropped (censored). "
        "Set the horizon in steps to 0 to use it.",
        key="cfg_horizon_time",
    )
    return float(value) if value else None


def time_input_fields(data: DataConfig) -> dict:
    """Time deltas, the time as an input and the time unit, as data changes."""
    a, b, c = st.columns(3)
    deltas = a.checkbox(
        "Time since the previous and first row",
        data.time_deltas,
        help="Two numeric inputs for irregular steps: the time since the "
        "entity's previous row (0 on its first) and since its first row.",
        key="cfg_time_deltas",
    )
    as_input = b.checkbox(
        "The time itself as an input",
        data.time_as_input,
        help="Counted from the earliest training time. Under a time split the "
        "held-out rows lie later than any training row of their entity.",
        key="cfg_time_as_input",
    )
    unit = c.selectbox(
        "Time unit",
        TIME_UNITS,
        TIME_UNITS.index(data.time_unit),
        format_func=TIME_UNIT_LABELS.get,
        help="For a date/time column; a numeric one counts in its own units.",
        key="cfg_time_unit",
    )
    return {
        "time_deltas": bool(deltas),
        "time_as_input": bool(as_input),
        "time_unit": unit,
    }
