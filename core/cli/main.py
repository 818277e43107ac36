"""Command line, the app's headless twin: ``python -m core train|predict|embeddings``.

Bad input ends with exit code 2 and one line ``error: ...`` on stderr, never a
traceback; bugs still raise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from core.config import LR_SCHEDULES, ColumnSpec, ExperimentConfig
from core.errors import ConfigError, CoreError
from core.runs.executors.spare import SpareWorker

EXIT_USAGE = 2
ENCODINGS = ("embedding", "onehot")


def read_data(source: str) -> pd.DataFrame:
    """A file path (CSV or Parquet) or the name of a bundled data set.

    Repairs made while reading (delimiter, encoding) are printed as notes.
    """
    from core.data.io import load_table

    path = Path(source)
    if path.is_file():
        loaded = load_table(path)
        _print_notes(loaded.notes)
        return loaded.frame
    from core.data.bundled import list_bundled, load_bundled

    names = [item.name for item in list_bundled()]
    if source in names:
        return load_bundled(source)
    raise ConfigError(
        "--data",
        f"expected a readable file or one of the bundled data sets {names}, "
        f"received {source!r}",
    )


def parse_categorical(text: str | None) -> tuple[ColumnSpec, ...] | None:
    """``"a:4,b,c:8"`` to column specs (``b`` gets the default width)."""
    if text is None:
        return None
    specs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, dim = item.partition(":")
        if dim and not dim.isdigit():
            raise ConfigError(
                "--categorical", f"expected COLUMN[:DIM], received {item!r}"
            )
        specs.append(ColumnSpec(name, int(dim) if dim else None))
    return tuple(specs)


def _split_list(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def build_config(args: argparse.Namespace, df: pd.DataFrame) -> ExperimentConfig:
    """Config from ``--config`` (if any), schema suggestions and explicit flags."""
    from core.data.schema import infer_task

    base = (
        ExperimentConfig.from_json(Path(args.config).read_text(encoding="utf-8"))
        if args.config
        else _bundled_base(args)
    )
    data = base.to_dict()["data"] if base else {}
    suggestion = _LazySuggestion(df)
    data["target_column"] = args.target or data.get("target_column")
    if not data["target_column"]:
        raise ConfigError("--target", "expected a target column, received none")
    data["id_column"] = _choose(args.id, data, "id_column", suggestion, "id_column")
    data["time_column"] = _choose(
        args.time, data, "time_column", suggestion, "time_column"
    )
    roles = {data["target_column"], data["id_column"], data["time_column"]}
    categorical = parse_categorical(args.categorical)
    if categorical is None:
        configured = data.get("categorical_columns")
        categorical = (
            tuple(
                ColumnSpec(spec["name"], spec.get("embedding_dim"))
                for spec in configured
            )
            if configured
            else tuple(
                ColumnSpec(name) for name in suggestion.get("categorical_columns")
            )
        )
        categorical = tuple(spec for spec in categorical if spec.name not in roles)
    numeric = _split_list(args.numeric)
    if numeric is None:
        numeric = tuple(
            column
            for column in data.get("numeric_columns")
            or suggestion.get("numeric_columns")
            if column not in roles
        )
    data["categorical_columns"] = categorical
    data["numeric_columns"] = numeric
    task = args.task if args.task != "auto" else data.get("task")
    if not task or (args.task == "auto" and not base):
        if data["target_column"] not in df.columns:
            raise ConfigError(
                "--target",
                f"expected a column of the data, received {data['target_column']!r}",
            )
        task = infer_task(df[data["target_column"]])
    data["task"] = task
    _apply_framing(args, data)
    return _assemble(args, base, data)


class _LazySuggestion:
    """Schema suggestions, inferred on first use (all roles given: never)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._suggestion: Any = None

    def get(self, role: str) -> Any:
        if self._suggestion is None:
            from core.data.schema import infer_schema

            self._suggestion = infer_schema(self.df)
        return getattr(self._suggestion, role)


def _bundled_base(args: argparse.Namespace) -> ExperimentConfig | None:
    """The registry's roles and framing when ``--data`` names a bundled set.

    Not when ``--target`` asks for another target: its framing (an event
    horizon, say) belongs to the registry's target.
    """
    from core.data.bundled import list_bundled

    if Path(args.data).is_file():
        return None
    for item in list_bundled():
        if item.name == args.data and args.target in (None, item.target_column):
            return ExperimentConfig(data=item.data_config())
    return None


def _choose(
    flag: str | None, data: dict, key: str, suggestion: _LazySuggestion, role: str
) -> Any:
    if flag is not None:
        return flag or None
    return data[key] if key in data else suggestion.get(role)


