"""The run store and the executor work without ``fcntl``, ``resource`` and ``/proc``.

Each check runs in a fresh interpreter where importing ``fcntl`` or
``resource`` fails and reading any path under ``/proc`` through
:mod:`pathlib` raises, as on a system that has none of them (only psutil and
filelock, the portable layer, were loaded before): a live run must
stay ``running``, a killed one become ``interrupted``, and slots still lock.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]

WITHOUT_PLATFORM = textwrap.dedent(
    """
    import pathlib, sys

    # The portable libraries use what their platform offers (psutil's Linux
    # backend reads /proc and imports resource); the project's own code must
    # not, so they are loaded before the platform goes away.
    import filelock, psutil

    sys.modules["fcntl"] = None  # import fcntl -> ImportError
    sys.modules["resource"] = None
    real_open = pathlib.Path.open

    def no_proc(self, *args, **kwargs):
        if str(self).startswith("/proc"):
            raise PermissionError(f"no {self} on this system")
        return real_open(self, *args, **kwargs)

    pathlib.Path.open = no_proc  # read_text and read_bytes open through it
    """
)

RUN_STORE_AND_EXECUTOR = textwrap.dedent(
    """
    import subprocess, sys
    from core._fs import try_lock
    from core.runs.executors.local import LocalExecutor
    from core.runs.processes import peak_memory_bytes, process_started
    from core.runs.slots import SLOTS_FOLDER, training_slot
    from core.runs.store import RunStatus, RunStore
    from tests.support.configs import tiny_run_config
    from tests.support.tables import make_long_table

    store = RunStore(sys.argv[1])
    executor = LocalExecutor(store, max_concurrent=1)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    live, doomed = (subprocess.Popen(sleeper) for _ in range(2))
    try:
        runs = []
        for child in (live, doomed):
            record = store.create(
                make_long_table(), tiny_run_config(), ("embedding",), "t.csv"
            )
            started = process_started(child.pid)
            store.update(
                record.id, status="running", pid=child.pid, pid_started=started
            )
            runs.append(record.id)
        doomed.kill()
        doomed.wait()
        print("live", executor.get(runs[0]).status.value)
        print("killed", executor.get(runs[1]).status.value)
        with training_slot(store, runs[0], slots=1) as acquired:
            taken = try_lock(store.root / SLOTS_FOLDER / "slot-0.lock")
            print("slot", acquired, taken is None)
        print("memory", peak_memory_bytes() > 0)
    finally:
        live.kill()
        live.wait()
    print("fcntl", sys.modules["fcntl"], "resource", sys.modules["resource"])
    """
)


def test_live_and_killed_runs_are_judged_without_fcntl_or_proc(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_PLATFORM + RUN_STORE_AND_EXECUTOR,
            str(tmp_path / "runs"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "live running" in lines
    assert "killed interrupted" in lines
    assert "slot True True" in lines, "the slot was held while training"
    assert "memory True" in lines
    assert "fcntl None resource None" in lines, "the platform modules stayed out"


def test_the_sabotage_really_blocks_proc_and_fcntl():
    check = WITHOUT_PLATFORM + textwrap.dedent(
        """
        import pathlib
        try:
            import fcntl
        except ImportError:
            print("no fcntl")
        try:
            pathlib.Path("/proc/self/stat").read_text()
        except PermissionError:
            print("no /proc")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split("\n")[:2] == ["no fcntl", "no /proc"]
