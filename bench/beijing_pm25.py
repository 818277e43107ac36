"""Beijing PM2.5 (UCI, US Embassy): next-hour PM2.5 with the target's own past.

Two protocols (``../shared/data/beijing_pm25/README.md``):

- **Brownlee 2017** (the published LSTM figure, test RMSE 26.5 µg/m³): drop the
  first 24 hours, fill the remaining missing PM2.5 with 0, input = the previous
  hour of all eight variables (PM2.5 included, ``cbwd`` as a categorical),
  label = PM2.5 of the next hour, train on the first 20% of the hours (≈ 2010),
  test on the last 80% (2011-2014), RMSE on the original scale. Our one change:
  the last 5% of the hours before the test part are held out for early stopping
  (Brownlee trains a fixed 50 epochs and has no validation part).
- **Window 24 h**: the previous 24 hours, next hour's PM2.5, chronological train
  2010-2012 / validation 2013 / test 2014.

Each protocol is a JSON file under ``bench/configs/`` that
``python -m core train --config`` takes as it is; the bench trains the
embedding LSTM and its one-hot twin over ``--seeds`` seeds (the same split every
seed: a time split has no seed) and reports test RMSE and MAE next to
persistence (the last observed PM2.5) and the training mean.

Usage: ``python -m bench.beijing_pm25 [--quick] [--seeds 5]``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import (
    ROOT,
    data_dir,
    log,
    markdown_table,
    mean_std,
    quiet_tensorflow,
    write_section,
)

FILE = "PRSA_data_2010.1.1-2014.12.31.csv.gz"
CONFIGS = {
    "Brownlee 2017 (1 h in, next hour)": ROOT / "bench/configs/beijing_pm25_1h.json",
    "Window 24 h (train 2010-12, test 2014)": ROOT
    / "bench/configs/beijing_pm25_24h.json",
}
#: ``--protocols`` names, each protocol's docs/benchmarks.md section and title.
PROTOCOLS = {
    "brownlee": (
        "Brownlee 2017 (1 h in, next hour)",
        "beijing_pm25",
        "Beijing PM2.5: next-hour forecast, Brownlee's protocol",
    ),
    "24h": (
        "Window 24 h (train 2010-12, test 2014)",
        "beijing_pm25_24h",
        "Beijing PM2.5: next-hour forecast from a 24-hour window",
    ),
}
PUBLISHED_RMSE = 26.496  # Brownlee 2017, 50-unit LSTM
PUBLISHED_PERSISTENCE = "≈ 30"
ARM_LABELS = {"embedding": "Embedding LSTM (ours)", "onehot": "One-hot twin (ours)"}


def load(folder: Path) -> pd.DataFrame:
    """The hourly table as Brownlee prepares it: first day dropped, NA PM2.5 = 0."""
    frame = pd.read_csv(folder / FILE)
    frame["time"] = pd.to_datetime(frame[["year", "month", "day", "hour"]])
    frame = frame.iloc[24:].reset_index(drop=True)
    frame["pm25"] = frame.pop("pm2.5").fillna(0.0)
    frame["site"] = "us_embassy"
    return frame[
        ["site", "time", "pm25", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
    ]


def read_config(path: Path):
    """An experiment config from a JSON file, exactly as the CLI reads it."""
    from core.config import ExperimentConfig

    return ExperimentConfig.from_dict(json.loads(path.read_text()))


def run_protocol(frame: pd.DataFrame, path: Path, args) -> dict:
    """Embedding LSTM and one-hot twin over the seeds; test metrics per arm."""
    from core.model.experiment import run_comparison

    config = read_config(path)
    if args.quick:
        config = config.replace(train=replace(config.train, epochs=1))
    scores: dict[str, dict[str, list[float]]] = {}
    baselines: dict[str, float] = {}
    epochs, seconds = [], []
    for seed in range(args.seeds):
        if seed and args.deadline and _now_utc() >= args.deadline:
            log(f"{path.stem}: deadline {args.deadline} UTC passed, {seed} seeds run")
            break
        seeded = config.replace(train=replace(config.train, seed=seed))
        results = run_comparison(frame, seeded, encodings=("embedding", "onehot"))
        for encoding, result in results.items():
            test = result.metrics["test"]
            entry = scores.setdefault(encoding, {"rmse": [], "mae": []})
            entry["rmse"].append(test["rmse"])
            entry["mae"].append(test["mae"])
            epochs.append(result.training.epochs_run)
            seconds.append(result.training.seconds)
            log(
                f"{path.stem} seed {seed} {encoding}: RMSE {test['rmse']:.2f}, "
                f"MAE {test['mae']:.2f}, {result.training.epochs_run} epochs"
            )
        baselines = baseline_scores(next(iter(results.values())).metrics)
    return {
        "scores": scores,
        "baselines": baselines,
        "epochs": epochs,
        "seconds": seconds,
        "windows": len(next(iter(results.values())).prepared.parts["train"]),
        "test_windows": len(next(iter(results.values())).prepared.parts["test"]),
    }


def baseline_scores(metrics: dict) -> dict[str, dict[str, float]]:
    """Test metrics of the naive baselines: training mean and persistence."""
    found = {"training mean": metrics["baseline"]["test"]}
    if "persistence" in metrics:
        found["persistence (last observed PM2.5)"] = metrics["persistence"]["test"]
    return found


def report(label: str, result: dict) -> str:
    """The protocol's table; for Brownlee's, the verdict against its targets."""
    rows = [
        [ARM_LABELS[arm], mean_std(values["rmse"], 2), mean_std(values["mae"], 2)]
        for arm, values in result["scores"].items()
    ]
    for name, values in result["baselines"].items():
        rows.append(
            [name.capitalize(), f"{values['rmse']:.2f}", f"{values['mae']:.2f}"]
        )
    brownlee = label.startswith("Brownlee")
    if brownlee:
        rows.append(["LSTM (Brownlee 2017), published", f"{PUBLISHED_RMSE}", "–"])
        rows.append(
            ["Persistence (Brownlee 2017), published", PUBLISHED_PERSISTENCE, "–"]
        )
    seeds = len(result["scores"]["embedding"]["rmse"])
    text = (
        f"**{label}** (`{CONFIGS[label].relative_to(ROOT)}`; "
        f"{result['windows']:,} training and {result['test_windows']:,} test "
        f"windows; {seeds} seeds; epochs run {mean_std(result['epochs'], 1)}, "
        f"{mean_std(result['seconds'], 0)} s per LSTM run)\n\n"
        + markdown_table(["Model", "Test RMSE µg/m³", "Test MAE µg/m³"], rows)
    )
    if brownlee:
        text += "\n\n" + verdict(result, seeds)
    return text


def verdict(result: dict, seeds: int) -> str:
    """The embedding LSTM's mean test RMSE against persistence and the paper."""
    ours = float(np.mean(result["scores"]["embedding"]["rmse"]))
    persistence = result["baselines"].get("persistence (last observed PM2.5)")
    lines = [
        f"**Targets** (Brownlee protocol, embedding LSTM test RMSE, mean of "
        f"{seeds} seeds: {ours:.2f})"
    ]
    if persistence is not None:
        limit = persistence["rmse"]
        lines.append(
            f"- below persistence measured on the same split ({limit:.2f}): "
            + ("met" if ours < limit else f"not met by {ours - limit:.2f}")
        )
    lines.append(
        f"- at or below the published {PUBLISHED_RMSE}: "
        + (
            "met"
            if ours <= PUBLISHED_RMSE
            else f"not met by {ours - PUBLISHED_RMSE:.2f}"
        )
    )
    return "\n".join(lines)


def _now_utc() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%H:%M")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--deadline", help="HH:MM UTC after which no new seed is started"
    )
    parser.add_argument(
        "--protocols",
        nargs="+",
        choices=list(PROTOCOLS),
        default=list(PROTOCOLS),
        help="which protocols to run; each writes its own section",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    folder = data_dir("beijing_pm25")
    if folder is None:
        return 0
    quiet_tensorflow()
    frame = load(folder)
    if args.quick:
        frame = frame.iloc[: 24 * 120].reset_index(drop=True)
    for name in args.protocols:
        label, section, title = PROTOCOLS[name]
        body = report(label, run_protocol(frame, CONFIGS[label], args))
        print(body)
        if not args.no_write:
            write_section(section, title, body, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
