"""Command line, the app's headless twin: ``python -m core train|predict|tune|...``.

Bad input ends with exit code 2 and one line ``error: ...`` on stderr, never a
traceback; bugs still raise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli.compare import add_comparison_commands
from core.cli.insight import add_insight_commands
from core.cli.options import EXIT_USAGE
from core.cli.predict import add_prediction_commands
from core.cli.runs import add_runs_commands
from core.cli.train import add_train_command
from core.cli.tune import add_tune_command
from core.errors import CoreError
from core.runs.executors.spare import SpareWorker


def build_parser() -> argparse.ArgumentParser:
    """Argument parser with the subcommands."""
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument(
        "--runs-dir",
        help="the run store (default: $SEQ_EMBED_RUNS_DIR, else ./runs)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_train_command(commands, store)
    add_prediction_commands(commands, store)
    add_runs_commands(commands, store)
    add_comparison_commands(commands, store)
    add_insight_commands(commands, store)
    add_tune_command(commands, store)
    return parser


def main(argv: Sequence[str] | None = None, spare: SpareWorker | None = None) -> int:
    """Run the command line; returns the exit code.

    ``spare``: a training process ``python -m core`` started before anything
    else, for ``train`` to use (:mod:`core.runs.executors.spare`); closed if unused.
    """
    args = build_parser().parse_args(argv)
    args.spare = spare
    try:
        return args.handler(args)
    except CoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if args.spare is not None:
            args.spare.close()
