"""The training process of one run:
``python -m core.runs.worker --runs-dir DIR RUN_ID``.

Launched by :class:`core.runs.executors.local.LocalExecutor` (or run in a Ray
task), never by hand. It waits for a concurrency slot
(:mod:`core.runs.slots`), trains every encoding of the run on the data stored
with the run (:mod:`core.runs.jobs`), and writes progress, bundles,
predictions, metrics, embedding snapshots and TensorBoard logs into the run
folder. Seeds are set here, in this process,
so a run gives the same numbers alone or next to other runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import pickle
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

from core.errors import CoreError
from core.examples.prepare import PreparedData, prepare_experiment
from core.runs.executors.spare import NICENESS_VARIABLE, PREPARED_HEADER, SPARE_RUN_ID
from core.runs.executors.warm import READY_LINE, THREADS_VARIABLE, WARM_RUNS_OPTION
from core.runs.processes import lower_cpu_priority, peak_memory_bytes
from core.runs.progress import FileCancelToken, Phase, ProgressWriter
from core.runs.slots import training_slot
from core.runs.store import RunRecord, RunStatus, RunStore

#: The background TensorFlow import of this process, once started (main()).
_IMPORTING: threading.Thread | None = None
#: Training runs below the web server's CPU priority, so pages stay responsive
#: while a run imports TensorFlow and trains (an idle machine loses nothing).
DEFAULT_NICENESS = 10
#: Guards the one-time TensorFlow set-up (a warm worker's background thread and
#: its first run may both ask for it).
_CONFIGURED = threading.Lock()
_CONFIGURED_DONE: list[bool] = []


def _training_modules() -> ModuleType:
    """:mod:`core.runs.jobs`, which trains the arms (and imports Keras)."""
    # Start-up cost: TensorFlow and Keras take seconds to import, so this
    # process imports them in the background while it reads and prepares
    # the data (import_tensorflow_in_background), never at module level.
    import core.runs.jobs as jobs

    return jobs


def import_tensorflow_in_background() -> threading.Thread:
    """Start importing TensorFlow, Keras and the modules on them in a thread.

    The import takes seconds of CPU, most of it Python holding the GIL. In a
    spare worker it runs while the launcher reads, stores and prepares the
    data in its own process; otherwise it overlaps with reading and preparing
    only where those release the GIL (Parquet reads, numpy kernels). A failed
    import is not reported here: the main thread's own import raises it again.
    """

    def load() -> None:
        with contextlib.suppress(Exception):
            _training_modules()

    thread = threading.Thread(target=load, name="import-tensorflow", daemon=True)
    thread.start()
    return thread


def _loaded_training_modules() -> ModuleType:
    """The training modules, once the background import has finished."""
    if _IMPORTING is not None:
        _IMPORTING.join()
    return _training_modules()


def _configure_tensorflow() -> None:
    """Once per process: the thread cap, then deterministic kernels on CPU (so
    concurrent and solo runs agree exactly)."""
    jobs = _loaded_training_modules()
    with _CONFIGURED:
        if _CONFIGURED_DONE:
            return
        apply_thread_limit()
        jobs.configure_tensorflow()
        _CONFIGURED_DONE.append(True)


def apply_thread_limit() -> None:
    """Cap TensorFlow's intra- and inter-op threads at ``$SEQ_EMBED_TRAINING_THREADS``.

    The app sets it (cores - 1) so that a training process leaves the web
    server a core. It must run before TensorFlow's runtime starts: a warm
    worker imports TensorFlow long before its first run, so the environment
    variables TensorFlow reads at start-up are applied here explicitly too.
    """
    text = os.environ.get(THREADS_VARIABLE, "").strip()
    if not text.isdigit() or int(text) < 1:
        return
    tf = _loaded_training_modules().tf  # never imported at module level (start-up)
    with contextlib.suppress(RuntimeError):  # the runtime had started: too late
        tf.config.threading.set_intra_op_parallelism_threads(int(text))
        tf.config.threading.set_inter_op_parallelism_threads(int(text))


def training_threads() -> tuple[int, int]:
    """TensorFlow's (intra-op, inter-op) thread settings; 0 means "all cores"."""
    tf = _loaded_training_modules().tf
    return (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )


