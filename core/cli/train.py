"""``python -m core train``: train as a run of the store, follow it, report it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

# A module import, not its function: the streamed branch is looked up when it
# runs, so that a test can stand in for it.
import core.cli.dataset
from core.cli.dataset import add_streaming_flags
from core.cli.experiment import build_config, run_encodings
from core.cli.follow import follow_run, report_training
from core.cli.options import (
    add_executor_flags,
    add_experiment_flags,
    executor_from_args,
    print_notes,
    read_data,
)
from core.data.parquet import is_dataset_path
from core.data.validation import validate_against
from core.errors import ConfigError
from core.examples.advisor import data_warnings
from core.runs.executors.spare import NICENESS_VARIABLE


def add_train_command(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``train`` on the main parser."""
    train = commands.add_parser(
        "train", parents=[store], help="train as a run of the store"
    )
    add_experiment_flags(train)
    add_executor_flags(train)
    train.add_argument("--compare", action="store_true", help="also train the twin")
    train.add_argument("--out", help="also copy the bundle to this directory")
    add_streaming_flags(train)
    train.set_defaults(handler=command_train)


def command_train(args: argparse.Namespace) -> int:
    """Train in a child process as a run of the store; optionally copy a bundle.

    The child is started first, as a spare worker (``args.spare``, or one
    started here), so that its TensorFlow import overlaps with reading,
    checking, storing and preparing the table here.

    The child trains at the terminal's CPU priority: workers default to a lower
    one so that the web server's pages stay responsive, but here no page waits,
    the user does. ``$SEQ_EMBED_WORKER_NICE`` still decides when it is set.
    """
    os.environ.setdefault(NICENESS_VARIABLE, "0")
    streamed = is_dataset_path(args.data)
    if args.spare is not None and (args.executor != "local" or streamed):
        # This run trains on a cluster or streams its files: let the spare go
        # now rather than keep it waiting, TensorFlow loaded, until the end.
        args.spare.close()
        args.spare = None
    if streamed:
        if args.executor != "local":
            raise ConfigError(
                "--executor",
                "expected local for a streamed dataset (its files are read "
                f"where they lie), received {args.executor!r}",
            )
        return core.cli.dataset.command_train_dataset(args)
    return _train_table(args)


def _train_table(args: argparse.Namespace) -> int:
    """Train on one table (a file or a bundled set) read here and stored whole."""
    executor = executor_from_args(args)
    if args.executor == "local":
        # Its TensorFlow import overlaps with reading, checking and preparing.
        executor.start_spare(args.spare)
        args.spare = None  # the executor's now
    try:
        df = read_data(args.data)
        config = build_config(args, df)
        print_notes(validate_against(config.data, df))
        # The pre-flight's warnings on the split and the features: the page
        # shows them before training, the terminal before the run starts.
        print_notes(data_warnings(df, config))
        record = executor.submit(
            df, config, run_encodings(args, config), data_name=Path(args.data).name
        )
    finally:
        executor.close_spare()
    print(f"run {record.id} in {executor.store.root}", file=sys.stderr)
    record = follow_run(executor, record.id)
    return report_training(executor.store, record, args.out)
