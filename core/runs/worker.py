"""The training process of one run:
``python -m core.runs.worker --runs-dir DIR RUN_ID``.

Launched by :class:`core.runs.executors.local.LocalExecutor`, never by hand. It
waits for a
concurrency slot, trains every encoding of the run on the data stored with the
run, and writes progress, bundles, predictions, metrics, embedding snapshots
and TensorBoard logs into the run folder. Seeds are set here, in this process,
so a run gives the same numbers alone or next to other runs.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pickle
import resource
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import CoreError
from core.runs.executors.local import process_alive
from core.runs.executors.spare import NICENESS_VARIABLE, PREPARED_HEADER, SPARE_RUN_ID
from core.runs.store import RunRecord, RunStatus, RunStore

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from core.examples.prepare import PreparedData
    from core.runs.progress import FileCancelToken, ProgressWriter

SLOTS_FOLDER = "_slots"
#: The background TensorFlow import of this process, once started (main()).
_IMPORTING: threading.Thread | None = None
#: A queued run whose launcher has not recorded a process within this time is
#: not waited for (it was never launched).
UNLAUNCHED_GRACE_SECONDS = 30.0
POLL_SECONDS = 0.25
#: Training runs below the web server's CPU priority, so pages stay responsive
#: while a run imports TensorFlow and trains (an idle machine loses nothing).
DEFAULT_NICENESS = 10


def _training_owners(records: list[RunRecord]) -> Counter[str]:
    """How many training slots each owner holds now (live running runs)."""
    return Counter(
        record.owner
        for record in records
        if record.owner is not None
        and record.executor is None  # a Ray run holds no slot of this machine
        and record.status is RunStatus.RUNNING
        and process_alive(record.pid, record.pid_start)
    )


def _waiting_ahead(
    store: RunStore, record: RunRecord, per_user: int | None = None
) -> bool:
    """Whether this run must wait: its owner holds ``per_user`` slots, or an
    older queued run that may start is alive and goes first (FIFO).

    An older run whose owner is at the limit is skipped, so one user's queue
    never blocks another user's runs.
    """
    records = store.records()
    holding = _training_owners(records) if per_user else Counter()

    def at_limit(owner: str | None) -> bool:
        return bool(per_user) and owner is not None and holding[owner] >= per_user

    if at_limit(record.owner):
        return True
    for other in records:
        ahead = (other.created, other.id) < (record.created, record.id)
        if not ahead or other.status is not RunStatus.QUEUED:
            continue
        if at_limit(other.owner) or other.executor is not None:
            continue  # a Ray run waits for the cluster, not for this machine
        if other.pid is None:
            if time.time() - other.created < UNLAUNCHED_GRACE_SECONDS:
                return True
        elif process_alive(other.pid, other.pid_start):
            return True
    return False


@contextlib.contextmanager
def training_slot(
    store: RunStore, run_id: str, slots: int, per_user: int | None = None
) -> Iterator[bool]:
    """Hold one of ``slots`` lock files while training; yields False if cancelled.

    ``per_user`` caps the slots that the runs of one owner hold at once.

    The kernel releases a lock when its process dies, however it dies, so a
    killed worker never keeps a slot.
    """
    folder = store.root / SLOTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        if store.cancel_requested(run_id):
            yield False
            return
        record = store.get(run_id)
        if not _waiting_ahead(store, record, per_user):
            for number in range(slots):
                handle = (folder / f"slot-{number}.lock").open("a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                try:
                    yield True
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
                return
        time.sleep(POLL_SECONDS)


def peak_memory_bytes() -> int:
    """This process's peak resident memory (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


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
            # The modules training needs next, which import Keras themselves.
            import core.model.bundle
            import core.model.experiment
            import core.model.run_logging  # noqa: F401

    thread = threading.Thread(target=load, name="import-tensorflow", daemon=True)
    thread.start()
    return thread


def _configure_tensorflow() -> None:
    """Deterministic kernels on CPU, so concurrent and solo runs agree exactly."""
    if _IMPORTING is not None:
        _IMPORTING.join()
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()


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
    store.append_progress(run_id, {"kind": "phase", "phase": "starting"})
    from core.runs.progress import FileCancelToken, ProgressWriter

    record = store.get(run_id)
    progress = ProgressWriter(store, run_id)
    cancel = FileCancelToken(store, run_id)
    from core.runs.dataset_run import is_dataset_run, train_dataset_run

    if is_dataset_run(record):
        _configure_tensorflow()
        return train_dataset_run(store, record, progress, cancel)
    progress.phase("loading")
    if prepared is None:
        frame = store.load_data(record)
    if cancel.cancelled:
        return True
    progress.phase("preparing")
    if prepared is None:
        from core.examples.prepare import prepare_experiment

        # Needs no TensorFlow, so it overlaps with its import (main()).
        prepared = prepare_experiment(frame, record.config)
    progress.phase(
        "prepared",
        examples={name: len(part) for name, part in prepared.parts.items()},
        notes=list(prepared.notes),
    )
    _configure_tensorflow()
    from core.model.gbm_arm import GBM_ENCODING

    for index, encoding in enumerate(record.encodings):
        if cancel.cancelled:
            return True
        if encoding == GBM_ENCODING:
            _train_gbm(store, record, prepared, index, progress)
        else:
            _train_one(store, record, prepared, encoding, index, progress, cancel)
    return cancel.cancelled


