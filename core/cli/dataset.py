"""``python -m core train --data FOLDER_OR_GLOB``: train on Parquet shards, streamed.

The shards are never loaded whole: the config is built from a sample of the first
rows, the run records a reference to the files (see :mod:`core.runs.dataset_run`),
and the worker fits, splits and trains chunk by chunk within
``--memory-budget-mb``.
"""

from __future__ import annotations

import argparse
import sys

from core.cli.experiment import build_config, run_encodings
from core.cli.follow import follow_run, report_training
from core.cli.options import print_notes, store_from_args
from core.data.parquet import DatasetSource
from core.data.validation import validate_against
from core.examples.stream_passes import (
    DEFAULT_MAX_EVAL_ROWS,
    DEFAULT_MEMORY_BUDGET_MB,
    StreamOptions,
)
from core.runs.dataset_run import create_dataset_run
from core.runs.executors.local import LocalExecutor

#: Rows read from the first shards to infer roles and the task.
SAMPLE_ROWS = 5_000


def add_streaming_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that only apply when ``--data`` is a folder or glob of Parquet files."""
    group = parser.add_argument_group("Parquet datasets (--data FOLDER or GLOB)")
    group.add_argument(
        "--memory-budget-mb",
        type=int,
        default=DEFAULT_MEMORY_BUDGET_MB,
        help="memory for chunks, encoded rows and batches (default %(default)s)",
    )
    group.add_argument(
        "--max-train-windows",
        type=int,
        help="train each epoch on a random subset of about this many windows",
    )
    group.add_argument(
        "--max-eval-rows",
        type=int,
        default=DEFAULT_MAX_EVAL_ROWS,
        help="rows of whole held-out entities kept for metrics (default %(default)s)",
    )


def command_train_dataset(args: argparse.Namespace) -> int:
    """Submit a streamed run on a dataset, follow it and report like ``train``."""
    source = DatasetSource.open(args.data)
    sample = source.sample(SAMPLE_ROWS)
    config = build_config(args, sample)
    print_notes(validate_against(config.data, sample))
    options = StreamOptions(
        memory_budget_mb=args.memory_budget_mb,
        max_train_windows=args.max_train_windows,
        max_eval_rows=args.max_eval_rows,
    )
    executor = LocalExecutor(store_from_args(args))
    record = create_dataset_run(
        executor.store, source, config, run_encodings(args, config), options
    )
    executor.launch(record.id)
    print(
        f"run {record.id} in {executor.store.root} (streaming "
        f"{len(source.files)} file(s), {record.rows:,} rows)",
        file=sys.stderr,
    )
    record = follow_run(executor, record.id)
    return report_training(executor.store, record, args.out)
