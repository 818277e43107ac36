"""The Ray executor: each run trains as one task on a Ray cluster.

Ray is optional (``pip install -r requirements-ray.txt``) and imported only
when this executor connects, so the app, the CLI and the default tests never
need it.

How a run travels (the worker never sees the driver's filesystem):

1. The driver (the process that calls :meth:`RayExecutor.submit`: the CLI, the
   app) creates the run in its store as usual, puts the stored table into the
   Ray object store once per fingerprint and submits
   :func:`train_in_task` with the run's ``run.json``, asking for ``num_cpus``
   and ``num_gpus``. ``max_retries=0``: a run is trained at most once, so a
   worker that dies leaves it ``interrupted`` rather than silently restarted.
2. The task builds a private, temporary run store on its node and runs the
   very same :func:`core.runs.worker.run` as a local worker process (same seeds,
   same deterministic kernels on CPU, so the same metrics).
3. A reporter thread in the task forwards new ``progress.jsonl`` lines and the
   run's status every half second to a small hub actor on the driver's node,
   and learns from it whether a cancel was asked for (it then writes the
   temporary run's ``cancel.request``: training stops at the next batch and
   keeps its best weights, exactly as locally).
4. The task returns every file of its temporary run folder (bundles,
   predictions, metrics, history, snapshots, TensorBoard logs) as bytes; the
   driver's pump thread writes them into the real run folder (a hidden
   folder first, then each item renamed into place, :func:`receive_files`)
   and sets the final status.

Cancel: cooperative through the hub; a task still waiting for resources is
cancelled by ``ray.cancel``; one that has not stopped after the grace period
is ended by ``ray.cancel(force=True)``. A worker or node that dies makes the
task's ``ray.get`` raise (``WorkerCrashedError``, ``NodeDiedError``, ...): the
run becomes ``interrupted``. If the driver itself dies, its pid (recorded in
``run.json``) is gone, and any executor reading the store marks the run
``interrupted``, as for a local worker process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from core._fs import atomic_write_json, move_into_place
from core.errors import CoreError
from core.runs.executors.base import DEFAULT_CANCEL_GRACE_SECONDS, Executor
from core.runs.executors.spare import PROJECT_ROOT
from core.runs.processes import process_started
from core.runs.store import (
    CANCEL_FILE,
    LOCK_FILE,
    PROGRESS_FILE,
    RUN_FILE,
    RunStatus,
    RunStore,
)
from core.runs.worker import run as train_run

#: Environment variable with the cluster's address (Ray reads it too).
ADDRESS_VARIABLE = "RAY_ADDRESS"
NAMESPACE = "sequence-embedding-studio"
REPORT_SECONDS = 0.5
INSTALL_HINT = (
    "the Ray executor needs Ray: pip install -r requirements-ray.txt "
    "(or pip install '.[ray]'), on the driver and on every node of the cluster"
)
RAY_INTERRUPTED_MESSAGE = (
    "the Ray worker training this run died (node lost, process killed or out "
    "of memory) before it finished; start it again"
)
#: Files of a run folder that travel by other means (or not at all).
_NOT_RETURNED = frozenset({RUN_FILE, PROGRESS_FILE, CANCEL_FILE, LOCK_FILE})


class RayUnavailableError(CoreError):
    """The Ray executor was chosen but Ray is not installed or not reachable."""


def import_ray() -> Any:
    """``import ray``, or a :class:`RayUnavailableError` saying how to install it."""
    try:
        import ray  # optional dependency: only this executor needs Ray
    except ImportError as error:
        raise RayUnavailableError(
            f"{INSTALL_HINT}; received ImportError: {error}"
        ) from error
    return ray


class RunHub:
    """A Ray actor on the driver's node: progress in, cancel requests out."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}
        self._states: dict[str, dict[str, Any]] = {}
        self._cancelled: set[str] = set()

    def report(self, run_id: str, lines: list[str], state: dict[str, Any]) -> bool:
        """Take a task's new progress lines and state; returns "cancel asked"."""
        self._lines.setdefault(run_id, []).extend(lines)
        self._states[run_id] = state
        return run_id in self._cancelled

    def cancel(self, run_id: str) -> None:
        """Remember that the run should stop."""
        self._cancelled.add(run_id)

    def drain(self) -> dict[str, dict[str, Any]]:
        """Everything reported since the last drain, per run."""
        drained = {
            run_id: {"lines": self._lines.pop(run_id, []), "state": state}
            for run_id, state in self._states.items()
        }
        self._states = {}
        return drained


