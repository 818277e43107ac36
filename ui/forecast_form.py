"""The configure form's forecasting and schedule options (inside "Advanced")."""

from __future__ import annotations

import streamlit as st

from core.config import LR_SCHEDULES, TIME_FEATURES, DataConfig, ExperimentConfig
from core.examples.seasons import DAY, typical_step
from core.features.series_scaling import BY_ENTITY, suggest_series_scaling
from ui import state

NO_SCALING = "one global scale"

LR_SCHEDULE_LABELS = {
    "none": "constant",
    "plateau": "halve on a validation plateau",
    "cosine": "cosine decay over the epochs",
}


def forecast_fields(base: ExperimentConfig) -> tuple[dict, dict]:
    """Forecast options (target as input or its change, smoothing, age, season) and
    LR schedule."""
    data, train = base.data, base.train
    a, b, c, d = st.columns(4)
    target_as_input = a.checkbox(
        "Target's past as input",
        data.target_as_input,
        help="Needs windows and a horizon.",
        key="cfg_target_as_input",
    )
    target_change = a.checkbox(
        "Learn the change from the last value",
        data.target_change,
        help="Regression with the target's past as input: the model predicts "
        "the step from each window's last target value (persistence's "
        "forecast), so an untrained model starts at persistence.",
        key="cfg_target_change",
    )
    alpha = b.number_input(
        "Smoothing alpha",
        min_value=0.0,
        max_value=1.0,
        value=data.smoothing_alpha,
        step=0.05,
        help="Exponential smoothing of the numeric columns; empty = off.",
        key="cfg_smoothing_alpha",
    )
    age = c.checkbox(
        "Entity age feature",
        data.entity_age,
        help="Steps since the entity's first row.",
        key="cfg_entity_age",
    )
    baseline = c.number_input(
        "Entity baseline (first rows; 0 = off)",
        min_value=0,
        value=data.entity_baseline or 0,
        step=1,
        help="Subtract each entity's starting level (the mean of its first N "
        "rows, after scaling) from its numeric columns, so the model sees "
        "each entity's change since it started.",
        key="cfg_entity_baseline",
    )
    schedule = d.selectbox(
        "Learning-rate schedule",
        LR_SCHEDULES,
        LR_SCHEDULES.index(train.lr_schedule),
        key="cfg_lr_schedule",
        format_func=LR_SCHEDULE_LABELS.get,
    )
    season = st.number_input(
        "Season for the seasonal naive baseline (rows; 0 = from the time step)",
        min_value=0,
        value=data.season or 0,
        step=1,
        help="24 for hourly rows with a daily cycle, 7 for daily rows, 12 for "
        "monthly ones; 0 reads it from the time column's typical step.",
        key="cfg_season",
    )
    scaling = target_scaling_field(data)
    horizons, quantile_changes = quantile_fields(base)
    known_changes = known_future_fields(base, horizons is not None)
    data_changes = {
        **known_changes,
        "horizons": horizons,
        "target_scaling": scaling,
        "season": int(season) if season and season >= 2 else None,
        "target_as_input": bool(target_as_input),
        "target_change": bool(target_change),
        "smoothing_alpha": None if alpha is None else float(alpha),
        "entity_age": bool(age),
        "entity_baseline": int(baseline) or None,
    }
    return data_changes, {"lr_schedule": schedule, **quantile_changes}


def parse_quantiles(text: str) -> tuple[float, ...] | str | None:
    """``"0.1, 0.5, 0.9"`` as numbers; empty is none; unreadable text is kept
    as is, so the config names the field in its error.

    >>> parse_quantiles("0.1, 0.5,0.9"), parse_quantiles(" "), parse_quantiles("a")
    ((0.1, 0.5, 0.9), None, 'a')
    """
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        return None
    try:
        return tuple(float(part) for part in parts)
    except ValueError:
        return text


