"""``python -m core importance`` and ``python -m core stability``: what was learned."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.analysis.comparison import comparison_runs
from core.analysis.importance import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_REPEATS,
    importance_on_frame,
)
from core.analysis.stability import DEFAULT_NEIGHBOURS
from core.analysis.stability_runs import stability_of_runs
from core.cli.options import (
    ENCODINGS,
    add_model_flags,
    print_report,
    read_data,
    resolve_model,
    store_from_args,
)
from core.errors import ConfigError
from core.runs.store import RunStore


def add_insight_commands(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``importance`` and ``stability`` on the main parser."""
    importance = commands.add_parser(
        "importance",
        parents=[store],
        help="mask-aware permutation importance of every feature column",
    )
    add_model_flags(importance, model_help="a bundle folder or run id")
    importance.add_argument("--data", required=True, help="labelled CSV/Parquet file")
    importance.add_argument("--json", help="write the report to this file")
    importance.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    importance.add_argument("--seed", type=int, default=0)
    importance.add_argument("--metric", help="default: ROC AUC, macro F1 or RMSE")
    importance.add_argument(
        "--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES,
        help="score a seeded sample of at most this many examples",
    )  # fmt: skip
    importance.add_argument(
        "--no-ablation", action="store_true", help="skip the mean-vector ablation"
    )
    importance.set_defaults(handler=command_importance)
    stability = commands.add_parser(
        "stability", parents=[store], help="embedding stability over seeds"
    )
    chosen = stability.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--runs", help="finished run ids, one per seed: ID,ID,...")
    chosen.add_argument("--comparison", help="a comparison id (cmp-...)")
    stability.add_argument("--column", help="one categorical column (default: all)")
    stability.add_argument("--k", type=int, default=DEFAULT_NEIGHBOURS)
    stability.add_argument("--encoding", default="embedding", choices=ENCODINGS)
    stability.add_argument("--json", help="write the report to this file")
    stability.set_defaults(handler=command_stability)


def command_importance(args: argparse.Namespace) -> int:
    """Shuffle each column at valid steps; print (and write) the metric drops."""
    from core.model.bundle import load_bundle  # start-up cost: Keras

    bundle = load_bundle(resolve_model(args))
    result = importance_on_frame(
        bundle,
        read_data(args.data),
        metric=args.metric,
        repeats=args.repeats,
        seed=args.seed,
        max_examples=args.max_examples,
        ablation=not args.no_ablation,
    )
    for item in result.columns:
        print(
            f"{item.column} ({item.kind}): {result.metric} drop "
            f"{item.drop_mean:+.4f} ± {item.drop_std:.4f}",
            file=sys.stderr,
        )
    print_report(result.to_dict(), args.json)
    return 0


def _run_ids(args: argparse.Namespace, store: RunStore) -> list[str]:
    """``--runs`` as a list, or the runs of the comparison ``--comparison`` names."""
    if args.runs:
        return [part.strip() for part in args.runs.split(",") if part.strip()]
    runs = comparison_runs(store, args.comparison)
    if not runs:
        raise ConfigError(
            "--comparison",
            f"expected a comparison id of the store {store.root}, received "
            f"{args.comparison!r}",
        )
    return [record.id for record in runs.values()]


def command_stability(args: argparse.Namespace) -> int:
    """Align every seed's embedding; print (and write) per-category stability."""
    store = store_from_args(args)
    results = stability_of_runs(store, _run_ids(args, store), args.k, args.encoding)
    if args.column is not None:
        if args.column not in results:
            raise ConfigError(
                "--column",
                f"expected one of the runs' categorical columns {list(results)}, "
                f"received {args.column!r}",
            )
        results = {args.column: results[args.column]}
    for column, result in results.items():
        print(
            f"{column}: neighbour agreement {result.mean_agreement:.2f} "
            f"(chance {result.chance_agreement:.2f}), median spread "
            f"{result.median_spread:.2f}, {result.unstable_share:.0%} unstable",
            file=sys.stderr,
        )
    print_report({"columns": [r.to_dict() for r in results.values()]}, args.json)
    return 0
