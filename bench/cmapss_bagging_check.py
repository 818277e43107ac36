"""Does bagging beat one network on C-MAPSS without looking at the test set?

The committed C-MAPSS configs bag 5 members over entity folds, a rule adopted
after the seed spread of FD003's *test* figures had been seen. This check asks
the same question on the training engines alone: for each seed, the engines
that seed's split would hold out for validation (20%) are set aside as an outer
hold-out; the single network (the committed config with one member, no
bagging, early-stopped on its own inner validation engines) and the bagged
committed config are both trained on the remaining engines, and both are
scored on every window of the held-out engines against capped RUL. The paired
difference (single minus bagged, by seed) comes with a 95% t-interval
(:func:`core.analysis.verdict.paired_difference`). The official test files are
never read.

Run ``python -m bench.cmapss_bagging_check --subsets FD001 FD003 --seeds 3``;
``--quick`` is a smoke test. Results go to ``docs/model_diagnosis.md``
(section ``cmapss-bagging-check``); ``--save``/``--merge`` let subsets run as
separate processes and be reported together.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bench.cmapss import RUL_CAP, SUBSETS, load_subset, make_config
from bench.cmapss_diagnosis import single_network
from bench.common import (
    command_line,
    data_dir,
    import_for_versions,
    interval_cell,
    log,
    markdown_table,
    merged_runs_line,
    quiet_tensorflow,
    read_saved_runs,
    reading,
    write_section,
)

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "model_diagnosis.md"
ARMS = ("single", "bagged")


def outer_holdout(train: pd.DataFrame, config) -> np.ndarray:
    """The engines ``config``'s split holds out for validation (its seed's draw),
    found by core's own split so the hold-out is what a run would validate on."""
    from core.examples.sequences import VALIDATION, entity_layout, split_rows

    ordered = train.sort_values(["unit", "cycle"], kind="stable")
    layout = entity_layout(ordered, config.data)
    parts = split_rows(layout, config.split)
    return np.unique(ordered["unit"].to_numpy()[parts == VALIDATION])


def arm_configs(subset: str, seed: int, args: argparse.Namespace) -> dict:
    """The committed (bagged) config and its single network, seeded alike."""
    committed = make_config(subset, seed, args)
    if not committed.train.bagging:
        raise SystemExit(f"{subset}: the committed config does not bag")
    return {"single": single_network(committed), "bagged": committed}


def holdout_rmse(result, holdout: pd.DataFrame) -> float:
    """RMSE on every window of the held-out engines against capped RUL."""
    from core.model.bundle import bundle_from_result, predict

    table = predict(bundle_from_result(result), holdout).table
    actual = np.minimum(table["actual"].to_numpy(dtype=float), RUL_CAP)
    error = table["predicted"].to_numpy(dtype=float) - actual
    return float(np.sqrt(np.mean(error**2)))


def run_seed(train: pd.DataFrame, subset: str, seed: int, args) -> dict[str, float]:
    """Both arms of one seed, trained without the hold-out and scored on it."""
    from core.model.experiment import run_comparison

    configs = arm_configs(subset, seed, args)
    held = outer_holdout(train, configs["bagged"])
    inner = train[~train["unit"].isin(held)]
    holdout = train[train["unit"].isin(held)]
    scores = {}
    for arm, config in configs.items():
        result = run_comparison(inner, config, encodings=("embedding",))["embedding"]
        scores[arm] = holdout_rmse(result, holdout)
        log(
            f"{subset} seed {seed} {arm}: hold-out RMSE {scores[arm]:.2f} "
            f"({len(held)} engines), {result.training.epochs_run} epochs in "
            f"{result.training.seconds:.0f} s"
        )
    return scores


def report(results: dict[str, list[dict[str, float]]]) -> str:
    """Per subset: each arm's mean, and the paired difference with its interval."""
    from core.analysis.verdict import paired_difference, t_interval

    rows = []
    for subset, seeds in results.items():
        single = [seed["single"] for seed in seeds]
        bagged = [seed["bagged"] for seed in seeds]
        difference = paired_difference(single, bagged)
        rows.append(
            [
                subset,
                len(seeds),
                interval_cell(*t_interval(single)),
                interval_cell(*t_interval(bagged)),
                interval_cell(difference.mean, difference.low, difference.high),
                reading(difference, "single network", "bagging"),
            ]
        )
    return (
        "Hold-out: the 20% of training engines each seed's split holds out; "
        "both arms train on the other engines (the single network early-stops "
        "on its own inner 20%, the bagged one on its out-of-fold loss) and are "
        "scored on every window of the held-out engines against RUL capped at "
        f"{RUL_CAP}. The official test set is not read. Mean [95% t-interval] "
        "over the seeds; the difference is paired by seed.\n\n"
        + markdown_table(
            [
                "Subset",
                "Seeds",
                "Single network",
                "Bagged, 5 members",
                "Single − bagged",
                "Reading",
            ],
            rows,
        )
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subsets", nargs="+", default=list(SUBSETS), choices=SUBSETS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--save", type=Path, help="keep the raw results as JSON")
    parser.add_argument(
        "--merge", type=Path, nargs="+", help="report runs' --save files; train nothing"
    )
    args = parser.parse_args(argv)
    args.epochs = args.stride = None
    if args.quick:
        args.seeds, args.epochs, args.stride = 1, 2, 5
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.merge:
        results, commands, _ = read_saved_runs(args.merge, SUBSETS)
        import_for_versions()
    else:
        folder = data_dir("cmapss")
        if folder is None:
            return 0
        quiet_tensorflow()
        results, commands = train_all(folder, args), []
    body = report(results)
    if commands:
        body = merged_runs_line(commands) + "\n\n" + body
    print(body)
    if not args.no_write:
        write_section(
            "cmapss-bagging-check",
            "Bagging against one network, judged on held-out training engines",
            body,
            quick=args.quick,
            document=DOCUMENT,
        )
    return 0


def train_all(folder: Path, args: argparse.Namespace) -> dict[str, list]:
    """Both arms over every subset and seed (saved after each seed with --save)."""
    results: dict[str, list] = {}
    for subset in args.subsets:
        train = load_subset(folder, subset)[0]
        if args.quick:
            train = train[train["unit"] <= 30]
        for seed in range(args.seeds):
            results.setdefault(subset, []).append(run_seed(train, subset, seed, args))
            if args.save:
                saved = {"command": command_line(), "results": results}
                args.save.write_text(json.dumps(saved, indent=1), "utf-8")
    return results


if __name__ == "__main__":
    sys.exit(main())