class _Reporter(threading.Thread):
    """Inside the task: forward the temporary run's progress to the hub."""

    def __init__(self, store: RunStore, run_id: str, hub: Any, node: str) -> None:
        super().__init__(name=f"report-{run_id}", daemon=True)
        self.store, self.run_id, self.hub, self.node = store, run_id, hub, node
        self._offset = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(REPORT_SECONDS):
            self.flush()

    def stop(self) -> None:
        """Stop the thread and send what is left."""
        self._done.set()
        self.join()
        self.flush()

    def flush(self) -> None:
        ray = import_ray()
        path = self.store.progress_path(self.run_id)
        lines: list[str] = []
        if path.is_file():
            with path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written waits
            self._offset += len(complete)
            lines = complete.decode("utf-8").splitlines()
        record = self.store.get(self.run_id)
        state = {
            "status": record.status.value,
            "started": record.started,
            "node": self.node,
            "remote_pid": os.getpid(),
        }
        asked = self.hub.report.remote(self.run_id, lines, state)
        if ray.get(asked, timeout=60):
            with contextlib.suppress(OSError):
                self.store.request_cancel(self.run_id)


def train_in_task(run: dict[str, Any], data: bytes, hub: Any) -> dict[str, Any]:
    """The Ray task: train one run in a temporary store; return its outcome.

    Returns
    -------
    dict
        ``status``, ``error``, ``traceback``, ``peak_memory_bytes``,
        ``started``, ``finished`` of the run and ``files``: every file of the
        run folder (relative path to bytes) except those sent otherwise.
    """
    ray = import_ray()
    node = ray.util.get_node_ip_address()
    run_id = run["id"]
    with tempfile.TemporaryDirectory(prefix="seq-embed-ray-") as root:
        store = RunStore(root)
        folder = store.run_path(run_id)
        folder.mkdir(parents=True)
        data_path = store.data_path(run["data"]["fingerprint"])
        data_path.parent.mkdir(parents=True)
        data_path.write_bytes(data)
        atomic_write_json(folder / RUN_FILE, {**run, "status": RunStatus.QUEUED.value})
        reporter = _Reporter(store, run_id, hub, node)
        reporter.flush()  # a cancel asked while queued is seen before training
        reporter.start()
        try:
            train_run(store, run_id, slots=1)
        finally:
            reporter.stop()
        record = store.get(run_id)
        files = {
            str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.relative_to(folder).parts[0] not in _NOT_RETURNED
        }
    return {
        "status": record.status.value,
        "error": record.error,
        "traceback": record.traceback,
        "peak_memory_bytes": record.peak_memory_bytes,
        "started": record.started,
        "finished": record.finished,
        "files": files,
    }


def receive_files(store: RunStore, run_id: str, files: dict[str, bytes]) -> None:
    """Write a task's files into the run folder; each top-level item appears whole.

    Everything is written under a hidden folder first, then each top-level
    item is renamed into place, result JSON last: a reader sees every file
    and folder either as it was or complete, never half written or missing
    (:func:`core._fs.move_into_place`).
    """
    folder = store.run_path(run_id)
    incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder)).resolve()
    try:
        for name, content in files.items():
            target = (incoming / name).resolve()
            if not target.is_relative_to(incoming):
                continue  # never write outside the run folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        items = sorted(incoming.iterdir(), key=lambda item: item.suffix == ".json")
        for item in items:
            move_into_place(item, folder / item.name)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