def run(
    store: RunStore,
    run_id: str,
    slots: int,
    per_user: int | None = None,
    prepared: PreparedData | None = None,
) -> RunStatus:
    """Wait for a slot, train the run, record the outcome; returns the status.

    ``prepared``: the run's examples when the launcher prepared them already.
    """
    with training_slot(store, run_id, slots, per_user) as acquired:
        if not acquired:
            return store.finish(run_id, RunStatus.CANCELLED).status
        store.update(
            run_id, status=RunStatus.RUNNING, started=time.time(), pid=os.getpid()
        )
        try:
            cancelled = _train_all(store, run_id, prepared)
        except CoreError as error:
            status, message, trace = RunStatus.FAILED, str(error), None
        except Exception as error:
            # A bug, not the user's mistake: recorded with its trace, never hidden.
            status = RunStatus.FAILED
            message = f"training crashed (a bug, please report it): {error!r}"
            trace = traceback.format_exc()
        else:
            status = RunStatus.CANCELLED if cancelled else RunStatus.DONE
            message, trace = None, None
        return store.finish(
            run_id,
            status,
            message,
            traceback=trace,
            peak_memory_bytes=peak_memory_bytes(),
        ).status


def _train_all(
    store: RunStore, run_id: str, prepared: PreparedData | None = None
) -> bool:
    """Train every encoding of the run; returns True when it was cancelled."""
    progress = ProgressWriter(store, run_id)
    progress.phase(Phase.STARTING)
    record = store.get(run_id)
    cancel = FileCancelToken(store, run_id)
    if record.streamed:
        _configure_tensorflow()
        _report_threads()
        jobs = _loaded_training_modules()
        return jobs.train_dataset_run(store, record, progress, cancel)
    prepared = _prepare(store, record, prepared, progress, cancel)
    if prepared is None:
        return True
    _configure_tensorflow()
    _report_threads()
    jobs = _loaded_training_modules()
    return jobs.train_table_run(store, record, prepared, progress, cancel)


def _report_threads() -> None:
    """Say in the run's log how many threads this process trains with."""
    intra, inter = training_threads()
    print(f"training threads: intra-op {intra}, inter-op {inter} (0: every core)")


def _prepare(
    store: RunStore,
    record: RunRecord,
    prepared: PreparedData | None,
    progress: ProgressWriter,
    cancel: FileCancelToken,
) -> PreparedData | None:
    """The run's examples (read and prepared here unless sent); None if cancelled."""
    progress.phase(Phase.LOADING)
    if prepared is None:
        frame = store.load_data(record)
    if cancel.cancelled:
        return None
    progress.phase(Phase.PREPARING)
    if prepared is None:
        # Needs no TensorFlow, so it overlaps with its import (main()).
        prepared = prepare_experiment(frame, record.config)
    progress.phase(
        Phase.PREPARED,
        examples={name: len(part) for name, part in prepared.parts.items()},
        notes=list(prepared.notes),
    )
    return prepared


def lower_priority() -> None:
    """Lower this process's CPU priority by ``$SEQ_EMBED_WORKER_NICE`` (default 10)."""
    text = os.environ.get(NICENESS_VARIABLE, str(DEFAULT_NICENESS))
    increment = int(text) if text.strip().lstrip("-").isdigit() else DEFAULT_NICENESS
    lower_cpu_priority(increment)


def adopt_run(store: RunStore, run_id: str, spare_log: Path) -> None:
    """Send this spare worker's output to the run's ``worker.log`` from now on.

    What it printed while waiting (TensorFlow's start-up lines) is copied
    there first, and its own log file removed.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with store.log_path(run_id).open("ab") as log:
        with contextlib.suppress(OSError):
            log.write(spare_log.read_bytes())
            log.flush()
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
    spare_log.unlink(missing_ok=True)


def wait_for_run(spare_log: Path | None) -> tuple[dict, PreparedData | None]:
    """A spare worker's run settings and, if sent, its prepared examples.

    Both come on stdin (:meth:`core.runs.executors.spare.SpareWorker.hand_over`): a
    JSON line (``run_id``, ``runs_dir``, ``slots``, ``per_user``), then maybe
    the pickled examples. The launcher closes the pipe without a line when it
    gives up (the data was refused, Ctrl-C): nothing was started, so nothing
    is cleaned up but the log file, and the half-done import is not waited
    for. The pipe comes from the process that started this one, trusted like
    its command line.
    """
    pipe = sys.stdin.buffer
    line = pipe.readline().strip()
    if not line:
        if spare_log is not None:
            spare_log.unlink(missing_ok=True)
        os._exit(0)
    settings = json.loads(line)
    header = pipe.readline().decode().split()
    prepared = None
    if len(header) == 2 and header[0] == PREPARED_HEADER:
        payload = pipe.read(int(header[1]))
        if len(payload) == int(header[1]):
            prepared = pickle.loads(payload)
    return settings, prepared


@contextlib.contextmanager
def _output_to(log_path: Path) -> Iterator[None]:
    """Send this process's output (Python's and TensorFlow's) to ``log_path``
    while the block runs, then back to where it went before."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(sys.stdout.fileno()), os.dup(sys.stderr.fileno())
    try:
        with log_path.open("ab") as log:
            os.dup2(log.fileno(), sys.stdout.fileno())
            os.dup2(log.fileno(), sys.stderr.fileno())
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], sys.stdout.fileno())
        os.dup2(saved[1], sys.stderr.fileno())
        os.close(saved[0])
        os.close(saved[1])


