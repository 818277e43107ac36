"""``python -m core compare`` and ``python -m core sweep``: answers over seeds."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import ConfigError


def add_comparison_commands(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``compare`` and ``sweep`` on the main parser."""
    from core.cli.main import add_executor_flags, add_experiment_flags

    compare = commands.add_parser(
        "compare", parents=[store], help="embedding vs one-hot over several seeds"
    )
    add_experiment_flags(compare)
    add_executor_flags(compare)
    _add_seed_flags(compare)
    compare.add_argument("--vary-split", action="store_true")
    compare.add_argument(
        "--baseline-arm",
        action="store_true",
        help="also gradient boosting on window summaries of the same examples",
    )
    compare.set_defaults(handler=command_compare)
    sweep = commands.add_parser(
        "sweep", parents=[store], help="embedding sizes of one column over seeds"
    )
    add_experiment_flags(sweep)
    add_executor_flags(sweep)
    _add_seed_flags(sweep)
    sweep.add_argument("--column", required=True)
    sweep.add_argument("--sizes", help="2,4,8,... (default: the advisor's rules)")
    sweep.set_defaults(handler=command_sweep)


def _add_seed_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds (1-20)")
    parser.add_argument("--metric", help="default: ROC AUC, macro F1 or RMSE")
    parser.add_argument("--json", help="write the report to this file")


def _prepare(args: argparse.Namespace) -> tuple[Any, Any, Any, int]:
    from core.cli.main import build_config, executor_from_args, read_data

    df = read_data(args.data)
    config = build_config(args, df)
    first = config.train.seed
    return df, config, executor_from_args(args), first


def wait_for_runs(executor: Any, run_ids: list[str], poll: float = 1.0) -> None:
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


def _write(report: dict[str, Any], path: str | None) -> None:
    text = json.dumps(report, indent=2, default=str)
    if path:
        Path(path).write_text(text)
    print(text)


def command_compare(args: argparse.Namespace) -> int:
    """Train k seeds of every arm, then print (and write) the paired comparison."""
    from core.analysis.comparison import (
        ComparisonSpec,
        comparison_runs,
        start_comparison,
        summarize,
    )

    df, config, executor, first = _prepare(args)
    spec = ComparisonSpec(
        config,
        tuple(range(first, first + args.seeds)),
        vary_split=args.vary_split,
        baseline_arm=args.baseline_arm,
    )
    comparison = start_comparison(executor, df, spec, Path(args.data).name)
    print(f"comparison {comparison} in {executor.store.root}", file=sys.stderr)
    runs = comparison_runs(executor.store, comparison)
    wait_for_runs(executor, [record.id for record in runs.values()])
    result = summarize(executor.store, comparison, args.metric)
    print(f"verdict: {result.verdict}", file=sys.stderr)
    _write(result.to_dict(), args.json)
    return 0


def command_sweep(args: argparse.Namespace) -> int:
    """Train the column's candidate sizes (and one-hot) over seeds; report each."""
    from core.analysis.sweep import SweepSpec, start_sweep, summarize_sweep, sweep_runs

    df, config, executor, first = _prepare(args)
    sizes = None
    if args.sizes:
        try:
            sizes = tuple(int(size) for size in args.sizes.split(",") if size.strip())
        except ValueError as error:
            raise ConfigError(
                "--sizes", f"expected integers like 2,4,8, received {args.sizes!r}"
            ) from error
    spec = SweepSpec.for_column(
        config, df, args.column, tuple(range(first, first + args.seeds)), sizes
    )
    sweep = start_sweep(executor, df, spec, Path(args.data).name)
    print(f"sweep {sweep} in {executor.store.root}", file=sys.stderr)
    wait_for_runs(executor, [record.id for record in sweep_runs(executor.store, sweep)])
    result = summarize_sweep(executor.store, sweep, args.metric)
    print(f"recommended size: {result.recommended} ({result.reason})", file=sys.stderr)
    _write(result.to_dict(), args.json)
    return 0
