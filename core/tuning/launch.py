"""Start a study's driver as a process of its own (the Tune page's way).

The web server never drives a study: it creates the study in the store and
starts ``python -m core tune --resume STUDY`` in a new session, which records
its pid in ``study.json`` and outlives a restart of the server. The page then
reads the study's database and the run store.
"""

from __future__ import annotations

import subprocess

from core.runs.processes import process_started, start_core_command
from core.tuning.studies import DRIVER_LOG, StudyStore


def launch_driver(
    studies: StudyStore,
    study_id: str,
    executor: str = "local",
    ray_address: str | None = None,
) -> subprocess.Popen:
    """Start the driver of a study (new or stopped); returns its process."""
    studies.clear_stop(study_id)
    arguments = ["tune", "--runs-dir", str(studies.store.root), "--resume", study_id]
    arguments += ["--executor", executor]
    if ray_address:
        arguments += ["--ray-address", ray_address]
    with (studies.root / study_id / DRIVER_LOG).open("ab") as log:
        process = start_core_command(arguments, log)
    # Recorded now, so a page opened right after sees a live driver (the
    # driver writes the same when it starts).
    studies.update(
        study_id, driver_pid=process.pid, driver_started=process_started(process.pid)
    )
    return process
