"""``python -m core compare`` and ``python -m core sweep``: answers over seeds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from core.analysis.comparison import (
    ComparisonSpec,
    comparison_runs,
    start_comparison,
    summarize,
)
from core.analysis.leaderboard import leaderboard
from core.analysis.sweep import SweepSpec, start_sweep, summarize_sweep, sweep_runs
from core.cli.experiment import build_config
from core.cli.follow import wait_for_runs
from core.cli.options import (
    add_executor_flags,
    add_experiment_flags,
    executor_from_args,
    print_report,
    read_data,
)
from core.config import ExperimentConfig
from core.errors import ConfigError
from core.runs.executors.local import LocalExecutor


def add_comparison_commands(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``compare`` and ``sweep`` on the main parser."""
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
    compare.set_defaults(handler=command_compare_seeds)
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
    """How many seeds, the metric to compare on, where to write the report."""
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds (1-20)")
    parser.add_argument("--metric", help="default: ROC AUC, macro F1 or RMSE")
    parser.add_argument("--json", help="write the report to this file")


def _prepare(
    args: argparse.Namespace,
) -> tuple[pd.DataFrame, ExperimentConfig, LocalExecutor, int]:
    """The data, the config, the executor and the first seed the flags name."""
    df = read_data(args.data)
    config = build_config(args, df)
    first = config.train.seed
    return df, config, executor_from_args(args), first


def command_compare_seeds(args: argparse.Namespace) -> int:
    """Train k seeds of every arm, then print (and write) the paired comparison."""
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
    board = leaderboard(executor.store, result)
    print(f"verdict: {result.verdict}", file=sys.stderr)
    print(f"leaderboard: {board.verdict}", file=sys.stderr)
    print_report({**result.to_dict(), "leaderboard": board.to_dict()}, args.json)
    return 0


def command_sweep(args: argparse.Namespace) -> int:
    """Train the column's candidate sizes (and one-hot) over seeds; report each."""
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
    print_report(result.to_dict(), args.json)
    return 0