class RayExecutor(Executor):
    """Sends each run to a Ray cluster as a task; same interface as the local one.

    Parameters
    ----------
    store : RunStore
        The driver's run store; the cluster's nodes never need to see it.
    address : str or None
        The cluster (``host:6379``); ``None`` means ``$RAY_ADDRESS``, and
        without that Ray starts a private single-machine cluster.
    num_cpus, num_gpus : float
        What each run asks the cluster for.
    cancel_grace_seconds : float
        How long a cancelled run may take to stop by itself.
    runtime_env : dict or None
        Ray runtime environment of the tasks; the default ships this
        project's ``core`` package to the nodes (the libraries of
        ``requirements.txt`` must be installed there).
    """

    def __init__(
        self,
        store: RunStore,
        address: str | None = None,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
        runtime_env: dict[str, Any] | None = None,
        limits: Any = None,
    ) -> None:
        super().__init__(
            store,
            max_concurrent=1,
            cancel_grace_seconds=cancel_grace_seconds,
            limits=limits,
        )
        self.address = address or os.environ.get(ADDRESS_VARIABLE) or None
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.runtime_env = runtime_env or default_runtime_env()
        self._ray: Any = None
        self._hub: Any = None
        self._tasks: dict[str, Any] = {}  # run id -> ObjectRef
        self._data: dict[str, Any] = {}  # fingerprint -> ObjectRef of the table
        self._pump_thread: threading.Thread | None = None
        self._cancelling: set[str] = set()
        self._closing = threading.Event()

    # -- connecting --------------------------------------------------------

    def connect(self) -> Any:
        """Connect to the cluster once; start the hub and the pump; returns ray."""
        with self._lock:
            if self._ray is not None:
                return self._ray
            ray = import_ray()
            if not ray.is_initialized():
                try:
                    ray.init(
                        address=self.address,
                        namespace=NAMESPACE,
                        # Local folders are shipped at the job level only.
                        runtime_env=self.runtime_env,
                        log_to_driver=False,
                        configure_logging=False,
                    )
                except ConnectionError as error:
                    raise RayUnavailableError(
                        f"expected a Ray cluster at {self.address or '$RAY_ADDRESS'}"
                        f", received: {error}"
                    ) from error
            # Optional dependency: Ray, imported with the executor's connection.
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = ray.get_runtime_context().get_node_id()
            self._hub = (
                ray.remote(RunHub)
                .options(
                    num_cpus=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(
                        here, soft=False
                    ),
                )
                .remote()
            )
            # A fresh worker process per run, as locally: no TensorFlow state
            # (or GPU memory) carried from one run to the next.
            self._remote = ray.remote(max_calls=1)(train_in_task)
            self._ray = ray
            self._pump_thread = threading.Thread(
                target=self._pump, name="ray-pump", daemon=True
            )
            self._pump_thread.start()
            return ray

    # -- launching -----------------------------------------------------------

    def launch(self, run_id: str) -> None:
        """Submit the queued run as a Ray task."""
        ray = self.connect()
        record = self.store.get(run_id)
        with self._lock:
            table = self._data.get(record.data_fingerprint)
            if table is None:
                content = self.store.data_path(record.data_fingerprint).read_bytes()
                table = self._data[record.data_fingerprint] = ray.put(content)
        self.store.update(
            run_id,
            pid=os.getpid(),
            pid_started=process_started(os.getpid()),
            host=socket.gethostname(),
            executor="ray",
        )
        task = self._remote.options(
            num_cpus=self.num_cpus,
            num_gpus=self.num_gpus,
            max_retries=0,
            name=f"seq-embed-run-{run_id}",
        ).remote(self.store.get(run_id).to_dict(), table, self._hub)
        with self._lock:
            self._tasks[run_id] = task

    # -- following -------------------------------------------------------------

    def _pump(self) -> None:
        """Apply progress from the hub and the outcome of finished tasks."""
        ray = self._ray
        while not self._closing.is_set():
            with self._lock:
                tasks = dict(self._tasks)
            if not tasks:
                self._closing.wait(REPORT_SECONDS)
                continue
            try:
                ready, _ = ray.wait(
                    list(tasks.values()),
                    num_returns=len(tasks),
                    timeout=REPORT_SECONDS,
                    fetch_local=False,
                )
            except Exception as error:
                # The cluster itself is gone: no task of it can still report.
                for run_id in tasks:
                    self.store.finish(
                        run_id,
                        RunStatus.INTERRUPTED,
                        f"lost the Ray cluster while the run trained: {error!r}",
                    )
                with self._lock:
                    for run_id in tasks:
                        self._tasks.pop(run_id, None)
                continue
            try:
                self._apply_reports(ray.get(self._hub.drain.remote(), timeout=30))
            except Exception as error:
                print(
                    f"ray executor: no progress from the hub: {error!r}",
                    file=sys.stderr,
                )
            finished = set(ready)
            for run_id, task in tasks.items():
                if task in finished:
                    self._settle(run_id, task)
                    with self._lock:
                        self._tasks.pop(run_id, None)
                elif run_id not in self._cancelling and self.store.cancel_requested(
                    run_id
                ):
                    # Asked by another process (the app, `runs delete`) through
                    # the store's cancel file: only this driver reaches the task.
                    self._begin_cancel(run_id)

    def close(self) -> None:
        """Stop following runs (tasks keep going while the driver lives)."""
        self._closing.set()
        if self._pump_thread is not None:
            self._pump_thread.join(timeout=5)

    def _apply_reports(self, reports: dict[str, dict[str, Any]]) -> None:
        for run_id, report in reports.items():
            for line in report["lines"]:
                with contextlib.suppress(ValueError):
                    self.store.append_progress(run_id, json.loads(line))
            state = report["state"]
            record = self.store.get(run_id)
            changes: dict[str, Any] = {}
            if record.node is None:
                changes.update(node=state["node"], remote_pid=state["remote_pid"])
            if record.status is RunStatus.QUEUED and state["status"] != "queued":
                changes.update(status=RunStatus.RUNNING, started=state["started"])
            if changes:
                self.store.update(run_id, **changes)

    def _settle(self, run_id: str, task: Any) -> None:
        """Record a finished task's outcome (files, then the final status)."""
        ray = self._ray
        from ray import exceptions  # optional dependency: Ray, connected by now

        try:
            outcome = ray.get(task)
        except exceptions.TaskCancelledError:
            self.store.finish(run_id, RunStatus.CANCELLED)
        except exceptions.RayTaskError as error:
            # The task's own code raised: a bug, recorded with its trace.
            self.store.finish(
                run_id,
                RunStatus.FAILED,
                f"training crashed (a bug, please report it): {error.cause!r}",
                traceback=str(error),
            )
        except exceptions.RayError as error:
            if self.store.cancel_requested(run_id):
                self.store.finish(run_id, RunStatus.CANCELLED)
            else:
                reason = type(error).__name__
                self.store.finish(
                    run_id,
                    RunStatus.INTERRUPTED,
                    f"{RAY_INTERRUPTED_MESSAGE} ({reason})",
                )
        else:
            receive_files(self.store, run_id, outcome["files"])
            self.store.finish(
                run_id,
                RunStatus(outcome["status"]),
                outcome["error"],
                traceback=outcome["traceback"],
                peak_memory_bytes=outcome["peak_memory_bytes"],
                started=outcome["started"] or self.store.get(run_id).started,
                finished=outcome["finished"] or time.time(),
            )

    # -- cancelling ------------------------------------------------------------

    def cancel(self, run_id: str) -> None:
        """Ask the task to stop at its next batch; end it after the grace period.

        A run of another driver gets the store's cancel file, which that
        driver's pump passes on to its task (nobody else can reach it).
        """
        record = self.get(run_id)
        if record.status.final:
            return
        self.store.request_cancel(run_id)
        if run_id in self._tasks:
            self._begin_cancel(run_id)

    def _begin_cancel(self, run_id: str) -> None:
        with self._lock:
            if run_id in self._cancelling or run_id not in self._tasks:
                return
            self._cancelling.add(run_id)
            task = self._tasks[run_id]
        self._hub.cancel.remote(run_id)
        if self.store.get(run_id).status is RunStatus.QUEUED:
            self._ray.cancel(task)  # still waiting for resources: never starts
        self.enforce_cancel_later(run_id)

    def _enforce_cancel(self, run_id: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.store.get(run_id).status.final:
                return
            time.sleep(0.2)
        task = self._tasks.get(run_id)
        if task is not None and not self.store.get(run_id).status.final:
            self._ray.cancel(task, force=True)


def default_runtime_env() -> dict[str, Any]:
    """Ship ``core/`` to the nodes; quiet TensorFlow, unbuffered output."""
    return {
        "py_modules": [str(PROJECT_ROOT / "core")],
        "excludes": ["__pycache__"],
        "env_vars": {
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            "PYTHONUNBUFFERED": "1",
        },
    }
