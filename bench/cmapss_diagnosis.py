"""C-MAPSS diagnosis: which change closes the LSTM's gap to gradient boosting.

Each variant is the subset's committed config (``bench/configs/cmapss_FD00x.json``)
trained as a single network (no members, no bagging) with a few fields changed;
every variant trains over the same seeds (the seed moves the validation engines
and the weights), is scored on the official test
set's last window per engine against capped truth, and is reported as mean
with a 95% t-interval (:func:`core.analysis.verdict.t_interval`), its paired
difference to the gradient-boosting arm of the same seed
(:func:`core.analysis.verdict.paired_difference`), and its bias on engines whose
true RUL lies in 50-100 cycles (the middle band where round 2's LSTM
over-predicted). The gradient-boosting arm keeps its own inputs (entity age
and smoothing, which help it), trained on the same training engines.

Run ``python -m bench.cmapss_diagnosis --subsets FD001 --seeds 3``; ``--quick``
is a smoke test. Results go to ``docs/model_diagnosis.md`` (section
"Measured").
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.cmapss import (
    RUL_CAP,
    SUBSETS,
    gbm_config,
    load_subset,
    make_config,
    run_gradient_boosting,
)
from bench.common import (
    command_line,
    data_dir,
    interval_cell,
    log,
    markdown_table,
    quiet_tensorflow,
)

#: The variants, each a function of the committed config (changes only). The
#: committed configs subtract each engine's starting level, so the variants that
#: study the earlier inputs switch it off explicitly (they keep their meaning).
NO_BASELINE = {"entity_baseline": None}
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    # Round 2's failure: dropout on the raw inputs inside the first LSTM.
    "input dropout 0.2 (round-2 placement)": {
        "data": NO_BASELINE,
        "model": {"input_dropout": 0.2, "dropout": 0.0},
    },
    # The new default placement on the committed inputs (age, smoothing kept).
    "dropout after layers": {
        "data": NO_BASELINE,
        "model": {"dropout": 0.2, "input_dropout": 0.0},
    },
    # LSTM-own inputs: no entity age, no smoothing (they made it overfit).
    "no age, no smoothing": {
        "data": {**NO_BASELINE, "entity_age": False, "smoothing_alpha": None},
        "model": {"dropout": 0.2},
    },
    "no age, no smoothing, last-window validation": {
        "data": {**NO_BASELINE, "entity_age": False, "smoothing_alpha": None},
        "split": {"validation_windows": "last"},
        "model": {"dropout": 0.2},
    },
    # Each engine's change since it started, not its manufacturing offset.
    "entity baseline 20, input dropout 0.2": {
        "data": {"entity_baseline": 20},
        "model": {"input_dropout": 0.2, "dropout": 0.0},
    },
    # The same baseline with the product's default dropout placement.
    "entity baseline 20, dropout after layers": {
        "data": {"entity_baseline": 20},
        "model": {"dropout": 0.2, "input_dropout": 0.0},
    },
    "no age, no smoothing, attention pooling": {
        "data": {**NO_BASELINE, "entity_age": False, "smoothing_alpha": None},
        "model": {"dropout": 0.2, "summary": "attention"},
    },
}


def single_network(config):
    """The committed config as one network: the diagnosis studies what one LSTM
    learns, and the committed recipe's bagged members are an average over it
    (a variant such as last-window validation cannot be bagged at all)."""
    return config.replace(
        model=replace(config.model, members=1),
        train=replace(config.train, bagging=False, refit=False),
    )


def variant_config(subset: str, seed: int, changes: dict, args: argparse.Namespace):
    """The committed config of ``subset`` and ``seed`` with ``changes`` applied.

    A variant given as a config file (``--config-variant NAME=FILE``, e.g. a
    tuner's best configuration) replaces the committed config, seeded alike.
    """
    if "file" in changes:
        from core.config import ExperimentConfig

        text = Path(changes["file"]).read_text(encoding="utf-8")
        config = ExperimentConfig.from_json(text)
        return config.replace(
            split=replace(config.split, seed=seed),
            train=replace(config.train, seed=seed),
        )
    config = single_network(make_config(subset, seed, args))
    sections = {}
    for section, fields in changes.items():
        sections[section] = replace(getattr(config, section), **fields)
    return config.replace(**sections)


def score_engines(bundle, test: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    """Capped-truth RMSE and the mean error on engines with true RUL 50-100."""
    from core.model.bundle import predict

    table = predict(bundle, test, last_only=True).table.set_index("unit")
    predicted = table.loc[truth.index, "predicted"].to_numpy(dtype=float)
    capped = np.minimum(truth.to_numpy(dtype=float), RUL_CAP)
    error = predicted - capped
    middle = (capped >= 50) & (capped <= 100)
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "middle_bias": float(error[middle].mean()) if middle.any() else float("nan"),
    }


def run_variant(data: tuple, subset: str, name: str, seed: int, args) -> dict:
    """Train one variant for one seed; its scores, epochs and seconds."""
    from core.model.bundle import bundle_from_result
    from core.model.experiment import run_experiment

    train, test, truth = data
    config = variant_config(subset, seed, VARIANTS[name], args)
    started = time.perf_counter()
    result = run_experiment(train, config)
    scores = score_engines(bundle_from_result(result), test, truth)
    scores.update(
        epochs=result.training.epochs_run,
        seconds=time.perf_counter() - started,
        validation=result.metrics["validation"]["rmse"],
    )
    log(
        f"{subset} seed {seed} {name}: RMSE {scores['rmse']:.2f}, middle-band "
        f"bias {scores['middle_bias']:+.1f}, {scores['epochs']} epochs"
    )
    return scores


def run_gbm(data: tuple, subset: str, seed: int, args) -> float:
    """The gradient-boosting arm on its own inputs (:func:`bench.cmapss.gbm_config`)."""
    from core.examples.prepare import prepare_experiment

    train, test, truth = data
    config = gbm_config(make_config(subset, seed, args), subset)
    prepared = prepare_experiment(train, config)
    rmse = run_gradient_boosting(prepared, config, test, truth, args)["capped"]["rmse"]
    log(f"{subset} seed {seed} gradient boosting: RMSE {rmse:.2f}")
    return rmse


def summarise(subset: str, runs: dict[str, list[dict]], gbm: list[float]) -> list[list]:
    """One row per variant: mean [interval], difference to GBM [interval], bias."""
    from core.analysis.verdict import paired_difference, t_interval

    rows = []
    for name, scores in runs.items():
        rmse = [score["rmse"] for score in scores]
        mean, low, high = t_interval(rmse)
        difference = paired_difference(rmse, gbm[: len(rmse)])
        bias = np.nanmean([score["middle_bias"] for score in scores])
        rows.append(
            [
                subset,
                name,
                interval_cell(mean, low, high),
                f"{np.std(rmse, ddof=1):.2f}" if len(rmse) > 1 else "",
                interval_cell(difference.mean, difference.low, difference.high),
                f"{np.mean([score['validation'] for score in scores]):.2f}",
                f"{bias:+.1f}",
                f"{np.mean([s['epochs'] for s in scores]):.0f}",
                f"{np.mean([s['seconds'] for s in scores]):.0f}",
            ]
        )
    mean, low, high = t_interval(gbm)
    rows.append(
        [
            subset,
            "gradient boosting (own inputs)",
            interval_cell(mean, low, high),
            f"{np.std(gbm, ddof=1):.2f}" if len(gbm) > 1 else "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    return rows


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subsets", nargs="+", default=["FD001"], choices=SUBSETS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="override")
    parser.add_argument("--stride", type=int, default=None, help="override")
    # "--variants" alone (no names) trains only the --config-variant files.
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument(
        "--config-variant",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="also train a full config file (a tuner's best) as variant NAME",
    )
    parser.add_argument("--gbm-iterations", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.stride, args.gbm_iterations = 2, 1, 10, 30
        args.variants = args.variants[:2]
    for item in args.config_variant:
        name, _, path = item.partition("=")
        VARIANTS[name] = {"file": path}
        args.variants.append(name)
    if not args.variants:
        parser.error("expected at least one variant or --config-variant")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_tensorflow()
    folder = data_dir("cmapss")
    if folder is None:
        print("skipped: ../shared/data/cmapss is absent")
        return 0
    rows = []
    started = time.perf_counter()
    for subset in args.subsets:
        data = load_subset(folder, subset)
        gbm = [run_gbm(data, subset, seed, args) for seed in range(args.seeds)]
        runs = {
            name: [
                run_variant(data, subset, name, seed, args)
                for seed in range(args.seeds)
            ]
            for name in args.variants
        }
        rows += summarise(subset, runs, gbm)
    table = markdown_table(
        [
            "Subset",
            "LSTM variant",
            "Test RMSE, capped [95% CI]",
            "Seed std",
            "LSTM − GBM, paired [95% CI]",
            "Validation RMSE",
            "Bias, true RUL 50–100",
            "Epochs",
            "Seconds/run",
        ],
        rows,
    )
    minutes = (time.perf_counter() - started) / 60
    text = (
        f"`python -m bench.cmapss_diagnosis --subsets {' '.join(args.subsets)} "
        f"--seeds {args.seeds}"
        + (f" --epochs {args.epochs}" if args.epochs else "")
        + (f" --stride {args.stride}" if args.stride else "")
        + f"` ({minutes:.0f} min on this machine, 2 shared cores)\n\n{table}"
    )
    print(text)
    if not args.no_write and not args.quick:
        write_measured(text)
    return 0


DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "model_diagnosis.md"


def write_measured(text: str) -> None:
    """Replace the measured block of docs/model_diagnosis.md (or append one)."""
    begin, end = "<!-- begin:measured -->", "<!-- end:measured -->"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = f"{begin}\nCommand: `{command_line()}`, run {stamp}.\n\n{text}\n{end}"
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.is_file() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        updated = head + block + rest.split(end, 1)[1]
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    DOCUMENT.write_text(updated, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
