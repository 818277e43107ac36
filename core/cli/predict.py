"""``python -m core predict`` and ``python -m core embeddings``: use a trained model.

Both load a bundle, hence Keras, so they import it only when they run: the
other commands (and ``--help``) start without TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.cli.options import add_model_flags, read_data, resolve_model
from core.data.io import write_csv_safely


def add_prediction_commands(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``predict`` and ``embeddings`` on the main parser."""
    predict = commands.add_parser(
        "predict", parents=[store], help="predict with a bundle or a run"
    )
    add_model_flags(predict)
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
    add_model_flags(embeddings)
    embeddings.add_argument("--column", required=True)
    embeddings.add_argument("--out", required=True)
    embeddings.add_argument("--components", type=int, default=2, choices=(2, 3))
    embeddings.add_argument("--projector", help="also write TSVs to this folder")
    embeddings.set_defaults(handler=command_embeddings)


def command_predict(args: argparse.Namespace) -> int:
    """Predict on a new file with a saved bundle or a run and write a CSV."""
    from core.model.bundle import load_bundle, predict  # start-up cost: Keras

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
    # start-up cost: scikit-learn (PCA, nearest neighbours)
    from core.analysis.embeddings import (
        embedding_frame,
        export_projector,
        extract_embedding,
    )
    from core.model.bundle import load_bundle  # start-up cost: Keras

    bundle = load_bundle(resolve_model(args))
    table = extract_embedding(bundle.model, bundle.preprocessor, args.column)
    frame = embedding_frame(table, n_components=args.components)
    Path(args.out).write_bytes(write_csv_safely(frame))
    if args.projector:
        export_projector(table, Path(args.projector))
    print(f"wrote {len(frame)} categories to {args.out}", file=sys.stderr)
    return 0
