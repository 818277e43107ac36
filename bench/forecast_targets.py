"""Issue 22's forecasting targets, each measured over seeds against the baselines.

- **holiday**: a generated daily panel with a planted known-future effect (a
  shared holiday column lifts the target on its day). The same embedding LSTM is
  trained with ``holiday`` declared known in advance and without; the paired
  difference of test RMSE over seeds must lie above zero.
- **panel**: a generated panel of 120 daily series whose levels span three
  orders of magnitude (trend, weekly season, noise proportional to level). The
  embedding LSTM and gradient boosting with per-series target scaling
  (``data.target_scaling = "entity"``) and with one global scale, against
  persistence and seasonal naive.
- **beijing**: Beijing PM2.5 with the 24-hour window protocol (train 2010-12,
  validation 2013, test 2014), horizons 1-24 at once with quantiles
  0.1/0.5/0.9 and split-conformal calibration: P10-P90 coverage, q-risk, and
  RMSE per horizon beside persistence and seasonal naive.
- **store**: Store Item Demand (10 stores x 50 items, daily), 28 days ahead at
  once with day of week and month known in advance: sMAPE and q-risk of the
  embedding LSTM, its one-hot twin, gradient boosting and seasonal naive.

Every model is trained in this process through ``core`` (the same code the app
runs); seeds change initial weights and batches, never the (time) split.
Intervals are Student's t over seeds (paired where two arms share a seed).

Usage: ``python -m bench.forecast_targets [--targets holiday,panel] [--seeds 3]
[--quick]``; writes ``docs/benchmarks.md`` sections ``forecast-<target>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import data_dir, log, markdown_table, quiet_tensorflow, write_section
from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)

TARGETS = ("holiday", "panel", "beijing", "store")
QUANTILES = (0.1, 0.5, 0.9)


# --- generated data ---------------------------------------------------------


def holiday_table(series: int = 24, days: int = 420, seed: int = 0) -> pd.DataFrame:
    """Daily series sharing a holiday calendar; the target jumps on a holiday.

    Each series has its own level and weekly shape; on a holiday the target is
    lifted by 60% of the level. Holidays fall on 6% of the days, the same days
    for every series (like public holidays), so the day before says nothing.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-03", periods=days, freq="D")
    holiday = rng.random(days) < 0.06
    weekday = dates.day_of_week.to_numpy()
    frames = []
    for index in range(series):
        level = rng.uniform(20, 60)
        shape = rng.normal(0, 0.15, 7)
        value = level * (1 + shape[weekday]) + 0.6 * level * holiday
        value = value + rng.normal(0, 0.05 * level, days)
        frames.append(
            pd.DataFrame(
                {
                    "series": f"s{index:02d}",
                    "date": dates,
                    "family": f"f{index % 4}",
                    "holiday": np.where(holiday, "yes", "no"),
                    "sales": value.round(2),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def level_panel(series: int = 120, days: int = 300, seed: int = 0) -> pd.DataFrame:
    """Daily series with levels from 10 to 10,000 (three orders of magnitude).

    Each: level x (1 + trend x t) x weekly season of its family x (1 + noise),
    the noise 5% of the level, so every series has the same relative difficulty
    and a global scale sees mostly the largest ones.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    weekday = dates.day_of_week.to_numpy()
    steps = np.arange(days)
    families = rng.normal(0, 0.25, (5, 7))
    frames = []
    for index in range(series):
        level = 10 ** rng.uniform(1, 4)
        trend = rng.uniform(-0.001, 0.002)
        family = index % 5
        value = level * (1 + trend * steps) * (1 + families[family, weekday])
        value = value * (1 + rng.normal(0, 0.05, days))
        frames.append(
            pd.DataFrame(
                {
                    "series": f"s{index:03d}",
                    "date": dates,
                    "family": f"f{family}",
                    "value": value.round(3),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --- training ----------------------------------------------------------------


def _seeded(config, seed: int, args: argparse.Namespace):
    """The config with the seed and the command's early-stopping patience."""
    train = replace(config.train, seed=seed, patience=args.patience)
    return config.replace(train=train)


def lstm_metrics(frame: pd.DataFrame, config, encoding: str = "embedding") -> dict:
    """Metrics of one trained LSTM (``core.model.experiment.run_experiment``)."""
    from core.model.experiment import run_experiment, with_encoding

    result = run_experiment(frame, with_encoding(config, encoding))
    _log_result(encoding, result)
    return result.metrics


def _log_result(name: str, result) -> None:
    log(
        f"  {name}: test RMSE {result.metrics['test']['rmse']:.3f}, "
        f"{result.training.epochs_run} epochs, {result.training.seconds:.0f} s"
    )


def arms_metrics(
    frame: pd.DataFrame, config, encodings: tuple[str, ...], gbm: bool
) -> dict[str, dict]:
    """LSTM arms on one preparation of the data, and gradient boosting on it."""
    from core.model.experiment import run_comparison
    from core.model.gbm_arm import train_gbm_arm

    results = run_comparison(frame, config, encodings=encodings)
    found = {name: result.metrics for name, result in results.items()}
    for name, result in results.items():
        _log_result(name, result)
    if gbm:
        prepared = next(iter(results.values())).prepared
        found["gbm"], _ = train_gbm_arm(
            prepared, config.train.seed, quantiles=config.train.quantiles
        )
        log(f"  gbm: test RMSE {found['gbm']['test']['rmse']:.3f}")
    return found


# --- reporting ---------------------------------------------------------------


def interval_text(values: list[float], digits: int = 2) -> str:
    """``mean [low, high]`` (Student's t, 95%) of per-seed values."""
    from core.analysis.verdict import t_interval

    mean, low, high = t_interval(values)
    if low is None:
        return f"{mean:,.{digits}f} (1 seed)"
    return f"{mean:,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]"


def baseline_metric(metrics: dict, name: str, metric: str = "rmse") -> float | None:
    """A baseline's test metric from a run's report."""
    baseline = metrics.get("baselines", {}).get(name)
    return None if baseline is None else baseline["test"].get(metric)


def quantile_metric(metrics: dict, key: str, level: str) -> float | None:
    """A test quantile figure (``q_risk`` or ``pinball``) at ``level`` (P50...)."""
    quantiles = metrics.get("quantiles") or {}
    return (quantiles.get("test") or {}).get(key, {}).get(level)


def seed_loop(
    seeds: int, train: Callable[[int], dict[str, dict]], deadline: str | None = None
) -> dict[str, list[dict]]:
    """Per-arm lists of metrics, one entry per seed.

    After ``deadline`` (``HH:MM`` UTC) no new seed starts; the report then
    covers the seeds that finished, and says how many.
    """
    runs: dict[str, list[dict]] = {}
    for seed in range(seeds):
        if seed and deadline and _now_utc() >= deadline:
            log(f"deadline {deadline} UTC passed: {seed} of {seeds} seeds run")
            break
        log(f"seed {seed}")
        for name, metrics in train(seed).items():
            runs.setdefault(name, []).append(metrics)
    return runs


def seed_values(runs: list[dict], metric: str = "rmse") -> list[float]:
    """One arm's test metric over seeds."""
    return [float(metrics["test"][metric]) for metrics in runs]


# --- the targets ---------------------------------------------------------------


def _holiday_config(known_future: bool, epochs: int):
    return ExperimentConfig(
        DataConfig(
            target_column="sales",
            id_column="series",
            time_column="date",
            categorical_columns=(ColumnSpec("family"), ColumnSpec("holiday")),
            task="regression",
            framing="window",
            window=14,
            horizon=1,
            target_as_input=True,
            known_future=("holiday",) if known_future else (),
        ),
        split=SplitConfig(method="time", validation_fraction=0.15, test_fraction=0.2),
        model=ModelConfig(lstm_units=(32,), dense_units=16, dropout=0.0),
        train=TrainConfig(
            epochs=epochs, batch_size=64, learning_rate=0.003, patience=6
        ),
    )


def holiday_target(args) -> str:
    """Known-future holiday against the same model without it."""
    frame = holiday_table(days=200 if args.quick else 420)

    def train(seed: int) -> dict[str, dict]:
        return {
            name: lstm_metrics(
                frame, _seeded(_holiday_config(known, args.epochs), seed, args)
            )
            for name, known in (("with", True), ("without", False))
        }

    runs = seed_loop(args.seeds, train, args.deadline)
    return holiday_report(runs, frame)


def holiday_report(runs: dict[str, list[dict]], frame: pd.DataFrame) -> str:
    """Table of both arms and baselines, the paired difference, the verdict."""
    from core.analysis.verdict import paired_difference

    first = runs["with"][0]
    rows = [
        ["LSTM, holiday known in advance", interval_text(seed_values(runs["with"]))],
        [
            "LSTM, holiday only as a past input",
            interval_text(seed_values(runs["without"])),
        ],
        ["Persistence", f"{baseline_metric(first, 'persistence'):.2f}"],
        ["Seasonal naive (7 days)", f"{baseline_metric(first, 'seasonal_naive'):.2f}"],
    ]
    difference = paired_difference(
        seed_values(runs["without"]), seed_values(runs["with"])
    )
    met = difference.low is not None and difference.low > 0
    return (
        f"{frame['series'].nunique()} daily series x {frame['date'].nunique()} days, "
        "a shared holiday on 6% of the days lifts the target by 60% of the "
        "series' level; next day, window 14, target's past as input, time split "
        f"(last 20% test); {len(runs['with'])} seeds.\n\n"
        + markdown_table(["Model", "Test RMSE, mean [95% CI]"], rows)
        + f"\n\nWithout − with (paired by seed): {difference.mean:.2f} "
        f"[{_or_dash(difference.low)}, {_or_dash(difference.high)}]. "
        f"**Target (interval above zero): {'met' if met else 'not met'}.**"
    )


def _panel_config(scaling: str | None, epochs: int):
    return ExperimentConfig(
        DataConfig(
            target_column="value",
            id_column="series",
            time_column="date",
            categorical_columns=(ColumnSpec("family"),),
            task="regression",
            framing="window",
            window=28,
            horizon=1,
            stride=2,
            target_as_input=True,
            target_scaling=scaling,
            time_features=("day_of_week",),
            season=7,
        ),
        split=SplitConfig(method="time", validation_fraction=0.15, test_fraction=0.2),
        model=ModelConfig(lstm_units=(64,), dense_units=32, dropout=0.0),
        train=TrainConfig(
            epochs=epochs, batch_size=128, learning_rate=0.003, patience=6
        ),
    )


def panel_target(args) -> str:
    """Per-series scaling against one global scale, LSTM and gradient boosting."""
    frame = level_panel(series=40 if args.quick else 120)

    def train(seed: int) -> dict[str, dict]:
        found = {}
        for label, scaling in (("per series", "entity"), ("global", None)):
            config = _seeded(_panel_config(scaling, args.epochs), seed, args)
            arms = arms_metrics(frame, config, ("embedding",), gbm=True)
            for arm, metrics in arms.items():
                found[f"{arm}, {label}"] = metrics
        return found

    runs = seed_loop(args.seeds, train, args.deadline)
    return panel_report(runs, frame)


def panel_report(runs: dict[str, list[dict]], frame: pd.DataFrame) -> str:
    """Every arm against persistence and seasonal naive, with the verdict."""
    first = next(iter(runs.values()))[0]
    persistence = baseline_metric(first, "persistence")
    seasonal = baseline_metric(first, "seasonal_naive")
    strongest = min(persistence, seasonal)
    names = {"embedding": "Embedding LSTM", "gbm": "Gradient boosting"}
    rows = []
    for name, metrics in runs.items():
        arm, scaling = name.split(", ")
        values = seed_values(metrics)
        rows.append(
            [
                f"{names[arm]}, {scaling} scale",
                interval_text(values, 1),
                interval_text(seed_values(metrics, "smape"), 2),
                f"{np.mean(values) / strongest:.2f}×",
            ]
        )
    rows.append(
        ["Persistence", f"{persistence:,.1f}", _smape(first, "persistence"), ""]
    )
    rows.append(
        [
            "Seasonal naive (7 days)",
            f"{seasonal:,.1f}",
            _smape(first, "seasonal_naive"),
            "",
        ]
    )
    lstm = seed_values(runs["embedding, per series"])
    from core.analysis.verdict import t_interval

    _, _, high = t_interval(lstm)
    met = high is not None and high < strongest
    levels = frame.groupby("series")["value"].mean()
    return (
        f"{frame['series'].nunique()} daily series x {frame['date'].nunique()} days, "
        f"mean levels {levels.min():,.0f} to {levels.max():,.0f}; next day, window 28, "
        "stride 2, target's past and day of week as inputs, time split (last 20% "
        f"test); {len(lstm)} seeds. RMSE is over all series (dominated by the "
        "largest); sMAPE weighs every series alike.\n\n"
        + markdown_table(
            [
                "Model",
                "Test RMSE [95% CI]",
                "Test sMAPE % [95% CI]",
                "RMSE / best baseline",
            ],
            rows,
        )
        + "\n\n**Target (per-series LSTM's RMSE interval below persistence and "
        f"seasonal naive): {'met' if met else 'not met'}.**"
    )


def _smape(metrics: dict, baseline: str) -> str:
    value = baseline_metric(metrics, baseline, "smape")
    return "–" if value is None else f"{value:.2f}"


def _now_utc() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%H:%M")


def _or_dash(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def beijing_target(args) -> str:
    """24 hours ahead at once with quantiles on the Beijing 24 h protocol."""
    from bench.beijing_pm25 import CONFIGS, load, read_config

    folder = data_dir("beijing_pm25")
    if folder is None:
        return ""
    frame = load(folder)
    if args.quick:
        frame = frame.iloc[: 24 * 200].reset_index(drop=True)
    config = read_config(CONFIGS["Window 24 h (train 2010-12, test 2014)"])
    config = config.replace(
        data=replace(config.data, horizon=24, horizons=24, season=24),
        train=replace(
            config.train,
            epochs=args.epochs,
            quantiles=QUANTILES,
            calibrate_intervals=True,
        ),
    )
    runs = seed_loop(
        args.seeds,
        lambda seed: {"embedding": lstm_metrics(frame, _seeded(config, seed, args))},
        args.deadline,
    )
    return beijing_report(runs["embedding"])


def beijing_report(runs: list[dict]) -> str:
    """Coverage, q-risk and RMSE per horizon against the baselines."""
    coverage_before = [
        m["quantiles"]["calibration"]["coverage_before"]["test"] for m in runs
    ]
    coverage_after = [
        m["quantiles"]["calibration"]["coverage_after"]["test"] for m in runs
    ]
    horizons = runs[0]["horizons"]
    steps = horizons["steps"]
    model = np.mean([m["horizons"]["model"]["test"]["rmse"] for m in runs], axis=0)
    persistence = horizons["baselines"]["persistence"]["test"]["rmse"]
    seasonal = horizons["baselines"]["seasonal_naive"]["test"]["rmse"]
    rows = [
        [step, f"{model[i]:.2f}", f"{persistence[i]:.2f}", f"{seasonal[i]:.2f}"]
        for i, step in enumerate(steps)
        if step in (1, 2, 3, 6, 12, 18, 24)
    ]
    beaten = [
        step
        for i, step in enumerate(steps)
        if step >= 2 and model[i] < min(persistence[i], seasonal[i])
    ]
    wanted = [step for step in steps if step >= 2]
    after = float(np.mean(coverage_after))
    return (
        "Beijing PM2.5, 24-hour window, horizons 1-24 at once, quantiles "
        f"0.1/0.5/0.9, split-conformal calibration on validation (2013); test 2014; "
        f"{len(runs)} seed(s).\n\n"
        + markdown_table(
            ["Figure (test)", "Value [95% CI]"],
            [
                [
                    "P10-P90 coverage before calibration",
                    interval_text(coverage_before, 3),
                ],
                [
                    "P10-P90 coverage after calibration",
                    interval_text(coverage_after, 3),
                ],
                [
                    "q-risk P50",
                    interval_text(
                        [quantile_metric(m, "q_risk", "P50") for m in runs], 3
                    ),
                ],
                [
                    "q-risk P90",
                    interval_text(
                        [quantile_metric(m, "q_risk", "P90") for m in runs], 3
                    ),
                ],
                ["RMSE, all horizons (P50)", interval_text(seed_values(runs), 2)],
            ],
        )
        + "\n\nRMSE per horizon (model: mean over seeds):\n\n"
        + markdown_table(
            ["Hours ahead", "LSTM P50", "Persistence", "Seasonal naive (24 h)"], rows
        )
        + f"\n\n**Targets:** coverage after calibration within 0.75-0.85: "
        f"{'met' if 0.75 <= after <= 0.85 else 'not met'} ({after:.3f}); RMSE below "
        f"both baselines at every horizon ≥ 2: "
        f"{'met' if len(beaten) == len(wanted) else 'not met'} "
        f"({len(beaten)} of {len(wanted)} horizons)."
    )


def store_table(folder: Path, quick: bool) -> pd.DataFrame:
    """The Kaggle training file with a series id per store-item pair."""
    frame = pd.read_csv(folder / "train.csv.gz", parse_dates=["date"])
    if quick:
        frame = frame[(frame["store"] <= 2) & (frame["item"] <= 5)]
    frame["series"] = frame["store"].astype(str) + "-" + frame["item"].astype(str)
    frame["store"] = frame["store"].astype(str)
    frame["item"] = frame["item"].astype(str)
    return frame.reset_index(drop=True)


def _store_config(epochs: int, stride: int = 14):
    return ExperimentConfig(
        DataConfig(
            target_column="sales",
            id_column="series",
            time_column="date",
            categorical_columns=(ColumnSpec("store"), ColumnSpec("item")),
            task="regression",
            framing="window",
            window=28,
            horizon=28,
            horizons=28,
            stride=stride,
            target_as_input=True,
            time_features=("day_of_week", "month"),
            known_future=("day_of_week", "month"),
            season=7,
        ),
        split=SplitConfig(method="time", validation_fraction=0.1, test_fraction=0.2),
        model=ModelConfig(lstm_units=(64,), dense_units=64, dropout=0.0),
        train=TrainConfig(
            epochs=epochs,
            batch_size=128,
            learning_rate=0.003,
            patience=5,
            quantiles=QUANTILES,
        ),
    )


def store_target(args) -> str:
    """28 days ahead: embedding, one-hot, gradient boosting, seasonal naive."""
    folder = data_dir("store_item_demand")
    if folder is None:
        return ""
    frame = store_table(folder, args.quick)

    def train(seed: int) -> dict[str, dict]:
        config = _seeded(_store_config(args.epochs, args.stride or 14), seed, args)
        return arms_metrics(frame, config, ("embedding", "onehot"), gbm=True)

    runs = seed_loop(args.seeds, train, args.deadline)
    return store_report(runs, frame, args.stride or 14)


def store_report(runs: dict[str, list[dict]], frame: pd.DataFrame, stride: int) -> str:
    """sMAPE and q-risk per arm over seeds, seasonal naive beside them."""
    names = {
        "embedding": "Embedding LSTM",
        "onehot": "One-hot LSTM",
        "gbm": "Gradient boosting (per step and quantile)",
    }
    rows = []
    for name, metrics in runs.items():
        rows.append(
            [
                names[name],
                interval_text(seed_values(metrics, "smape"), 2),
                interval_text(seed_values(metrics), 2),
                interval_text(
                    [quantile_metric(m, "q_risk", "P50") for m in metrics], 3
                ),
                interval_text(
                    [quantile_metric(m, "q_risk", "P90") for m in metrics], 3
                ),
            ]
        )
    first = runs["embedding"][0]
    rows.append(
        [
            "Seasonal naive (7 days)",
            _smape(first, "seasonal_naive"),
            f"{baseline_metric(first, 'seasonal_naive'):.2f}",
            "–",
            "–",
        ]
    )
    rows.append(
        [
            "Persistence",
            _smape(first, "persistence"),
            f"{baseline_metric(first, 'persistence'):.2f}",
            "–",
            "–",
        ]
    )
    return (
        f"{frame['series'].nunique()} store-item series, daily, "
        f"{frame['date'].min():%Y-%m-%d} to {frame['date'].max():%Y-%m-%d}; days 1-28 "
        "ahead at once (quantiles 0.1/0.5/0.9), window 28, stride "
        f"{stride}, day of week and "
        "month known in advance, target's past as input, time split (last 20% "
        f"test, about a year); {len(runs['embedding'])} seeds. All metrics over "
        "every step 1-28.\n\n"
        + markdown_table(
            ["Model", "Test sMAPE % [95% CI]", "Test RMSE", "q-risk P50", "q-risk P90"],
            rows,
        )
    )


RUNNERS: dict[str, tuple[Callable[[Any], str], str]] = {
    "holiday": (holiday_target, "Forecasting: a planted known-future holiday"),
    "panel": (panel_target, "Forecasting: levels over three orders of magnitude"),
    "beijing": (
        beijing_target,
        "Forecasting: Beijing PM2.5, 24 hours at once with quantiles",
    ),
    "store": (store_target, "Forecasting: Store Item Demand, 28 days at once"),
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument(
        "--patience",
        type=int,
        default=6,
        help="early-stopping patience of every LSTM (epochs without improvement)",
    )
    parser.add_argument(
        "--tag", default="", help="suffix of the docs section (keeps earlier runs)"
    )
    parser.add_argument("--stride", type=int, help="store: window stride (default 14)")
    parser.add_argument(
        "--deadline", help="HH:MM UTC after which no new seed is started"
    )
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    args.targets = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {unknown}; expected some of {TARGETS}")
    if args.quick:
        args.seeds, args.epochs = min(args.seeds, 2), 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_tensorflow()
    for name in args.targets:
        runner, title = RUNNERS[name]
        log(f"target {name}")
        body = runner(args)
        if not body:
            continue
        print(body, flush=True)
        if not args.no_write:
            section = f"forecast-{name}" + (f"-{args.tag}" if args.tag else "")
            write_section(section, title, body, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