def forget_run() -> None:
    """Drop what a run left in this process: Keras's graph, names and caches,
    and the Python objects behind them (a warm worker trains the next run)."""
    _loaded_training_modules().keras.backend.clear_session(free_memory=True)
    gc.collect()


def serve_warm(runs: int, idle_log: Path | None) -> int:
    """A warm worker's life: train up to ``runs`` runs read from stdin, then exit.

    Each line on stdin is one run's settings (JSON: ``run_id``, ``runs_dir``,
    ``slots``, ``per_user``; :meth:`core.runs.executors.warm.WarmWorker.hand`).
    TensorFlow is imported and set up while it waits. End-of-file (the
    launcher closed the pipe, or ended) makes it exit; a run in progress is
    finished first. Each run's output goes to that run's ``worker.log``.
    """

    def get_ready() -> None:
        _configure_tensorflow()
        print(READY_LINE, flush=True)

    threading.Thread(target=get_ready, name="configure-tensorflow", daemon=True).start()
    pipe = sys.stdin.buffer
    for _ in range(runs):
        line = pipe.readline().strip()
        if not line:
            break
        settings = json.loads(line)
        store = RunStore(settings["runs_dir"])
        per_user = settings["per_user"] if settings["per_user"] > 0 else None
        with _output_to(store.log_path(settings["run_id"])):
            run(store, settings["run_id"], max(1, settings["slots"]), per_user)
        forget_run()
    if idle_log is not None:
        idle_log.unlink(missing_ok=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the training process."""
    global _IMPORTING
    parser = argparse.ArgumentParser(prog="python -m core.runs.worker")
    parser.add_argument("--runs-dir", help="the run store (a spare reads it on stdin)")
    parser.add_argument("--slots", type=int, default=1)
    parser.add_argument("--per-user", type=int, default=0, help="0: no limit")
    parser.add_argument(
        "--spare-log", type=Path, help="a spare worker's output until it has a run"
    )
    parser.add_argument(
        WARM_RUNS_OPTION,
        type=int,
        default=0,
        help="a warm worker: trains up to this many runs read from stdin",
    )
    parser.add_argument(
        "run_id", help=f"the run to train; {SPARE_RUN_ID}: a spare, reads it on stdin"
    )
    args = parser.parse_args(argv)
    lower_priority()
    _IMPORTING = import_tensorflow_in_background()
    if args.warm_runs > 0:
        return serve_warm(args.warm_runs, args.spare_log)
    prepared = None
    if args.run_id == SPARE_RUN_ID:
        settings, prepared = wait_for_run(args.spare_log)
        args.run_id, args.runs_dir = settings["run_id"], settings["runs_dir"]
        args.slots, args.per_user = settings["slots"], settings["per_user"]
    elif args.runs_dir is None:
        parser.error("--runs-dir is required for a run id")
    store = RunStore(args.runs_dir)
    if args.spare_log is not None:
        adopt_run(store, args.run_id, args.spare_log)
    per_user = args.per_user if args.per_user > 0 else None
    status = run(store, args.run_id, max(1, args.slots), per_user, prepared)
    return 0 if status in (RunStatus.DONE, RunStatus.CANCELLED) else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is written and closed by now; TensorFlow's teardown would
    # take another second or more of CPU from whatever runs next.
    os._exit(code)
