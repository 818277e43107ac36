"""Following runs from a terminal: progress while they train, a summary when they end.

Ctrl-C while following cancels what is still running (cooperatively, then by
terminating it), so that no training outlives the command by surprise.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from core.cli.options import EXIT_USAGE, print_notes
from core.model.bundle_files import copy_bundle
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunRecord, RunStatus, RunStore


def _print_epoch(event: dict[str, Any]) -> None:
    """One line per finished epoch: ``embedding epoch 2/5: loss 0.5, ...``."""
    logs = ", ".join(f"{key} {value:.4f}" for key, value in event["logs"].items())
    print(
        f"{event['encoding']} epoch {event['epoch'] + 1}/{event['epochs']}: {logs}",
        file=sys.stderr,
    )


def follow_run(executor: LocalExecutor, run_id: str, poll: float = 0.2) -> RunRecord:
    """Print a run's epochs and notes as they arrive; returns its final record.

    Ctrl-C cancels the run (cooperatively, then by terminating it).
    """
    seen = 0
    try:
        while True:
            record = executor.get(run_id)
            events = executor.store.progress(run_id)
            for event in events[seen:]:
                if event["kind"] == "epoch":
                    _print_epoch(event)
                elif event.get("phase") == "prepared":
                    print_notes(event.get("notes", ()))
            seen = len(events)
            if record.status.final:
                return record
            time.sleep(poll)
    except KeyboardInterrupt:
        print(f"cancelling run {run_id}...", file=sys.stderr)
        executor.cancel(run_id)
        return executor.wait(run_id, timeout=executor.cancel_grace_seconds + 10)


def wait_for_runs(
    executor: LocalExecutor, run_ids: list[str], poll: float = 1.0
) -> None:
    """Wait for every run; print each as it ends; Ctrl-C cancels those left."""
    left = set(run_ids)
    try:
        while left:
            for run_id in sorted(left):
                record = executor.get(run_id)
                if record.status.final:
                    left.discard(run_id)
                    print(
                        f"{record.label or run_id}: {record.status.value} "
                        f"({len(run_ids) - len(left)}/{len(run_ids)})",
                        file=sys.stderr,
                    )
            time.sleep(poll)
    except KeyboardInterrupt:
        print("cancelling the runs still going; run again to resume", file=sys.stderr)
        for run_id in left:
            executor.cancel(run_id)
        for run_id in left:
            executor.wait(run_id, timeout=executor.cancel_grace_seconds + 10)
        raise


def report_training(store: RunStore, record: RunRecord, out: str | None) -> int:
    """Print the summary JSON of a finished run, copying bundles to ``out``.

    Returns the command's exit code: 0 when the run is done, 2 when it failed
    (its error and traceback go to stderr), 1 when it was cancelled or
    interrupted.
    """
    if record.status is not RunStatus.DONE:
        if record.traceback:
            print(record.traceback, file=sys.stderr)
        print(
            f"error: run {record.id} {record.status.value}: {record.error or ''}",
            file=sys.stderr,
        )
        return EXIT_USAGE if record.status is RunStatus.FAILED else 1
    results = store.results(record.id)
    main_encoding = record.encodings[0]
    summary: dict[str, Any] = {"run": record.id, "runs_dir": str(store.root)}
    summary["bundle"] = str(store.bundle_path(record.id, main_encoding))
    for encoding in record.encodings:
        if out:
            target = Path(out)
            if encoding != main_encoding:
                target = target.with_name(f"{target.name}_{encoding}")
            copied = copy_bundle(store.bundle_path(record.id, encoding), target)
            if encoding == main_encoding:
                summary["bundle"] = str(copied)
        summary[encoding] = {
            key: results[encoding][key] for key in ("validation", "test", "parameters")
        }
    summary["baseline"] = results[main_encoding]["baseline"]
    if "persistence" in results[main_encoding]:
        summary["persistence"] = results[main_encoding]["persistence"]
    print(json.dumps(summary, indent=2, default=str))
    return 0
