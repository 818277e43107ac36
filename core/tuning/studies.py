"""Studies in the run store: settings, status and the Optuna database of each.

A study lives in ``<runs>/studies/<study id>/``: ``study.json`` (its settings,
owner, data and status, written atomically) and ``optuna.db`` (Optuna's RDB
storage as SQLite: every trial, its parameters, per-epoch values and state).
Its trials are ordinary runs of the store whose ``comparison`` field is the
study's id, so the Runs page groups them and login ownership applies as for
any run. A study whose driver stopped (a restart, a kill) resumes from both.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from core._fs import atomic_write_json, file_lock, remove_directory
from core.config import ExperimentConfig
from core.errors import ConfigError, CoreError
from core.model.metric_registry import headline_metric, lower_is_better
from core.runs.processes import process_alive
from core.runs.store import RunStore
from core.tuning.space import SearchSpace

Pruner = Literal["median", "hyperband", "none"]
PRUNERS: tuple[str, ...] = ("median", "hyperband", "none")
MAX_TRIALS = 500
MAX_PARALLEL = 16
STUDIES_DIR = "studies"
STUDY_FILE = "study.json"
DATABASE_FILE = "optuna.db"
STOP_FILE = "stop.request"
DRIVER_LOG = "driver.log"


class StudyNotFoundError(CoreError):
    """No study of that id in the store."""


@dataclass(frozen=True)
class StudySettings:
    """What a study searches and how.

    Parameters
    ----------
    base : ExperimentConfig
        The experiment every trial starts from (its data roles and task).
    space : SearchSpace
        The parameters searched.
    trials : int
        Trials to finish (completed, pruned or failed).
    parallel : int
        Trials training at once (the executor's slots still apply).
    pruner : {"median", "hyperband", "none"}
        Stops hopeless trials from their per-epoch validation loss.
    sampler_seed : int
        Seed of the TPE sampler.
    metric : str or None
        Validation metric the study optimises; ``None``: the task's headline.
    final_seeds : int
        Seeds of the closing comparison of the best configuration against its
        one-hot twin, gradient boosting and the baselines (0: none).
    baseline_arm : bool
        Include the gradient-boosting arm in that comparison.
    start_from_base : bool
        Trial 0 is ``base`` itself (its values of the searched parameters), so
        the study's best is never worse on validation than where it started.
    """

    base: ExperimentConfig
    space: SearchSpace
    trials: int = 20
    parallel: int = 1
    pruner: Pruner = "median"
    sampler_seed: int = 0
    metric: str | None = None
    final_seeds: int = 3
    baseline_arm: bool = True
    start_from_base: bool = True

    def __post_init__(self) -> None:
        _require_int(self.trials, "trials", 1, MAX_TRIALS)
        _require_int(self.parallel, "parallel", 1, MAX_PARALLEL)
        _require_int(self.final_seeds, "final_seeds", 0, 20)
        if self.pruner not in PRUNERS:
            raise ConfigError(
                "pruner", f"expected one of {PRUNERS}, received {self.pruner!r}"
            )
        self.space.check(self.base)

    @property
    def objective(self) -> str:
        """The validation metric optimised."""
        return self.metric or headline_metric(self.base.data.task)

    @property
    def direction(self) -> str:
        """Optuna's ``"minimize"`` or ``"maximize"`` for :attr:`objective`."""
        return "minimize" if lower_is_better(self.objective) else "maximize"

    def to_dict(self) -> dict[str, Any]:
        """JSON object of the settings."""
        return {
            "base": self.base.to_dict(),
            "space": self.space.to_list(),
            "trials": self.trials,
            "parallel": self.parallel,
            "pruner": self.pruner,
            "sampler_seed": self.sampler_seed,
            "metric": self.metric,
            "final_seeds": self.final_seeds,
            "baseline_arm": self.baseline_arm,
            "start_from_base": self.start_from_base,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> StudySettings:
        """Read :meth:`to_dict`'s output."""
        values = dict(payload)
        values["base"] = ExperimentConfig.from_dict(values["base"])
        values["space"] = SearchSpace.from_list(values["space"])
        return cls(**values)


def _require_int(value: Any, name: str, low: int, high: int) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool)) or not (
        low <= value <= high
    ):
        raise ConfigError(
            name, f"expected an integer in [{low}, {high}], received {value!r}"
        )


StudyStatus = Literal["searching", "comparing", "done", "failed", "stopped"]


