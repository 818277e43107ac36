"""Command line, the app's headless twin: ``python -m core train|predict|embeddings``.

Bad input ends with exit code 2 and one line ``error: ...`` on stderr, never a
traceback; bugs still raise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from core.config import ColumnSpec, ExperimentConfig
from core.errors import ConfigError, CoreError

EXIT_USAGE = 2


def read_data(source: str) -> pd.DataFrame:
    """A file path (CSV or Parquet) or the name of a bundled data set.

    Repairs made while reading (delimiter, encoding) are printed as notes.
    """
    from core.io import load_table

    path = Path(source)
    if path.is_file():
        loaded = load_table(path)
        _print_notes(loaded.notes)
        return loaded.frame
    from core.datasets import list_bundled, load_bundled

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
    from core.schema import infer_schema, infer_task

    base = (
        ExperimentConfig.from_json(Path(args.config).read_text(encoding="utf-8"))
        if args.config
        else _bundled_base(args)
    )
    data = base.to_dict()["data"] if base else {}
    suggestion = infer_schema(df)
    data["target_column"] = args.target or data.get("target_column")
    if not data["target_column"]:
        raise ConfigError("--target", "expected a target column, received none")
    data["id_column"] = _choose(args.id, data, "id_column", suggestion.id_column)
    data["time_column"] = _choose(
        args.time, data, "time_column", suggestion.time_column
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
            else tuple(ColumnSpec(name) for name in suggestion.categorical_columns)
        )
        categorical = tuple(spec for spec in categorical if spec.name not in roles)
    numeric = _split_list(args.numeric)
    if numeric is None:
        numeric = tuple(
            column
            for column in data.get("numeric_columns") or suggestion.numeric_columns
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


def _bundled_base(args: argparse.Namespace) -> ExperimentConfig | None:
    """The registry's roles and framing when ``--data`` names a bundled set.

    Not when ``--target`` asks for another target: its framing (an event
    horizon, say) belongs to the registry's target.
    """
    from core.datasets import list_bundled

    if Path(args.data).is_file():
        return None
    for item in list_bundled():
        if item.name == args.data and args.target in (None, item.target_column):
            return ExperimentConfig(data=item.data_config())
    return None


def _choose(flag: str | None, data: dict, key: str, suggested: str | None) -> Any:
    if flag is not None:
        return flag or None
    return data.get(key, suggested) if key in data else suggested


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


def _assemble(
    args: argparse.Namespace, base: ExperimentConfig | None, data: dict[str, Any]
) -> ExperimentConfig:
    payload = base.to_dict() if base else {}
    model = payload.get("model", {})
    train = payload.get("train", {})
    if args.encoding:
        model["encoding"] = args.encoding
    for key in ("epochs", "seed", "batch_size"):
        if getattr(args, key) is not None:
            train[key] = getattr(args, key)
    data = {
        **data,
        "categorical_columns": [
            {"name": spec.name, "embedding_dim": spec.embedding_dim}
            for spec in data["categorical_columns"]
        ],
        "numeric_columns": list(data["numeric_columns"]),
    }
    return ExperimentConfig.from_dict(
        {**payload, "data": data, "model": model, "train": train}
    )


def _print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _print_progress(event: Any) -> None:
    if event.kind == "epoch_end":
        logs = ", ".join(f"{key} {value:.4f}" for key, value in event.logs.items())
        print(f"epoch {event.epoch + 1}/{event.epochs}: {logs}", file=sys.stderr)


def command_train(args: argparse.Namespace) -> int:
    """Train, evaluate and save a bundle."""
    from core.bundle import bundle_from_result, save_bundle
    from core.experiment import run_comparison
    from core.validation import validate_against

    df = read_data(args.data)
    config = build_config(args, df)
    _print_notes(validate_against(config.data, df))
    encodings = [config.model.encoding]
    if args.compare:
        encodings.append(
            "onehot" if config.model.encoding == "embedding" else "embedding"
        )
    results = run_comparison(
        df,
        config,
        encodings=encodings,
        progress=lambda _, event: _print_progress(event),
    )
    main = results[config.model.encoding]
    _print_notes(main.prepared.notes)
    out = save_bundle(bundle_from_result(main), args.out)
    summary: dict[str, Any] = {"bundle": str(out)}
    for encoding, result in results.items():
        summary[encoding] = {
            key: result.metrics[key] for key in ("validation", "test", "parameters")
        }
        if encoding != config.model.encoding:
            save_bundle(
                bundle_from_result(result),
                Path(args.out).with_name(f"{Path(args.out).name}_{encoding}"),
            )
    summary["baseline"] = main.metrics["baseline"]
    print(json.dumps(summary, indent=2, default=str))
    return 0


def command_predict(args: argparse.Namespace) -> int:
    """Predict on a new file with a saved bundle and write a CSV."""
    from core.bundle import load_bundle, predict
    from core.io import write_csv_safely

    bundle = load_bundle(args.model)
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
    from core.bundle import load_bundle
    from core.embeddings import embedding_frame, export_projector, extract_embedding
    from core.io import write_csv_safely

    bundle = load_bundle(args.model)
    table = extract_embedding(bundle.model, bundle.preprocessor, args.column)
    frame = embedding_frame(table, n_components=args.components)
    Path(args.out).write_bytes(write_csv_safely(frame))
    if args.projector:
        export_projector(table, Path(args.projector))
    print(f"wrote {len(frame)} categories to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Argument parser with the three subcommands."""
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train and save a model bundle")
    train.add_argument("--data", required=True, help="CSV/Parquet file or bundled name")
    train.add_argument("--target")
    train.add_argument("--id")
    train.add_argument("--time")
    train.add_argument("--categorical", help="COL[:DIM],... (default: inferred)")
    train.add_argument("--numeric", help="COL,... (default: inferred)")
    train.add_argument(
        "--task", default="auto", choices=("auto", "binary", "multiclass", "regression")
    )
    train.add_argument("--window", type=int)
    train.add_argument("--stride", type=int)
    train.add_argument("--horizon", type=int)
    train.add_argument("--max-length", type=int)
    train.add_argument("--encoding", choices=("embedding", "onehot"))
    train.add_argument("--compare", action="store_true", help="also train the twin")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--config", help="experiment config JSON; flags override it")
    train.add_argument("--out", required=True, help="bundle directory")
    train.set_defaults(handler=command_train)
    predict = commands.add_parser("predict", help="predict with a saved bundle")
    predict.add_argument("--model", required=True)
    predict.add_argument("--data", required=True)
    predict.add_argument("--out", required=True)
    predict.add_argument("--last-only", action="store_true")
    predict.set_defaults(handler=command_predict)
    embeddings = commands.add_parser("embeddings", help="export a column's embedding")
    embeddings.add_argument("--model", required=True)
    embeddings.add_argument("--column", required=True)
    embeddings.add_argument("--out", required=True)
    embeddings.add_argument("--components", type=int, default=2, choices=(2, 3))
    embeddings.add_argument("--projector", help="also write TSVs to this folder")
    embeddings.set_defaults(handler=command_embeddings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename}", file=sys.stderr)
        return EXIT_USAGE