def _apply_framing(args: argparse.Namespace, data: dict[str, Any]) -> None:
    if args.window is not None:
        data["framing"] = "window"
        data["window"] = args.window
    if args.stride is not None:
        data["stride"] = args.stride
    if args.horizon is not None:
        data["horizon"] = args.horizon
    if args.max_length is not None:
        data["max_length"] = args.max_length
    if args.target_as_input is not None:
        data["target_as_input"] = args.target_as_input
    if args.smoothing_alpha is not None:
        # 0 switches smoothing off, so a config file's alpha can be overridden.
        data["smoothing_alpha"] = args.smoothing_alpha or None
    if args.entity_age is not None:
        data["entity_age"] = args.entity_age


def _assemble(
    args: argparse.Namespace, base: ExperimentConfig | None, data: dict[str, Any]
) -> ExperimentConfig:
    payload = base.to_dict() if base else {}
    model = payload.get("model", {})
    train = payload.get("train", {})
    if args.encoding:
        model["encoding"] = args.encoding
    for key in ("epochs", "seed", "batch_size", "lr_schedule"):
        if getattr(args, key) is not None:
            train[key] = getattr(args, key)
    split = payload.get("split", {})
    if getattr(args, "split_seed", None) is not None:
        split["seed"] = args.split_seed
    data = {
        **data,
        "categorical_columns": [
            {"name": spec.name, "embedding_dim": spec.embedding_dim}
            for spec in data["categorical_columns"]
        ],
        "numeric_columns": list(data["numeric_columns"]),
    }
    return ExperimentConfig.from_dict(
        {**payload, "data": data, "split": split, "model": model, "train": train}
    )


def _print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _print_epoch(event: dict[str, Any]) -> None:
    logs = ", ".join(f"{key} {value:.4f}" for key, value in event["logs"].items())
    print(
        f"{event['encoding']} epoch {event['epoch'] + 1}/{event['epochs']}: {logs}",
        file=sys.stderr,
    )


def follow_run(executor: Any, run_id: str, poll: float = 0.2) -> Any:
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
                    _print_notes(event.get("notes", ()))
            seen = len(events)
            if record.status.final:
                return record
            time.sleep(poll)
    except KeyboardInterrupt:
        print(f"cancelling run {run_id}...", file=sys.stderr)
        executor.cancel(run_id)
        return executor.wait(run_id, timeout=executor.cancel_grace_seconds + 10)


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


def executor_from_args(args: argparse.Namespace) -> Any:
    """The executor the flags ask for, over ``--runs-dir``."""
    from core.runs.executors.factory import make_executor

    return make_executor(
        args.executor,
        _store(args),
        ray_address=args.ray_address,
        num_cpus=args.num_cpus,
        num_gpus=args.num_gpus,
    )


def _store(args: argparse.Namespace) -> Any:
    from core.runs.store import RunStore

    return RunStore(args.runs_dir)


def run_encodings(
    args: argparse.Namespace, config: ExperimentConfig
) -> tuple[str, ...]:
    """The configured encoding, then the other one under ``--compare``."""
    encoding = config.model.encoding
    if not args.compare:
        return (encoding,)
    return (encoding, "onehot" if encoding == "embedding" else "embedding")


def command_train(args: argparse.Namespace) -> int:
    """Train in a child process as a run of the store; optionally copy a bundle.

    The child is started first, as a spare worker (``args.spare``, or one
    started here), so that its TensorFlow import overlaps with reading,
    checking, storing and preparing the table here.

    The child trains at the terminal's CPU priority: workers default to a lower
    one so that the web server's pages stay responsive, but here no page waits,
    the user does. ``$SEQ_EMBED_WORKER_NICE`` still decides when it is set.
    """
    from core.data.parquet import is_dataset_path
    from core.data.validation import validate_against
    from core.runs.executors.spare import NICENESS_VARIABLE

    os.environ.setdefault(NICENESS_VARIABLE, "0")
    if args.spare is not None and (
        args.executor != "local" or is_dataset_path(args.data)
    ):
        # This run trains on a cluster or streams its files: let the spare go
        # now rather than keep it waiting, TensorFlow loaded, until the end.
        args.spare.close()
        args.spare = None

    if is_dataset_path(args.data):
        from core.cli.dataset import command_train_dataset

        if args.executor != "local":
            raise ConfigError(
                "--executor",
                "expected local for a streamed dataset (its files are read "
                f"where they lie), received {args.executor!r}",
            )

        return command_train_dataset(args)
    executor = executor_from_args(args)
    if args.executor == "local":
        # Its TensorFlow import overlaps with reading, checking and preparing.
        executor.start_spare(args.spare)
        args.spare = None  # the executor's now
    try:
        df = read_data(args.data)
        config = build_config(args, df)
        _print_notes(validate_against(config.data, df))
        record = executor.submit(
            df, config, run_encodings(args, config), data_name=Path(args.data).name
        )
    finally:
        executor.close_spare()
    print(f"run {record.id} in {executor.store.root}", file=sys.stderr)
    record = follow_run(executor, record.id)
    return _report_training(executor.store, record, args.out)


def _report_training(store: Any, record: Any, out: str | None) -> int:
    """Print the summary JSON of a finished run, copying bundles to ``out``."""
    from core.model.bundle_files import copy_bundle
    from core.runs.store import RunStatus

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