def _train_gbm(
    store: RunStore,
    record: RunRecord,
    prepared: PreparedData,
    index: int,
    progress: ProgressWriter,
) -> None:
    """Fit and evaluate the gradient-boosting arm on the same examples."""
    from core.model.gbm_arm import GBM_ENCODING, train_gbm_arm

    progress.phase("training", encoding=GBM_ENCODING, index=index)
    balanced = record.config.train.class_weight == "balanced"
    metrics, scores = train_gbm_arm(prepared, record.config.train.seed, balanced)
    _save_predictions(record.path / "predictions", GBM_ENCODING, prepared, scores)
    store.save_result(record.id, GBM_ENCODING, metrics, {})
    progress.phase("saved", encoding=GBM_ENCODING, index=index)


def _train_one(
    store: RunStore,
    record: RunRecord,
    prepared: PreparedData,
    encoding: str,
    index: int,
    progress: ProgressWriter,
    cancel: FileCancelToken,
) -> None:
    """Fit, evaluate and save one encoding of the run."""
    from core.model.bundle import bundle_from_result, save_bundle
    from core.model.evaluation import held_out_scores
    from core.model.experiment import fit_prepared, result_of, with_encoding
    from core.model.run_logging import (
        EmbeddingSnapshots,
        TensorBoardScalars,
        write_projector,
    )

    config = with_encoding(record.config, encoding)
    board = record.path / "tensorboard" / encoding
    callbacks = [TensorBoardScalars(board)]
    if encoding == "embedding" and config.data.categorical_names:
        snapshots = record.path / "snapshots" / encoding
        callbacks.append(EmbeddingSnapshots(snapshots, prepared.preprocessor))
    progress.phase("training", encoding=encoding, index=index)
    training = fit_prepared(
        prepared,
        config,
        callbacks=callbacks,
        cancel=cancel,
        progress=progress.training_event(encoding, index, len(record.encodings)),
    )
    progress.phase("evaluating", encoding=encoding, index=index)
    scores = held_out_scores(training.model, prepared)
    result = result_of(prepared, config, training, scores)
    progress.phase("saving", encoding=encoding, index=index)
    save_bundle(bundle_from_result(result), store.bundle_path(record.id, encoding))
    _save_predictions(record.path / "predictions", encoding, prepared, scores)
    if encoding == "embedding":
        write_projector(board, training.model, prepared.preprocessor)
    store.save_result(record.id, encoding, result.metrics, training.history)
    progress.phase("saved", encoding=encoding, index=index)


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    """Write a table to Parquet; mixed-type text columns are written as text."""
    import pyarrow

    try:
        table.to_parquet(path, index=False)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        # Object columns mixing numbers and text (ids read from a messy file)
        # have no Parquet type; they are shown as text anyway.
        fixed = table.copy()
        for column in fixed.select_dtypes(include="object").columns:
            fixed[column] = fixed[column].map(lambda v: v if v is None else str(v))
        fixed.to_parquet(path, index=False)


def _save_predictions(
    folder: Path,
    encoding: str,
    prepared: PreparedData,
    scores: dict[str, np.ndarray],
) -> None:
    """Held-out prediction tables (Parquet) with encoded labels and raw scores."""
    import numpy as np

    from core.model.evaluation import prediction_table

    folder.mkdir(parents=True, exist_ok=True)
    for part, part_scores in scores.items():
        table = prediction_table(prepared, part, part_scores)
        write_parquet(table, folder / f"{encoding}_{part}.parquet")
        labels = prepared.parts[part].labels
        np.savez(
            folder / f"{encoding}_{part}.npz",
            labels=np.zeros(0) if labels is None else labels,
            scores=part_scores,
        )


def lower_priority() -> None:
    """Lower this process's CPU priority by ``$SEQ_EMBED_WORKER_NICE`` (default 10)."""
    text = os.environ.get(NICENESS_VARIABLE, str(DEFAULT_NICENESS))
    increment = int(text) if text.strip().lstrip("-").isdigit() else DEFAULT_NICENESS
    if increment > 0:
        os.nice(increment)


def adopt_run(store: RunStore, run_id: str, spare_log: Path) -> None:
    """Send this spare worker's output to the run's ``worker.log`` from now on.

    What it printed while waiting (TensorFlow's start-up lines) is copied
    there first, and its own log file removed.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with (store.run_path(run_id) / "worker.log").open("ab") as log:
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
        "run_id", help=f"the run to train; {SPARE_RUN_ID}: a spare, reads it on stdin"
    )
    args = parser.parse_args(argv)
    lower_priority()
    _IMPORTING = import_tensorflow_in_background()
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
