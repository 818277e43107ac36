"""What a study found: its trials, the best one, what it cost, and the board.

Read from Optuna's database and the run store only, so the Tune page, the
command line and a notebook see the same report while the study runs and
after it ended.
"""

from __future__ import annotations

import math
from typing import Any

import optuna
import pandas as pd

from core.analysis.comparison import comparison_runs, summarize
from core.analysis.leaderboard import Leaderboard, leaderboard
from core.errors import ConfigError
from core.runs.store import RunStore
from core.tuning.driver import (
    BASE_ORIGIN,
    ERROR_ATTRIBUTE,
    ORIGIN_ATTRIBUTE,
    RUN_ATTRIBUTE,
    best_config,
)
from core.tuning.studies import StudyRecord


def load_study(record: StudyRecord) -> optuna.Study | None:
    """The study's Optuna study, or None before its driver created it."""
    if not (record.path / "optuna.db").is_file():
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name=record.id, storage=record.database_url)
    except KeyError:
        return None  # the database exists, the study is not in it yet


def trials_table(study: optuna.Study | None) -> pd.DataFrame:
    """One row per trial: number, state, value, run, seconds and parameters."""
    columns = ["trial", "state", "value", "epochs", "run", "seconds", "note"]
    if study is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for trial in study.get_trials(deepcopy=False):
        seconds = None
        if trial.datetime_start is not None and trial.datetime_complete is not None:
            seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
        rows.append(
            {
                "trial": trial.number,
                "state": trial.state.name.lower(),
                "value": trial.value,
                "epochs": len(trial.intermediate_values),
                "run": trial.user_attrs.get(RUN_ATTRIBUTE),
                "seconds": seconds,
                "note": _note(trial),
                **trial.params,
            }
        )
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def _note(trial: optuna.trial.FrozenTrial) -> str:
    """Why a trial failed, or that it is the base configuration."""
    attributes = trial.user_attrs
    notes = (attributes.get(ORIGIN_ATTRIBUTE), attributes.get(ERROR_ATTRIBUTE))
    return "; ".join(note for note in notes if note)


def search_cost(study: optuna.Study | None) -> dict[str, Any]:
    """Trials by state and the search's wall-clock minutes."""
    if study is None:
        return {"trials": 0, "minutes": 0.0}
    trials = study.get_trials(deepcopy=False)
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    minutes = 0.0
    if starts and ends:
        minutes = (max(ends) - min(starts)).total_seconds() / 60
    return {"trials": len(trials), "by_state": counts, "minutes": round(minutes, 2)}


def best_trial(study: optuna.Study | None) -> dict[str, Any] | None:
    """The best completed trial's number, value, parameters and run, or None."""
    if study is None:
        return None
    try:
        best = study.best_trial
    except ValueError:
        return None
    return {
        "trial": best.number,
        "value": best.value,
        "params": dict(best.params),
        "run": best.user_attrs.get(RUN_ATTRIBUTE),
        "is_base": best.user_attrs.get(ORIGIN_ATTRIBUTE) == BASE_ORIGIN,
    }


def final_board(store: RunStore, record: StudyRecord) -> Leaderboard | None:
    """The leaderboard of the closing comparison (None before its first seed)."""
    if record.final_comparison is None:
        return None
    if not comparison_runs(store, record.final_comparison):
        return None
    try:
        result = summarize(store, record.final_comparison)
    except ConfigError:
        return None
    if not result.arms:
        return None
    return leaderboard(store, result, settings=(best_trial(load_study(record)) or {}))


def study_report(store: RunStore, record: StudyRecord) -> dict[str, Any]:
    """The whole report of a study as JSON-friendly data."""
    study = load_study(record)
    table = trials_table(study)
    board = final_board(store, record)
    config = best_config(study, record.settings) if study is not None else None
    return {
        "study": record.id,
        "status": record.status,
        "objective": {
            "metric": record.settings.objective,
            "direction": record.settings.direction,
            "part": "validation",
        },
        "search_cost": search_cost(study),
        "best": best_trial(study),
        "best_config": None if config is None else config.to_dict(),
        "trials": [
            {key: _plain(value) for key, value in row.items()}
            for row in table.to_dict("records")
        ],
        "final_comparison": record.final_comparison,
        "leaderboard": None if board is None else board.to_dict(),
        "error": record.error,
    }


def _plain(value: Any) -> Any:
    """NaN as None, numpy scalars as Python ones (for JSON)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