def quantile_fields(base: ExperimentConfig) -> tuple[int | None, dict]:
    """Several steps at once, quantiles and their calibration (regression)."""
    data, train = base.data, base.train
    a, b, c = st.columns(3)
    every_step = a.checkbox(
        "Predict every step up to the horizon at once",
        data.horizons is not None,
        help="One model predicts steps 1 .. horizon (regression, windows); "
        "reported per step beside each baseline.",
        key="cfg_every_step",
    )
    text = b.text_input(
        "Quantiles (comma-separated; empty = one value)",
        ", ".join(f"{q:g}" for q in train.quantiles or ()),
        placeholder="0.1, 0.5, 0.9",
        help="Trained with the pinball loss; predictions get a column per "
        "quantile (P10, P50, P90) and the report their coverage.",
        key="cfg_quantiles",
    )
    calibrate = c.checkbox(
        "Calibrate the interval on validation",
        train.calibrate_intervals,
        help="Split-conformal: widens or narrows the outermost quantiles' "
        "interval so its validation coverage matches its nominal level.",
        key="cfg_calibrate",
    )
    # Inside the form the horizon field has already taken its submitted value.
    horizon = st.session_state.get("cfg_horizon", data.horizon) or None
    horizons = int(horizon) if every_step and horizon else None
    return horizons, {
        "quantiles": parse_quantiles(text),
        "calibrate_intervals": bool(calibrate),
    }


def target_scaling_field(data: DataConfig) -> str | None:
    """Per-series target scaling; preselected when entity levels differ >10x."""
    choices = [NO_SCALING, BY_ENTITY, *data.categorical_names]
    chosen = data.target_scaling
    dataset = state.dataset()
    # A configuration loaded from a file says "none" on purpose: no suggestion.
    suggested = (
        chosen is None
        and state.get(state.CONFIG_UPLOAD_MEMO) is None
        and dataset is not None
        and data.task == "regression"
        and data.id_column in dataset.frame.columns
        and suggest_series_scaling(dataset.frame, data)
    )
    if suggested:
        chosen = BY_ENTITY
    picked = st.selectbox(
        "Scale the target per series (regression)",
        choices,
        choices.index(chosen) if chosen in choices else 0,
        help="Scales the target and its past per entity (or per value of a "
        "column) with training statistics, so series of very different levels "
        "share one model; predictions are unscaled.",
        key="cfg_target_scaling",
    )
    if suggested:
        st.caption(
            "Entity levels differ by more than an order of magnitude: per-entity "
            "scaling is preselected."
        )
    return None if picked == NO_SCALING else picked


def calendar_parts_for(data: DataConfig) -> tuple[str, ...]:
    """Calendar parts worth deriving: no hour of day for daily or coarser rows."""
    dataset = state.dataset()
    if dataset is None or data.time_column not in dataset.frame.columns:
        return TIME_FEATURES
    step = typical_step(dataset.frame[data.time_column].to_numpy())
    if step is not None and step >= DAY:
        return tuple(part for part in TIME_FEATURES if part != "hour")
    return TIME_FEATURES


def known_future_fields(base: ExperimentConfig, several_steps: bool) -> dict:
    """Calendar features in one click, and the inputs known in advance."""
    data = base.data
    a, b = st.columns(2)
    calendar = a.checkbox(
        "Calendar features from the time column",
        bool(data.time_features),
        help="Hour of day, day of week and month of a date/time column, as "
        "categorical inputs; known in advance, so a forecast also sees them "
        "at the predicted steps.",
        key="cfg_calendar",
    )
    known = b.multiselect(
        "Known in advance (fed for the predicted steps too)",
        list(dict.fromkeys([*data.feature_columns, *data.known_future])),
        [name for name in data.known_future if name not in TIME_FEATURES],
        help="Holidays, planned settings: their values at the predicted steps "
        "are inputs. Needs windows and a horizon.",
        key="cfg_known_future",
    )
    parts = calendar_parts_for(data) if calendar else ()
    # Inside the form the horizon field has already taken its submitted value.
    forecasting = bool(st.session_state.get("cfg_horizon", data.horizon))
    if forecasting or several_steps:
        known = [*known, *parts]
    return {"time_features": tuple(parts), "known_future": tuple(known)}
