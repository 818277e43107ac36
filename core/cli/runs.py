"""``python -m core runs list|show|compare|delete``: the run store from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.cli.options import add_executor_flags, executor_from_args, store_from_args
from core.errors import ConfigError, CoreError
from core.runs.executors.local import LocalExecutor
from core.runs.store import DamagedRun, RunStatus
from core.runs.views import (
    config_difference,
    metrics_side_by_side,
    run_summary,
    runs_table,
)


def add_runs_commands(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``runs`` and its subcommands on the main parser."""
    runs = commands.add_parser("runs", help="list, show, compare or delete runs")
    actions = runs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser(
        "list", parents=[store], help="every run, newest first"
    )
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=command_runs_list)
    show = actions.add_parser("show", parents=[store], help="one run in full")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=command_runs_show)
    compare = actions.add_parser("compare", parents=[store], help="two runs")
    compare.add_argument("ids", nargs=2, metavar="ID")
    compare.set_defaults(handler=command_runs_compare)
    delete = actions.add_parser("delete", parents=[store], help="delete a run")
    delete.add_argument("id")
    delete.set_defaults(handler=command_runs_delete)
    launch = actions.add_parser(
        "launch",
        parents=[store],
        help="train a queued run with an executor and follow it to its end "
        "(how the app sends a run to Ray)",
    )
    launch.add_argument("id")
    add_executor_flags(launch)
    launch.set_defaults(handler=command_runs_launch)


def _executor(args: argparse.Namespace) -> LocalExecutor:
    """A local executor over ``--runs-dir``: it knows which runs still train."""
    return LocalExecutor(store_from_args(args))


def _damaged_summary(item: DamagedRun) -> dict[str, Any]:
    """A summary row for a run folder that cannot be read, with the reason."""
    return {
        "id": item.id,
        "status": "damaged",
        "created": None,
        "encodings": [],
        "metrics": {},
        "error": item.reason,
    }


def command_runs_list(args: argparse.Namespace) -> int:
    """Print every run (a table, or JSON objects with ``--json``)."""
    executor = _executor(args)
    items = executor.list()
    summaries = [
        _damaged_summary(item)
        if isinstance(item, DamagedRun)
        else run_summary(executor.store, item)
        for item in items
    ]
    if args.json:
        print(json.dumps(summaries, indent=2, default=str))
        return 0
    healthy = [summary for summary in summaries if summary["status"] != "damaged"]
    if healthy:
        print(runs_table(healthy).to_string(index=False))
    for summary in summaries:
        if summary["status"] == "damaged":
            print(f"damaged {summary['id']}: {summary['error']}")
    if not summaries:
        print(f"no runs in {executor.store.root}", file=sys.stderr)
    return 0


def command_runs_show(args: argparse.Namespace) -> int:
    """Print one run: its record, summary and metrics."""
    executor = _executor(args)
    record = executor.get(args.id)
    summary = run_summary(executor.store, record)
    summary["config"] = record.config.to_dict()
    summary["results"] = executor.store.results(record.id)
    summary["path"] = str(record.path)
    summary["traceback"] = record.traceback
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    for key in ("id", "status", "created", "data", "rows", "target", "task", "path"):
        print(f"{key:>10}: {summary[key]}")
    if summary["error"]:
        print(f"{'error':>10}: {summary['error']}")
    for encoding, metrics in summary["metrics"].items():
        shown = ", ".join(
            f"{name} {value:.4f}"
            for name, value in metrics.items()
            if isinstance(value, float)
        )
        print(f"{encoding:>10}: {shown}")
    return 0


def command_runs_compare(args: argparse.Namespace) -> int:
    """Print the settings that differ and the metrics of two runs."""
    executor = _executor(args)
    first, second = (executor.get(run_id) for run_id in args.ids)
    difference = config_difference(first, second)
    print("settings that differ:")
    print(difference.to_string(index=False) if len(difference) else "  (none)")
    print("\ntest metrics:")
    print(metrics_side_by_side(executor.store, [first, second]).to_string(index=False))
    return 0


def command_runs_delete(args: argparse.Namespace) -> int:
    """Delete a run (cancelling it first if it still trains)."""
    executor = _executor(args)
    record = executor.get(args.id)
    if not record.status.final:
        executor.cancel(record.id)
        executor.wait(record.id, timeout=executor.cancel_grace_seconds + 10)
    executor.store.delete(record.id)
    print(f"deleted run {record.id}", file=sys.stderr)
    return 0


def command_runs_launch(args: argparse.Namespace) -> int:
    """Launch a queued run with ``--executor`` and stay until it has ended.

    A run that cannot be launched (Ray missing or unreachable) is marked
    failed with the reason, so the page that queued it says why.
    """
    store = store_from_args(args)
    record = store.get(args.id)
    if record.status is not RunStatus.QUEUED:
        raise ConfigError(
            "id", f"expected a queued run, received run {record.id} {record.status}"
        )
    try:
        executor = executor_from_args(args)
        executor.launch(record.id)
    except CoreError as error:
        store.finish(record.id, RunStatus.FAILED, str(error))
        raise
    try:
        final = executor.wait(record.id, poll=0.5)
    finally:
        close = getattr(executor, "close", None)
        if close is not None:
            close()
    print(f"run {final.id} {final.status}", file=sys.stderr)
    return 0
