"""Where a C-MAPSS subset's seed spread comes from: the validation split or the weights.

The bench's seed moves both the validation engines (``split.seed``) and the
initial weights and shuffling (``train.seed``). This script separates them: for
each split seed it trains the subset's committed config with several weight
seeds, scores each on the official test set (last window per engine, capped
truth), and averages their predictions (an ensemble of independently trained
networks). A spread that lives between splits is not cured by ensembling over
weights; one that lives within a split is. Averaging the models of different
split seeds (which held out different engines) estimates what bagging over
validation splits would give.

Run: ``python -m bench.cmapss_spread --subset FD003 --splits 5 --draws 3``
(about 12 minutes on FD003 on 2 cores). It writes the section ``cmapss-spread``
of docs/model_diagnosis.md (``cmapss-spread-m3`` and the like when
``--members``/``--refit``/``--bagging`` ask for more than one plain network).
The script always sets members, refit and bagging from its own options, so by
default it studies one network even though the committed configs bag five
members. With ``--bagging`` the split seed also deals the entity folds, so
each split seed is one bagged ensemble.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import numpy as np

from bench.cmapss import config_path, load_subset, score_protocols
from bench.common import (
    ROOT,
    data_dir,
    log,
    markdown_table,
    quiet_tensorflow,
    write_section,
)

DOCUMENT = ROOT / "docs" / "model_diagnosis.md"


def weight_seed(split: int, draw: int) -> int:
    """Draw 0 uses the split's own seed, as the bench does; others move away."""
    return split if draw == 0 else 1000 * draw + split


def make_config(subset: str, split: int, draw: int, args: argparse.Namespace):
    """The committed config with the split and weight seeds and the overrides."""
    from core.config import ExperimentConfig

    config = ExperimentConfig.from_dict(json.loads(config_path(subset).read_text()))
    return config.replace(
        split=replace(config.split, seed=split),
        model=replace(config.model, members=args.members),
        train=replace(
            config.train,
            seed=weight_seed(split, draw),
            refit=args.refit,
            bagging=args.bagging,
        ),
    )


def last_window_predictions(result, test, truth) -> np.ndarray:
    """Last-window predictions per test engine, in the truth's order."""
    from core.model.bundle import bundle_from_result, predict

    table = predict(bundle_from_result(result), test, last_only=True).table
    return table.set_index("unit").loc[truth.index, "predicted"].to_numpy(float)


def capped_rmse(predicted: np.ndarray, truth) -> float:
    return score_protocols(predicted, truth)["capped"]["rmse"]


def run(args: argparse.Namespace) -> dict[int, list[np.ndarray]]:
    """Test predictions per split seed, one array per weight draw."""
    from core.model.experiment import run_comparison

    train, test, truth = load_subset(data_dir("cmapss"), args.subset)
    predictions: dict[int, list[np.ndarray]] = {}
    for split in range(args.splits):
        for draw in range(args.draws):
            config = make_config(args.subset, split, draw, args)
            result = run_comparison(train, config, encodings=("embedding",))
            predicted = last_window_predictions(result["embedding"], test, truth)
            predictions.setdefault(split, []).append(predicted)
            log(
                f"{args.subset} split {split} draw {draw}: "
                f"{capped_rmse(predicted, truth):.2f}"
            )
    return predictions


def report(predictions: dict[int, list[np.ndarray]], truth, args) -> str:
    """Per-split table and the decomposition of the spread."""
    several = args.draws > 1
    rows, singles, ensembles = [], [], []
    for split, draws in predictions.items():
        scores = [capped_rmse(p, truth) for p in draws]
        ensemble = capped_rmse(np.mean(draws, axis=0), truth)
        singles.append(scores)
        ensembles.append(ensemble)
        row = [split, *(f"{s:.2f}" for s in scores)]
        if several:
            row += [f"{np.std(scores, ddof=1):.2f}", f"{ensemble:.2f}"]
        rows.append(row)
    headers = ["Split seed", *(f"Weights {d}" for d in range(args.draws))]
    if several:
        headers += ["Std within split", "Average of the draws"]
    singles_array = np.array(singles)
    first = singles_array[:, 0]
    lines = [
        f"- Weights 0 alone (the bench's protocol): mean {first.mean():.2f}, "
        f"std {first.std():.2f} (population) / {first.std(ddof=1):.2f} (sample)."
    ]
    by_draw = [[draws[d] for draws in predictions.values()] for d in range(args.draws)]
    across = [capped_rmse(np.mean(models, axis=0), truth) for models in by_draw]
    lines.append(
        f"- Average over the {len(predictions)} split seeds' models (each held out "
        "different engines), per weight draw: "
        + ", ".join(f"{value:.2f}" for value in across)
        + "."
    )
    if several:
        lines += [
            f"- Std within a split (weights only), mean over splits: "
            f"{singles_array.std(axis=1, ddof=1).mean():.2f}; std of the split "
            f"means: {singles_array.mean(axis=1).std():.2f}.",
            f"- Average of {args.draws} draws per split: mean "
            f"{np.mean(ensembles):.2f}, std {np.std(ensembles):.2f} (population) / "
            f"{np.std(ensembles, ddof=1):.2f} (sample).",
        ]
    return (
        f"{args.subset}, the committed config with {settings_text(args)}; test RMSE "
        "on capped truth.\n\n"
        + markdown_table(headers, rows)
        + "\n\n"
        + "\n".join(lines)
    )


def settings_text(args: argparse.Namespace) -> str:
    text = f"members {args.members}, refit {'on' if args.refit else 'off'}"
    return text + (", bagged over entity folds" if args.bagging else "")


def section_name(args: argparse.Namespace) -> str:
    """One section per setting, so a plain run and an ensemble run sit side by side."""
    plain = args.members == 1 and not (args.refit or args.bagging)
    if plain and args.subset == "FD003":
        return "cmapss-spread"
    name = f"cmapss-spread-{args.subset}-m{args.members}"
    name += "-refit" if args.refit else ""
    return name + ("-bagging" if args.bagging else "")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", default="FD003")
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--refit", action="store_true")
    parser.add_argument("--bagging", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    folder = data_dir("cmapss")
    if folder is None:
        return 0
    quiet_tensorflow()
    predictions = run(args)
    _, _, truth = load_subset(folder, args.subset)
    body = report(predictions, truth, args)
    print(body)
    if not args.no_write:
        title = f"Where {args.subset}'s seed spread comes from"
        if section_name(args) != "cmapss-spread":
            title = f"{args.subset} with {settings_text(args)}"
        write_section(
            section_name(args),
            title,
            body,
            quick=False,
            document=DOCUMENT,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