@dataclass(frozen=True)
class StudyRecord:
    """The contents of one ``study.json``."""

    id: str
    settings: StudySettings
    data_fingerprint: str
    data_name: str
    created: float
    path: Path
    status: StudyStatus = "searching"
    owner: str | None = None
    executor: str = "local"
    driver_pid: int | None = None
    driver_started: float | None = None
    final_comparison: str | None = None
    error: str | None = None
    finished: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        """Optuna's storage URL of this study."""
        return f"sqlite:///{self.path / DATABASE_FILE}"

    @property
    def driver_alive(self) -> bool:
        """Whether the process driving the study still runs."""
        return self.driver_pid is not None and process_alive(
            self.driver_pid, self.driver_started
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON object of the record (without its folder)."""
        payload = dataclasses.asdict(self)
        payload.pop("path")
        payload["settings"] = self.settings.to_dict()
        return payload


def new_study_id(now: float | None = None) -> str:
    """``study-YYYYMMDD-HHMMSS-xxxx`` (UTC creation time and a random suffix)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now or time.time()))
    return f"study-{stamp}-{secrets.token_hex(2)}"


class StudyStore:
    """The studies of one run store."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.root = store.root / STUDIES_DIR

    def create(
        self,
        frame: pd.DataFrame,
        settings: StudySettings,
        data_name: str,
        owner: str | None = None,
        executor: str = "local",
    ) -> StudyRecord:
        """Store the data (shared with runs) and a new study's ``study.json``."""
        fingerprint = self.store.store_data(frame, owner)
        study_id = new_study_id()
        path = self.root / study_id
        path.mkdir(parents=True, exist_ok=False)
        record = StudyRecord(
            study_id,
            settings,
            fingerprint,
            data_name,
            time.time(),
            path,
            owner=owner,
            executor=executor,
        )
        atomic_write_json(path / STUDY_FILE, record.to_dict())
        return record

    def get(self, study_id: str) -> StudyRecord:
        """A study's record.

        Raises
        ------
        StudyNotFoundError
            If the store has no such study.
        """
        path = self.root / study_id
        file = path / STUDY_FILE
        if "/" in study_id or not file.is_file():
            raise StudyNotFoundError(
                f"expected a study id of the store {self.store.root}, "
                f"received {study_id!r}"
            )
        payload = json.loads(file.read_text(encoding="utf-8"))
        payload["settings"] = StudySettings.from_dict(payload["settings"])
        return StudyRecord(path=path, **payload)

    def list(self, owner: str | None = None) -> list[StudyRecord]:
        """Every readable study, newest first (only ``owner``'s when given)."""
        if not self.root.is_dir():
            return []
        records = []
        for path in sorted(self.root.iterdir(), reverse=True):
            if (path / STUDY_FILE).is_file():
                try:
                    record = self.get(path.name)
                except (CoreError, ValueError, KeyError, TypeError):
                    continue  # a damaged study.json: listed by nobody, kept on disk
                if owner is None or record.owner == owner:
                    records.append(record)
        return records

    def update(self, study_id: str, **changes: Any) -> StudyRecord:
        """Write ``changes`` into a study's record (under its lock)."""
        with file_lock(self.root / study_id / ".lock"):
            record = dataclasses.replace(self.get(study_id), **changes)
            atomic_write_json(record.path / STUDY_FILE, record.to_dict())
        return record

    def load_data(self, record: StudyRecord) -> pd.DataFrame:
        """The table the study searches on."""
        path = self.store.data_path(record.data_fingerprint)
        if not path.is_file():
            raise StudyNotFoundError(
                f"expected the stored data of study {record.id}, received no file "
                f"{path.name}"
            )
        return pd.read_parquet(path)

    def request_stop(self, study_id: str) -> None:
        """Ask the study's driver to stop (it cancels its runs in flight)."""
        (self.get(study_id).path / STOP_FILE).touch()

    def stop_requested(self, study_id: str) -> bool:
        """Whether a stop was asked for and not yet cleared by a resume."""
        return (self.root / study_id / STOP_FILE).exists()

    def clear_stop(self, study_id: str) -> None:
        """Forget a stop request (the study is being resumed)."""
        (self.get(study_id).path / STOP_FILE).unlink(missing_ok=True)

    def delete(self, study_id: str) -> None:
        """Remove a study's folder (its trial runs stay, as runs)."""
        remove_directory(self.get(study_id).path)
