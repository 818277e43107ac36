"""The Tune page's pieces: the editable search space, the study form, the study's
live panel.

Studies are owned like runs: in login mode a viewer sees and drives only their
own (administrators every one), and another user's study is "not found".
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from core.config import ExperimentConfig
from core.errors import CoreError
from core.tuning.launch import launch_driver
from core.tuning.space import KINDS, Parameter, SearchSpace, default_space
from core.tuning.studies import (
    PRUNERS,
    StudyNotFoundError,
    StudyRecord,
    StudySettings,
    StudyStore,
)
from ui import auth, runs, state
from ui.text import literal

STUDY = "tune_study_id"
QUERY_KEY = "study"
SPACE_COLUMNS = ["name", "kind", "low", "high", "log", "step", "choices"]


def studies() -> StudyStore:
    """The studies of the server's run store."""
    return StudyStore(runs.store())


def visible_studies() -> list[StudyRecord]:
    """The studies this session's viewer may see, newest first."""
    viewer = auth.viewer()
    everyone = viewer.local or viewer.is_admin
    return studies().list(owner=None if everyone else viewer.owner)


def find_study(study_id: str) -> StudyRecord:
    """A study the viewer may see (another user's is "not found").

    Raises
    ------
    StudyNotFoundError
        For an unknown id and for another user's study alike.
    """
    record = studies().get(study_id)
    viewer = auth.viewer()
    if not (viewer.local or viewer.is_admin or record.owner == viewer.owner):
        raise StudyNotFoundError(f"expected a study id, received {study_id!r}")
    return record


def space_table(space: SearchSpace) -> pd.DataFrame:
    """The space as an editable table (choices as ``a | b | c`` JSON values)."""
    rows = []
    for parameter in space.parameters:
        rows.append(
            {
                "name": parameter.name,
                "kind": parameter.kind,
                "low": parameter.low,
                "high": parameter.high,
                "log": parameter.log,
                "step": parameter.step,
                "choices": " | ".join(json.dumps(c) for c in parameter.choices),
            }
        )
    return pd.DataFrame(rows, columns=SPACE_COLUMNS)


def space_from_table(table: pd.DataFrame) -> SearchSpace:
    """Read the edited table back (raises ConfigError naming the parameter)."""
    parameters = []
    for row in table.to_dict("records"):
        name = str(row.get("name") or "").strip()
        if not name:
            continue  # an empty row the editor added
        kind = str(row.get("kind") or "").strip()
        parameters.append(
            Parameter(
                name,
                kind,
                low=_number(row.get("low")),
                high=_number(row.get("high")),
                log=bool(row.get("log")) if not pd.isna(row.get("log")) else False,
                step=None if _number(row.get("step")) is None else int(row["step"]),
                choices=_choices(name, row.get("choices"))
                if kind == "categorical"
                else (),
            )
        )
    return SearchSpace(tuple(parameters))


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return float(value)


def _choices(name: str, text: Any) -> tuple[Any, ...]:
    """``32 | 64 | "64,32" | true`` to values (JSON each, else plain text)."""
    values = []
    for part in str(text or "").split("|"):
        part = part.strip()
        if not part:
            continue
        try:
            values.append(json.loads(part))
        except json.JSONDecodeError:
            values.append(part)  # unquoted text such as gru
    return tuple(values)


def study_form(dataset: state.Dataset, config: ExperimentConfig) -> StudyRecord | None:
    """The search space and study settings; starts a study on submit."""
    st.markdown(
        "**Search space** — one row per setting: `int`/`float` use low and high "
        "(log scale for rates), `categorical` uses choices separated by `|`. "
        "Names are `section.field` of the configuration or `embedding.<column>`."
    )
    with st.form("tune_form"):
        edited = st.data_editor(
            space_table(default_space(config)),
            num_rows="dynamic",
            hide_index=True,
            column_config={
                "kind": st.column_config.SelectboxColumn("kind", options=KINDS)
            },
            key="tune_space",
        )
        a, b, c, d = st.columns(4)
        trials = a.number_input("Trials", 1, 500, 20, key="tune_trials")
        parallel = b.number_input(
            "Trials at once", 1, 16, runs.executor().max_concurrent, key="tune_parallel"
        )
        pruner = c.selectbox("Pruner", PRUNERS, key="tune_pruner")
        seeds = d.number_input(
            "Seeds for the final comparison", 0, 20, 3, key="tune_final_seeds"
        )
        gbm = a.checkbox("Add gradient boosting", True, key="tune_gbm")
        start = c.checkbox(
            "Start from these settings",
            True,
            key="tune_start_from_base",
            help="The study's first trial is the configuration as it stands, "
            "so the best trial is never worse on validation than it.",
        )
        executor = runs.executor_choice("tune_executor", b)
        submitted = st.form_submit_button("Start study", type="primary")
    if not submitted:
        return None
    try:
        settings = StudySettings(
            config,
            space_from_table(edited),
            trials=int(trials),
            parallel=int(parallel),
            pruner=pruner,
            final_seeds=int(seeds),
            baseline_arm=bool(gbm),
            start_from_base=bool(start),
        )
        record = studies().create(
            dataset.frame,
            settings,
            dataset.name,
            owner=auth.viewer().owner,
            executor=executor,
        )
    except CoreError as error:
        st.error(literal(str(error)))
        return None
    cluster = runs.ray_address() if executor == "ray" else None
    launch_driver(studies(), record.id, executor, cluster)
    return record


def open_study(study_id: str | None) -> None:
    """Make ``study_id`` the page's study (and the URL's)."""
    if study_id is None:
        st.session_state.pop(STUDY, None)
        st.query_params.pop(QUERY_KEY, None)
        return
    state.put(STUDY, study_id)
    st.query_params[QUERY_KEY] = study_id


def current_study() -> StudyRecord | None:
    """The page's study (from the session, else the URL), if visible."""
    study_id = state.get(STUDY) or st.query_params.get(QUERY_KEY)
    if not study_id:
        return None
    try:
        return find_study(study_id)
    except StudyNotFoundError as error:
        st.error(literal(str(error)))
        open_study(None)
        return None


def status_text(record: StudyRecord) -> str:
    """The study's state in words (a driver that died is said so)."""
    if record.status in ("searching", "comparing") and not record.driver_alive:
        return (
            f"{record.status}, but its driver is not running (stopped or the "
            "machine restarted): resume it to continue"
        )
    return {
        "searching": "searching",
        "comparing": "re-training the best configuration over seeds",
        "done": "done",
        "failed": f"failed: {record.error}",
        "stopped": "stopped (trials in flight were cancelled); resume to continue",
    }.get(record.status, record.status)
