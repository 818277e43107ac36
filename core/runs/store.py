"""The run store: every training run is a folder of JSON records and artefacts.

Layout of a store (default ``runs/`` in the working directory)::

    runs/
      _data/<fingerprint>.parquet     each trained-on table, stored once
                                      (not for Parquet datasets: their runs
                                      keep a reference, <run id>/dataset.json)
      _slots/slot-<k>.lock            the executor's concurrency slots
      <run id>/
        run.json                      the record: status, config, data, times
        progress.jsonl                one JSON line per phase, epoch and batch
        cancel.request                present once a cancel was asked for
        models/<encoding>/            a bundle per trained encoding
        predictions/<encoding>_<part>.parquet / .npz
        metrics.json, history.json    per encoding
        snapshots/<encoding>/epoch_<n>.npz   embedding matrices per epoch
        tensorboard/<encoding>/       scalars and the Embedding Projector
        worker.log                    the training process's own output
        dataset.json                  a streamed run's dataset reference

Every change of ``run.json`` is written to a temporary file and moved into
place (:mod:`core._fs`) under a lock, so a reader never sees half a record
and two writers (the training process and the server) never lose each other's
update. Everyone who reads or writes a run folder asks the store for the paths
(:meth:`RunStore.bundle_path`, :meth:`RunStore.predictions_dir`, ...). Nothing
here imports TensorFlow or Streamlit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from platform import python_version
from typing import Any

import pandas as pd

from core._fs import atomic_write, atomic_write_json, file_lock, remove_directory
from core.config import ExperimentConfig
from core.errors import CoreError

#: Version of the run folder layout; folders from a newer version are "damaged".
RUN_FORMAT_VERSION = 1
#: Environment variable naming the store's folder.
RUNS_DIR_VARIABLE = "SEQ_EMBED_RUNS_DIR"
DATA_FOLDER = "_data"
RUN_FILE = "run.json"
PROGRESS_FILE = "progress.jsonl"
CANCEL_FILE = "cancel.request"
LOCK_FILE = ".lock"
LOG_FILE = "worker.log"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.json"
#: A streamed run's dataset reference (:mod:`core.runs.dataset_run`).
DATASET_FILE = "dataset.json"
MODELS_FOLDER = "models"
PREDICTIONS_FOLDER = "predictions"
SNAPSHOTS_FOLDER = "snapshots"
TENSORBOARD_FOLDER = "tensorboard"
_RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


class RunStatus(StrEnum):
    """Where a run stands; the last four are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def final(self) -> bool:
        """Whether the run can no longer change."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


class RunNotFoundError(CoreError):
    """No run with that id in the store (or the id is malformed)."""


@dataclass(frozen=True)
class RunRecord:
    """The contents of one ``run.json``.

    Attributes
    ----------
    id : str
        ``YYYYMMDD-HHMMSS-xxxxxx`` (creation time, UTC, and a random suffix).
    status : RunStatus
        Typed status.
    config : ExperimentConfig
        The experiment.
    encodings : tuple of str
        Encodings trained, in order (``"embedding"``, ``"onehot"``).
    data_fingerprint, data_name : str
        The stored table and the name the user knows it by.
    rows, entities : int
        Size of that table.
    created, started, finished : float or None
        Unix times.
    error : str or None
        What went wrong (failed or interrupted runs).
    traceback : str or None
        Set only when training hit a bug rather than a user error.
    peak_memory_bytes : int or None
        The training process's peak resident memory.
    owner : str or None
        Who started it (``None`` in local mode).
    versions, host, pid
        Library versions, machine and process of the training child.
    pid_started : float or None
        When that process started (Unix time), so a reused pid is not taken
        for it (:func:`core.runs.processes.process_alive`).
    pid_start : int or None
        The same in clock ticks since boot, as records written before
        ``pid_started`` existed hold it; read, never written for new runs.
    label : str or None
        A short name (a comparison's "seed 3", a sweep's "size 8").
    comparison : str or None
        Id of the comparison or sweep this run belongs to.
    executor : str or None
        ``"ray"`` when a Ray cluster trains it (``pid`` and ``host`` are then
        the driver's: the process that follows the run), else ``None`` (local).
    node, remote_pid
        Ray only: the address of the node and the pid of the Ray worker
        process that trains it.
    streamed : bool
        Whether the run streams a Parquet dataset by reference
        (``dataset.json``) instead of training on a stored table. Records
        written before the field existed are judged by that file.
    path : pathlib.Path
        The run folder.
    """

    id: str
    status: RunStatus
    config: ExperimentConfig
    encodings: tuple[str, ...]
    data_fingerprint: str
    data_name: str
    rows: int
    entities: int
    created: float
    path: Path
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    traceback: str | None = None
    peak_memory_bytes: int | None = None
    owner: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    host: str | None = None
    pid: int | None = None
    pid_start: int | None = None
    pid_started: float | None = None
    label: str | None = None
    comparison: str | None = None
    executor: str | None = None
    node: str | None = None
    remote_pid: int | None = None
    streamed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to ``run.json``."""
        return {
            "format_version": RUN_FORMAT_VERSION,
            "id": self.id,
            "status": self.status.value,
            "config": self.config.to_dict(),
            "encodings": list(self.encodings),
            "data": {
                "fingerprint": self.data_fingerprint,
                "name": self.data_name,
                "rows": self.rows,
                "entities": self.entities,
            },
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "traceback": self.traceback,
            "peak_memory_bytes": self.peak_memory_bytes,
            "owner": self.owner,
            "versions": dict(self.versions),
            "host": self.host,
            "pid": self.pid,
            "pid_start": self.pid_start,
            "pid_started": self.pid_started,
            "label": self.label,
            "comparison": self.comparison,
            "executor": self.executor,
            "node": self.node,
            "remote_pid": self.remote_pid,
            "streamed": self.streamed,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any], path: Path) -> RunRecord:
        """Read a ``run.json`` object; raises KeyError/ValueError when malformed."""
        data = payload["data"]
        return cls(
            id=str(payload["id"]),
            status=RunStatus(payload["status"]),
            config=ExperimentConfig.from_dict(payload["config"]),
            encodings=tuple(payload["encodings"]),
            data_fingerprint=str(data["fingerprint"]),
            data_name=str(data["name"]),
            rows=int(data["rows"]),
            entities=int(data["entities"]),
            created=float(payload["created"]),
            path=path,
            started=payload.get("started"),
            finished=payload.get("finished"),
            error=payload.get("error"),
            traceback=payload.get("traceback"),
            peak_memory_bytes=payload.get("peak_memory_bytes"),
            owner=payload.get("owner"),
            versions=dict(payload.get("versions") or {}),
            host=payload.get("host"),
            pid=payload.get("pid"),
            pid_start=payload.get("pid_start"),
            pid_started=payload.get("pid_started"),
            label=payload.get("label"),
            comparison=payload.get("comparison"),
            executor=payload.get("executor"),
            node=payload.get("node"),
            remote_pid=payload.get("remote_pid"),
            streamed=_streamed(payload, path),
        )

    @property
    def seconds(self) -> float | None:
        """Wall-clock duration so far (or in total, once finished)."""
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started


