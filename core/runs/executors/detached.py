"""Runs handed to another executor in a process of their own (the app's Ray path).

The web server never connects to Ray itself: that would load Ray into the
server and tie every run to the server's life. A :class:`DetachedExecutor`
stores a run as usual and starts ``python -m core runs launch RUN --executor
KIND`` in a new session. That launcher connects (to the Ray cluster, for
``"ray"``), launches the run, follows it to its final status and exits; it
outlives a restart of the server, as a study's driver does.

Everything else travels through the run store, as for any run: progress lines,
the final status and files, and a cancel (the store's cancel file, which the
launcher passes on to the task). The launcher's pid is the run's pid, so a
launcher that dies leaves the run ``interrupted`` for every reader.
"""

from __future__ import annotations

import socket

from core.runs.executors.base import DEFAULT_CANCEL_GRACE_SECONDS, Executor
from core.runs.processes import process_started, start_core_command
from core.runs.store import RunStore


class DetachedExecutor(Executor):
    """Submit runs to ``kind`` (``"ray"`` or ``"local"``) through a launcher process.

    Parameters
    ----------
    store : RunStore
        Where runs live (the launcher opens the same folder).
    kind : str
        The executor the launcher uses (see :func:`core.runs.executors.make_executor`).
    ray_address : str or None
        The Ray cluster for ``"ray"`` (``None``: ``$RAY_ADDRESS``).
    limits : UserLimits or None
        Per-user run limits, checked at submit as by every executor.
    """

    def __init__(
        self,
        store: RunStore,
        kind: str = "ray",
        ray_address: str | None = None,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
        limits: object = None,
    ) -> None:
        super().__init__(
            store,
            max_concurrent=1,
            cancel_grace_seconds=cancel_grace_seconds,
            limits=limits,  # type: ignore[arg-type]
        )
        self.kind = kind
        self.ray_address = ray_address

    def command(self, run_id: str) -> list[str]:
        """The launcher's arguments to ``python -m core`` for one run."""
        arguments = ["runs", "launch", run_id, "--runs-dir", str(self.store.root)]
        arguments += ["--executor", self.kind]
        if self.ray_address:
            arguments += ["--ray-address", self.ray_address]
        return arguments

    def launch(self, run_id: str) -> None:
        """Start the launcher of a queued run and record it as the run's process."""
        with self.store.log_path(run_id).open("ab") as log:
            process = start_core_command(self.command(run_id), log)
        # Recorded now, so a page reading the run before the launcher has
        # connected sees a live process (the launcher records the same pid).
        changes = {
            "pid": process.pid,
            "pid_started": process_started(process.pid),
            "host": socket.gethostname(),
        }
        if self.kind == "ray":
            # Marks the pid as a driver's: a cancel must never terminate it.
            changes["executor"] = "ray"
        self.store.update(run_id, **changes)

    def cancel(self, run_id: str) -> None:
        """Ask the run to stop through the store; its launcher passes it on."""
        record = self.get(run_id)
        if not record.status.final:
            self.store.request_cancel(run_id)

    def _enforce_cancel(self, run_id: str, deadline: float) -> None:
        # The launcher's own executor ends a task that ignores the request.
        return None
