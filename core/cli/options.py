"""What the commands share: their common flags, readers of what the flags name, notes.

Every command module builds on this one; none imports :mod:`core.cli.main`,
which assembles the parser from them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from core.cli.config_flags import add_config_flags
from core.config import ENCODINGS
from core.data.bundled import list_bundled, load_bundled
from core.data.io import load_table
from core.errors import ConfigError
from core.runs.executors.factory import make_executor
from core.runs.executors.local import LocalExecutor
from core.runs.store import RunNotFoundError, RunStore

#: Exit code of bad input (argparse's own, for a usage error).
EXIT_USAGE = 2
MODEL_HELP = "a bundle folder or a run id"


def add_experiment_flags(
    parser: argparse.ArgumentParser, data_required: bool = True
) -> None:
    """The data and experiment flags shared by train, compare, sweep and tune."""
    parser.add_argument(
        "--data",
        required=data_required,
        help="CSV/Parquet file, bundled name, or (train) a folder/glob of Parquet",
    )
    parser.add_argument("--target")
    parser.add_argument("--id")
    parser.add_argument("--time")
    parser.add_argument("--categorical", help="COL[:DIM],... (default: inferred)")
    parser.add_argument("--numeric", help="COL,... (default: inferred)")
    parser.add_argument(
        "--task", default="auto", choices=("auto", "binary", "multiclass", "regression")
    )
    parser.add_argument(
        "--window", type=int, help="window framing with windows of this many steps"
    )
    parser.add_argument(
        "--config",
        help="full experiment config JSON (from the configure page); flags override it",
    )
    # Every other setting of the config, generated from its fields.
    add_config_flags(parser)


def add_executor_flags(parser: argparse.ArgumentParser) -> None:
    """Where runs train: child processes here (default) or a Ray cluster."""
    parser.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: a process per run on this machine; ray: a task per run on "
        "a Ray cluster (pip install -r requirements-ray.txt)",
    )
    parser.add_argument(
        "--ray-address", help="the Ray cluster, host:port (default: $RAY_ADDRESS)"
    )
    parser.add_argument(
        "--num-cpus", type=float, default=1.0, help="CPUs per run on the cluster"
    )
    parser.add_argument(
        "--num-gpus", type=float, default=0.0, help="GPUs per run on the cluster"
    )


def add_model_flags(
    parser: argparse.ArgumentParser, model_help: str = MODEL_HELP
) -> None:
    """``--model`` (a bundle folder or a run id) and ``--encoding`` of a run's."""
    parser.add_argument("--model", required=True, help=model_help)
    parser.add_argument("--encoding", choices=ENCODINGS, help="of a run's models")


def print_notes(notes: Sequence[str]) -> None:
    """Print each note on stderr as ``note: ...``."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def print_report(report: dict[str, Any], path: str | None) -> None:
    """Print a command's report as JSON, and write it to ``path`` when given."""
    text = json.dumps(report, indent=2, default=str)
    if path:
        Path(path).write_text(text, encoding="utf-8")
    print(text)


def read_data(source: str) -> pd.DataFrame:
    """A file path (CSV or Parquet) or the name of a bundled data set.

    Repairs made while reading (delimiter, encoding) are printed as notes.

    Raises
    ------
    ConfigError
        When ``source`` is neither a file nor a bundled data set's name.
    """
    path = Path(source)
    if path.is_file():
        loaded = load_table(path)
        print_notes(loaded.notes)
        return loaded.frame
    names = [item.name for item in list_bundled()]
    if source in names:
        return load_bundled(source)
    raise ConfigError(
        "--data",
        f"expected a readable file or one of the bundled data sets {names}, "
        f"received {source!r}",
    )


def store_from_args(args: argparse.Namespace) -> RunStore:
    """The run store ``--runs-dir`` names (its default when not given)."""
    return RunStore(args.runs_dir)


def executor_from_args(args: argparse.Namespace) -> LocalExecutor:
    """The executor the flags ask for, over ``--runs-dir``."""
    return make_executor(
        args.executor,
        store_from_args(args),
        ray_address=args.ray_address,
        num_cpus=args.num_cpus,
        num_gpus=args.num_gpus,
    )


def resolve_model(args: argparse.Namespace) -> Path:
    """``--model``: a bundle folder, or a run id of the store (``--encoding``).

    Raises
    ------
    ConfigError
        When ``--model`` is neither, or the run has no model of ``--encoding``.
    """
    path = Path(args.model)
    if path.is_dir():
        return path
    store = store_from_args(args)
    try:
        record = store.get(args.model)
    except RunNotFoundError as error:
        raise ConfigError(
            "--model",
            f"expected a bundle folder or a run id of the store {store.root}, "
            f"received {args.model!r}",
        ) from error
    encoding = args.encoding or record.encodings[0]
    bundle = store.bundle_path(record.id, encoding)
    if not bundle.is_dir():
        raise ConfigError(
            "--encoding",
            f"expected one of the run's trained encodings "
            f"{sorted(store.results(record.id))}, received {encoding!r}",
        )
    return bundle