@dataclass(frozen=True)
class DataSummary:
    """What a new run trains on: the data's fingerprint, name and size."""

    fingerprint: str
    name: str
    rows: int
    entities: int


@dataclass(frozen=True)
class DamagedRun:
    """A run folder that cannot be read, with the reason."""

    id: str
    path: Path
    reason: str


def default_runs_dir() -> Path:
    """``$SEQ_EMBED_RUNS_DIR``, else ``runs/`` in the working directory."""
    return Path(os.environ.get(RUNS_DIR_VARIABLE) or "runs").resolve()


def new_run_id(now: float | None = None) -> str:
    """A sortable, unguessable run id: UTC creation time plus 24 random bits."""
    stamp = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a table: values, index, column names and dtypes."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:24]


def data_fingerprint(frame: pd.DataFrame, owner: str | None = None) -> str:
    """Name of a stored table: its content hash, scoped to its owner if any."""
    content = frame_fingerprint(frame)
    if owner is None:
        return content
    return hashlib.sha256(f"{owner}\0{content}".encode()).hexdigest()[:24]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a result depends on (without importing them)."""
    versions = {"python": python_version()}
    for name in ("tensorflow", "keras", "numpy", "pandas", "scikit-learn"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


class RunStore:
    """One folder of runs; safe to use from several processes at once.

    Parameters
    ----------
    root : str or pathlib.Path or None
        The store's folder (created on first write); ``None`` means
        :func:`default_runs_dir`.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).resolve() if root is not None else default_runs_dir()

    # -- creating and reading ------------------------------------------------

    def create(
        self,
        frame: pd.DataFrame,
        config: ExperimentConfig,
        encodings: tuple[str, ...],
        data_name: str,
        owner: str | None = None,
        label: str | None = None,
        comparison: str | None = None,
    ) -> RunRecord:
        """Store the data (once per fingerprint) and a new ``queued`` run.

        Returns
        -------
        RunRecord
            The new run; nothing is trained until an executor launches it.
        """
        fingerprint = self.store_data(frame, owner=owner)
        entities = (
            int(frame[config.data.id_column].nunique(dropna=False))
            if config.data.id_column in frame.columns
            else 1
        )
        return self.add_run(
            config,
            encodings,
            DataSummary(fingerprint, data_name, len(frame), entities),
            owner=owner,
            label=label,
            comparison=comparison,
        )

    def add_run(
        self,
        config: ExperimentConfig,
        encodings: tuple[str, ...],
        data: DataSummary,
        owner: str | None = None,
        label: str | None = None,
        comparison: str | None = None,
        reference: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Write a new ``queued`` run's folder and record (the data is elsewhere).

        Parameters
        ----------
        config : ExperimentConfig
            The experiment.
        encodings : tuple of str
            The arms to train, in order.
        data : DataSummary
            What the run trains on (stored with :meth:`store_data`, or a
            dataset by reference).
        owner, label, comparison : str or None
            As in :class:`RunRecord`.
        reference : dict or None
            A streamed run's dataset reference, written to ``dataset.json``
            before the record (the run is then ``streamed``).

        Returns
        -------
        RunRecord
            The new run.
        """
        now = time.time()
        run_id = new_run_id(now)
        path = self.root / run_id
        path.mkdir(parents=True)
        if reference is not None:
            atomic_write_json(path / DATASET_FILE, reference)
        record = RunRecord(
            id=run_id,
            status=RunStatus.QUEUED,
            config=config,
            encodings=tuple(encodings),
            data_fingerprint=data.fingerprint,
            data_name=data.name,
            rows=data.rows,
            entities=data.entities,
            created=now,
            path=path,
            owner=owner,
            versions=library_versions(),
            host=socket.gethostname(),
            label=label,
            comparison=comparison,
            streamed=reference is not None,
        )
        atomic_write_json(path / RUN_FILE, record.to_dict())
        return record

    def store_data(self, frame: pd.DataFrame, owner: str | None = None) -> str:
        """Write ``frame`` as Parquet under its fingerprint (once); returns it.

        With an ``owner`` the fingerprint also covers the owner, so two users
        who upload the same table each have their own copy: deleting one user's
        last run deletes that user's data, never another user's.
        """
        fingerprint = data_fingerprint(frame, owner)
        target = self.data_path(fingerprint)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(
                target, lambda temporary: frame.to_parquet(temporary, index=False)
            )
        return fingerprint

    def data_path(self, fingerprint: str) -> Path:
        """Where the table with that fingerprint is stored."""
        if not re.fullmatch(r"[0-9a-f]{1,64}", fingerprint):
            raise RunNotFoundError(
                f"expected a data fingerprint, received {fingerprint!r}"
            )
        return self.root / DATA_FOLDER / f"{fingerprint}.parquet"

    def load_data(self, record: RunRecord) -> pd.DataFrame:
        """The table a run trained on, read back from the store."""
        path = self.data_path(record.data_fingerprint)
        if not path.is_file():
            raise RunNotFoundError(
                f"expected the stored data of run {record.id}, received no file "
                f"{path.name}"
            )
        return pd.read_parquet(path)

    def run_path(self, run_id: str) -> Path:
        """The folder of a run id (which must look like one: no path tricks)."""
        if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
            raise RunNotFoundError(f"expected a run id, received {run_id!r}")
        return self.root / run_id

    def get(self, run_id: str) -> RunRecord:
        """The record of one run.

        Raises
        ------
        RunNotFoundError
            If the id is malformed, unknown, or its folder is damaged.
        """
        path = self.run_path(run_id)
        found = _read_run(path)
        if isinstance(found, DamagedRun):
            raise RunNotFoundError(f"run {run_id}: {found.reason}")
        return found

    def list(self) -> list[RunRecord | DamagedRun]:
        """Every run, newest first; unreadable folders come back as DamagedRun."""
        if not self.root.is_dir():
            return []
        found = [
            _read_run(path)
            for path in self.root.iterdir()
            if path.is_dir() and _RUN_ID.match(path.name)
        ]
        return sorted(found, key=_creation_order, reverse=True)

    def records(self) -> list[RunRecord]:
        """The readable runs, newest first."""
        return [item for item in self.list() if isinstance(item, RunRecord)]

    # -- changing ------------------------------------------------------------

    def update(self, run_id: str, **changes: Any) -> RunRecord:
        """Change fields of a run's record atomically, under the run's lock."""
        with self._locked(run_id):
            record = self.get(run_id)
            if "status" in changes:
                changes["status"] = RunStatus(changes["status"])
            updated = replace(record, **changes)
            atomic_write_json(updated.path / RUN_FILE, updated.to_dict())
        return updated

    def finish(
        self, run_id: str, status: RunStatus, error: str | None = None, **changes: Any
    ) -> RunRecord:
        """Set a final status unless the run already has one (the first one wins)."""
        with self._locked(run_id):
            record = self.get(run_id)
            if record.status.final:
                return record
            updated = replace(
                record,
                status=status,
                error=error if error is not None else record.error,
                finished=changes.pop("finished", time.time()),
                **changes,
            )
            atomic_write_json(updated.path / RUN_FILE, updated.to_dict())
        return updated

    @contextlib.contextmanager
    def _locked(self, run_id: str) -> Iterator[None]:
        path = self.run_path(run_id)
        if not path.is_dir():
            raise RunNotFoundError(f"expected a run in the store, received {run_id!r}")
        with file_lock(path / LOCK_FILE):
            yield

    def delete(self, run_id: str) -> None:
        """Remove a run, and its stored data when no other run uses that data."""
        path = self.run_path(run_id)
        if not path.is_dir():
            raise RunNotFoundError(f"expected a run in the store, received {run_id!r}")
        fingerprint = None
        with contextlib.suppress(RunNotFoundError):
            fingerprint = self.get(run_id).data_fingerprint
        # Moved aside first, so a listing never sees a half-deleted run.
        remove_directory(path)
        if fingerprint is None:
            return
        still_used = any(
            record.data_fingerprint == fingerprint for record in self.records()
        )
        if not still_used:
            with contextlib.suppress(FileNotFoundError):
                self.data_path(fingerprint).unlink()

    # -- progress and cancellation ---------------------------------------------

    def append_progress(self, run_id: str, event: dict[str, Any]) -> None:
        """Add one line to the run's ``progress.jsonl`` (a single write call)."""
        line = json.dumps({"time": time.time(), **event}, default=float) + "\n"
        with self.progress_path(run_id).open("a", encoding="utf-8") as f:
            f.write(line)

    def progress(self, run_id: str) -> list[dict[str, Any]]:
        """Every progress line so far; a line still being written is skipped."""
        path = self.progress_path(run_id)
        if not path.is_file():
            return []
        events = []
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                events.append(json.loads(line))
        return events

    def request_cancel(self, run_id: str) -> None:
        """Ask the run's process to stop at its next batch."""
        path = self.run_path(run_id)
        if not path.is_dir():
            raise RunNotFoundError(f"expected a run in the store, received {run_id!r}")
        (path / CANCEL_FILE).touch()

    def cancel_requested(self, run_id: str) -> bool:
        """Whether a cancel was asked for."""
        return (self.run_path(run_id) / CANCEL_FILE).exists()

    # -- paths inside a run folder ---------------------------------------------

    def progress_path(self, run_id: str) -> Path:
        """The run's ``progress.jsonl``."""
        return self.run_path(run_id) / PROGRESS_FILE

    def log_path(self, run_id: str) -> Path:
        """The training process's own output, ``worker.log``."""
        return self.run_path(run_id) / LOG_FILE

    def dataset_reference_path(self, run_id: str) -> Path:
        """A streamed run's ``dataset.json``."""
        return self.run_path(run_id) / DATASET_FILE

    def models_dir(self, run_id: str) -> Path:
        """The folder of the run's bundles, one per encoding."""
        return self.run_path(run_id) / MODELS_FOLDER

    def bundle_path(self, run_id: str, encoding: str) -> Path:
        """Folder of the bundle of one encoding of a run."""
        return self.models_dir(run_id) / encoding

    def predictions_dir(self, run_id: str) -> Path:
        """The folder of the run's held-out predictions."""
        return self.run_path(run_id) / PREDICTIONS_FOLDER

    def prediction_paths(
        self, run_id: str, encoding: str, part: str
    ) -> tuple[Path, Path]:
        """One encoding's predictions on one part: the table (Parquet) and the
        encoded labels and raw scores (``.npz``)."""
        stem = self.predictions_dir(run_id) / f"{encoding}_{part}"
        return stem.with_suffix(".parquet"), stem.with_suffix(".npz")

    def snapshots_dir(self, run_id: str, encoding: str) -> Path:
        """One encoding's embedding matrices per epoch."""
        return self.run_path(run_id) / SNAPSHOTS_FOLDER / encoding

    def tensorboard_dir(self, run_id: str, encoding: str) -> Path:
        """One encoding's TensorBoard logs (scalars and the Embedding Projector)."""
        return self.run_path(run_id) / TENSORBOARD_FOLDER / encoding

    def metrics_path(self, run_id: str) -> Path:
        """``metrics.json``: encoding to metrics."""
        return self.run_path(run_id) / METRICS_FILE

    def history_path(self, run_id: str) -> Path:
        """``history.json``: encoding to per-epoch curves."""
        return self.run_path(run_id) / HISTORY_FILE

    # -- results ---------------------------------------------------------------

    def results(self, run_id: str) -> dict[str, Any]:
        """``metrics.json`` of a run: encoding to metrics (empty before any)."""
        return _read_optional_json(self.metrics_path(run_id))

    def histories(self, run_id: str) -> dict[str, Any]:
        """``history.json`` of a run: encoding to per-epoch curves."""
        return _read_optional_json(self.history_path(run_id))

    def save_result(
        self, run_id: str, encoding: str, metrics: dict, history: dict
    ) -> None:
        """Add one encoding's metrics and history to the run's JSON files."""
        paths = (self.metrics_path(run_id), self.history_path(run_id))
        with self._locked(run_id):
            for path, payload in zip(paths, (metrics, history), strict=True):
                merged = _read_optional_json(path)
                merged[encoding] = payload
                atomic_write_json(path, merged)


def _creation_order(item: RunRecord | DamagedRun) -> tuple[float, str]:
    """Sort key: creation time, then id (damaged folders by their id's time)."""
    if isinstance(item, RunRecord):
        return (item.created, item.id)
    try:
        stamp = datetime.strptime(item.id[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return (0.0, item.id)
    return (stamp.timestamp(), item.id)


def _streamed(payload: dict[str, Any], path: Path) -> bool:
    """``streamed``; older records streamed if they have ``dataset.json``."""
    streamed = payload.get("streamed")
    if streamed is None:
        return (path / DATASET_FILE).is_file()
    return bool(streamed)


def _read_optional_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    payload = json.loads(path.read_text(encoding="utf-8"))
    return payload if isinstance(payload, dict) else {}


def _read_run(path: Path) -> RunRecord | DamagedRun:
    """A run's record, or why it cannot be read."""
    file = path / RUN_FILE
    if not file.is_file():
        return DamagedRun(path.name, path, "run.json is missing")
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return DamagedRun(path.name, path, f"run.json is not valid JSON ({error})")
    if not isinstance(payload, dict):
        return DamagedRun(path.name, path, "run.json is not a JSON object")
    version = payload.get("format_version")
    if isinstance(version, int) and version > RUN_FORMAT_VERSION:
        return DamagedRun(
            path.name,
            path,
            f"written by a newer version of the studio (run format {version}, "
            f"this one reads {RUN_FORMAT_VERSION})",
        )
    if version != RUN_FORMAT_VERSION:
        return DamagedRun(path.name, path, f"unknown run format {version!r}")
    try:
        record = RunRecord.from_dict(payload, path)
    except (KeyError, TypeError, ValueError, CoreError) as error:
        return DamagedRun(path.name, path, f"run.json is incomplete ({error})")
    if record.id != path.name:
        return DamagedRun(path.name, path, f"run.json names another run ({record.id})")
    return record