def resolve_model(args: argparse.Namespace) -> Path:
    """``--model``: a bundle folder, or a run id of the store (``--encoding``)."""
    from core.runs.store import RunNotFoundError

    path = Path(args.model)
    if path.is_dir():
        return path
    store = _store(args)
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


def command_predict(args: argparse.Namespace) -> int:
    """Predict on a new file with a saved bundle or a run and write a CSV."""
    from core.data.io import write_csv_safely
    from core.model.bundle import load_bundle, predict

    bundle = load_bundle(resolve_model(args))
    result = predict(bundle, read_data(args.data), last_only=args.last_only)
    Path(args.out).write_bytes(write_csv_safely(result.table))
    for column, values in result.unknown_values.items():
        shown = ", ".join(
            f"{key!r} ({count})" for key, count in list(values.items())[:5]
        )
        print(f"note: column '{column}': unseen categories {shown}", file=sys.stderr)
    if result.metrics is not None:
        print(json.dumps(result.metrics, indent=2, default=str))
    print(f"wrote {len(result.table)} predictions to {args.out}", file=sys.stderr)
    return 0


def command_embeddings(args: argparse.Namespace) -> int:
    """Write one column's embedding (labels, PCA coordinates, vectors) to CSV."""
    from core.analysis.embeddings import (
        embedding_frame,
        export_projector,
        extract_embedding,
    )
    from core.data.io import write_csv_safely
    from core.model.bundle import load_bundle

    bundle = load_bundle(resolve_model(args))
    table = extract_embedding(bundle.model, bundle.preprocessor, args.column)
    frame = embedding_frame(table, n_components=args.components)
    Path(args.out).write_bytes(write_csv_safely(frame))
    if args.projector:
        export_projector(table, Path(args.projector))
    print(f"wrote {len(frame)} categories to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Argument parser with the subcommands."""
    from core.cli.compare import add_comparison_commands
    from core.cli.dataset import add_streaming_flags
    from core.cli.insight import add_insight_commands
    from core.cli.runs import add_runs_commands

    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument(
        "--runs-dir",
        help="the run store (default: $SEQ_EMBED_RUNS_DIR, else ./runs)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train", parents=[store], help="train as a run of the store"
    )
    add_experiment_flags(train)
    add_executor_flags(train)
    train.add_argument("--compare", action="store_true", help="also train the twin")
    train.add_argument("--out", help="also copy the bundle to this directory")
    add_streaming_flags(train)
    train.set_defaults(handler=command_train)
    model_help = "a bundle folder or a run id"
    predict = commands.add_parser(
        "predict", parents=[store], help="predict with a bundle or a run"
    )
    predict.add_argument("--model", required=True, help=model_help)
    predict.add_argument("--encoding", choices=ENCODINGS, help="of a run's models")
    predict.add_argument("--data", required=True)
    predict.add_argument("--out", required=True)
    predict.add_argument(
        "--last",
        "--last-only",
        dest="last_only",
        action="store_true",
        help="one prediction per entity, from its most recent window",
    )
    predict.set_defaults(handler=command_predict)
    embeddings = commands.add_parser(
        "embeddings", parents=[store], help="export a column's embedding"
    )
    embeddings.add_argument("--model", required=True, help=model_help)
    embeddings.add_argument("--encoding", choices=ENCODINGS, help="of a run's models")
    embeddings.add_argument("--column", required=True)
    embeddings.add_argument("--out", required=True)
    embeddings.add_argument("--components", type=int, default=2, choices=(2, 3))
    embeddings.add_argument("--projector", help="also write TSVs to this folder")
    embeddings.set_defaults(handler=command_embeddings)
    add_runs_commands(commands, store)
    add_comparison_commands(commands, store)
    add_insight_commands(commands, store)
    return parser


def add_experiment_flags(parser: argparse.ArgumentParser) -> None:
    """The data and experiment flags shared by train, compare and sweep."""
    parser.add_argument(
        "--data",
        required=True,
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
    parser.add_argument("--window", type=int)
    parser.add_argument("--stride", type=int)
    parser.add_argument("--horizon", type=int)
    parser.add_argument("--max-length", type=int)
    parser.add_argument("--encoding", choices=ENCODINGS)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--seed", type=int, help="seed of the weights")
    parser.add_argument(
        "--split-seed",
        type=int,
        help="seed of the entity split (default: the config's)",
    )
    parser.add_argument(
        "--target-as-input",
        action=argparse.BooleanOptionalAction,
        help="give the model the target's past values (needs --window, --horizon)",
    )
    parser.add_argument(
        "--smoothing-alpha",
        type=float,
        help="causal exponential smoothing of numeric columns, in (0, 1]; 0 = off",
    )
    parser.add_argument(
        "--entity-age",
        action=argparse.BooleanOptionalAction,
        help="add the steps since each entity's first row as a feature",
    )
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES)
    parser.add_argument(
        "--config",
        help="full experiment config JSON (from the configure page); flags override it",
    )


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
