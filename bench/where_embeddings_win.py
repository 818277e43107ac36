"""Where do per-column embeddings beat one-hot encoding?

(a) Store Item Demand (10 stores x 50 items, daily): next-day sales from a window
    of the past weeks, categorical ``store``, ``item``, day of week and month of
    the day to predict; time split as the data README proposes (train 2013-2016,
    score 2017-01-01..2017-03-31, SMAPE), embedding LSTM vs its one-hot twin vs
    HistGradientBoosting on window features; plus a PNG of the PCA of the 50
    learned item embeddings (``docs/store_item_embeddings_pca.png``).
(b) Generated predictive-maintenance data (``sample_data/generate.py``) with
    ``operator_id`` at cardinality 10 / 100 / 1,000 / 10,000: ROC AUC and PR AUC of
    "failure within the next 10 days", seconds per epoch, trainable parameters
    and peak memory, embedding vs one-hot. Each run is a fresh interpreter, so its
    peak resident memory is its own.

Run ``python -m bench.where_embeddings_win --quick`` (under a minute) or without
``--quick``; ``--part a`` / ``--part b`` runs one half.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import (
    DOCS,
    ROOT,
    data_dir,
    log,
    markdown_table,
    mib,
    quiet_tensorflow,
    write_section,
)
from core.model.gbm_arm import part_features
from core.serve.live_app import CHROMIUM, launch_chromium

PCA_PNG = DOCS / "store_item_embeddings_pca.png"
CARDINALITIES = (10, 100, 1_000, 10_000)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent, 0 where both actual and forecast are 0."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.where(
        denominator == 0,
        0.0,
        2 * np.abs(forecast - actual) / np.maximum(denominator, 1e-12),
    )
    return float(100 * ratio.mean())


# --------------------------------------------------------------------------- (a)


def load_store_items(folder: Path, quick: bool) -> pd.DataFrame:
    """Long table up to 2017-03-31 with lag-1 sales and next-day calendar columns."""
    df = pd.read_csv(folder / "train.csv.gz")
    df = df[df["date"] <= "2017-03-31"]
    if quick:
        df = df[(df["store"] <= 2) & (df["item"] <= 10) & (df["date"] >= "2016-01-01")]
    df = df.sort_values(["store", "item", "date"]).reset_index(drop=True)
    dates = pd.to_datetime(df["date"])
    df["series"] = df["store"].astype(str) + "-" + df["item"].astype(str)
    # Row t holds what is known when predicting day t: sales up to t-1 and the
    # calendar of day t. A window ending at row t therefore predicts sales on t.
    df["previous_sales"] = df.groupby("series")["sales"].shift(1)
    df["day_of_week"] = dates.dt.day_name().str[:3]
    df["month"] = dates.dt.month_name().str[:3]
    return df.dropna(subset=["previous_sales"]).reset_index(drop=True)


def store_config(df: pd.DataFrame, args: argparse.Namespace):
    """Time split: 2017-Q1 scored, the last 8 weeks of 2016 for early stopping."""
    from core.config import (
        ColumnSpec,
        DataConfig,
        ExperimentConfig,
        ModelConfig,
        SplitConfig,
        TrainConfig,
    )

    rows_per_series = int(df.groupby("series").size().iloc[0])
    test_days = int((df["date"] >= "2017-01-01").sum() / df["series"].nunique())
    # core holds out floor(fraction * rows) rows per series: +0.5 avoids rounding.
    test_fraction = (test_days + 0.5) / rows_per_series
    validation_fraction = (args.validation_days + 0.5) / rows_per_series
    return ExperimentConfig(
        data=DataConfig(
            target_column="sales",
            id_column="series",
            time_column="date",
            categorical_columns=tuple(
                ColumnSpec(c) for c in ("store", "item", "day_of_week", "month")
            ),
            numeric_columns=("previous_sales",),
            task="regression",
            framing="window",
            window=args.store_window,
            stride=args.store_stride,
            missing_indicators=False,
        ),
        split=SplitConfig(
            method="time",
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
        ),
        model=ModelConfig(lstm_units=(64,), dropout=0.1, dense_units=32),
        train=TrainConfig(
            epochs=args.store_epochs, batch_size=256, learning_rate=2e-3, patience=3
        ),
    )


def _decoded(preprocessor, values: np.ndarray) -> np.ndarray:
    return preprocessor.target_encoder_.inverse_transform(values)


def gradient_boosting_smape(prepared, iterations: int) -> tuple[float, float]:
    """SMAPE of HistGradientBoosting on the same windows, and its fit seconds."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    # Lags 6 and 13 of lag-1 sales are the same weekday one and two weeks back.
    X, labels, n_numeric = part_features(prepared, "train", lags=(6, 13))
    X_test, test_labels, _ = part_features(prepared, "test", lags=(6, 13))
    preprocessor = prepared.preprocessor
    started = time.perf_counter()
    model = HistGradientBoostingRegressor(
        max_iter=iterations,
        learning_rate=0.1,
        categorical_features=list(range(n_numeric, X.shape[1])),
        random_state=0,
    ).fit(X, _decoded(preprocessor, labels))
    seconds = time.perf_counter() - started
    return smape(_decoded(preprocessor, test_labels), model.predict(X_test)), seconds


def save_item_pca_png(result, path: Path) -> str:
    """PCA of the learned item vectors (core.plots.figures), rendered in Chromium."""
    from core.analysis.embeddings import embedding_frame, extract_embedding
    from core.plots.figures import pca_scatter

    table = extract_embedding(result.model, result.prepared.preprocessor, "item")
    frame = embedding_frame(table, 2)
    figure = pca_scatter(frame, color_by="target_mean")
    figure.update_layout(
        title="Store Item Demand: PCA of the 50 learned item embeddings "
        "(colour = item's mean daily sales)",
        width=900,
        height=650,
    )
    correlation = frame["pca_1"].corr(frame["target_mean"], method="spearman")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return f"(PNG skipped: playwright not installed); Spearman {correlation:.2f}"
    if not Path(CHROMIUM).exists():
        return f"(PNG skipped: {CHROMIUM} missing); Spearman {correlation:.2f}"
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "figure.html"
        figure.write_html(html, include_plotlyjs=True, full_html=True)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 920, "height": 670})
            page.goto(html.as_uri())
            page.wait_for_selector(".main-svg")
            page.locator(".js-plotly-plot").screenshot(path=str(path))
            browser.close()
    return (
        f"![PCA of item embeddings]({path.name}) — Spearman correlation of PC1 "
        f"with the item's mean sales: {correlation:.2f}."
    )


def run_store(args: argparse.Namespace) -> str | None:
    """Part (a): the markdown body, or None when the data set is absent."""
    folder = data_dir("store_item_demand")
    if folder is None:
        return None
    from core.model.evaluation import predict_scores
    from core.model.experiment import run_comparison
    from core.model.network import count_parameters

    df = load_store_items(folder, args.quick)
    config = store_config(df, args)
    log(f"store-item: {len(df):,} rows, {df['series'].nunique()} series")
    results = run_comparison(df, config)
    rows = []
    for encoding, result in results.items():
        prepared = result.prepared
        scores = predict_scores(result.model, prepared, "test")
        labels = prepared.parts["test"].labels
        value = smape(
            _decoded(prepared.preprocessor, labels),
            _decoded(prepared.preprocessor, scores),
        )
        training = result.training
        rows.append(
            [
                f"{encoding.capitalize()} LSTM"
                if encoding == "embedding"
                else "One-hot twin",
                f"{value:.2f}",
                f"{count_parameters(result.model)['total']:,}",
                training.epochs_run,
                f"{training.seconds / max(training.epochs_run, 1):.1f}",
            ]
        )
        log(f"store-item {encoding}: SMAPE {value:.2f}, {training.epochs_run} epochs")
    prepared = results["embedding"].prepared
    gbm, seconds = gradient_boosting_smape(prepared, args.gbm_iterations)
    log(f"store-item gradient boosting: SMAPE {gbm:.2f}")
    rows.append(
        [
            "HistGradientBoosting, window features",
            f"{gbm:.2f}",
            "–",
            "–",
            f"{seconds:.1f} (whole fit)",
        ]
    )
    picture = save_item_pca_png(
        results["embedding"],
        PCA_PNG if not args.quick else Path(tempfile.gettempdir()) / PCA_PNG.name,
    )
    counts = {name: len(part) for name, part in prepared.parts.items()}
    return "\n\n".join(
        [
            f"Next-day sales, window {config.data.window} days, stride "
            f"{config.data.stride}; {df['series'].nunique()} store×item series; "
            f"windows: {counts['train']:,} train, {counts['validation']:,} validation "
            f"(last {args.validation_days} days of 2016, early stopping only), "
            f"{counts['test']:,} scored (ending 2017-01-01..2017-03-31, stride "
            f"{config.data.stride}). LSTM 64, dense 32, Adam 2e-3, batch 256, at most "
            f"{config.train.epochs} epochs, patience 3. Gradient boosting: "
            f"{args.gbm_iterations} iterations on last value, mean, slope and the "
            "same weekday 1 and 2 weeks back of lag-1 sales, plus the four "
            "categoricals of the predicted day.",
            markdown_table(
                ["Model", "SMAPE % (2017-Q1)", "Parameters", "Epochs", "s / epoch"],
                rows,
            ),
            "For scale: a tuned LightGBM with lag/rolling features reports validation "
            "SMAPE 13.53 on this split (data README; 90-day-ahead setting, so not the "
            "same task as next-day).",
            picture,
        ]
    )


# --------------------------------------------------------------------------- (b)


def _proc_status_bytes(field: str) -> int:
    """A memory field of /proc/self/status (VmHWM = this process image's peak RSS).

    ``ru_maxrss`` is not used: on Linux it survives fork + exec, so a child would
    report its parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child_run(cardinality: int, encoding: str, args: argparse.Namespace) -> dict:
    """One training in this (fresh) process; returns its measurements."""
    quiet_tensorflow()
    from core.config import ExperimentConfig, ModelConfig, SplitConfig, TrainConfig
    from core.data.bundled import get_bundled
    from core.model.experiment import run_experiment
    from sample_data.generate import generate

    df, _ = generate(seed=0, n_machines=args.machines, n_operators=cardinality)
    config = ExperimentConfig(
        data=get_bundled("predictive_maintenance").data_config(),
        split=SplitConfig(method="entity", validation_fraction=0.15, test_fraction=0.2),
        model=ModelConfig(encoding=encoding, lstm_units=(64,)),
        train=TrainConfig(epochs=args.pdm_epochs, batch_size=128, patience=3),
    )
    import keras  # noqa: F401  (imported before the baseline memory reading)

    before = _proc_status_bytes("VmRSS")
    result = run_experiment(df, config)
    peak = _proc_status_bytes("VmHWM")
    test = result.metrics["test"]
    training = result.training
    vocabularies = result.prepared.preprocessor.vocabularies_
    return {
        "cardinality": cardinality,
        "encoding": encoding,
        "rows": len(df),
        "operators_in_train": len(vocabularies["operator_id"]),
        "roc_auc": test["roc_auc"],
        "pr_auc": test["pr_auc"],
        "positive_rate": test["positive_rate"],
        "epochs": training.epochs_run,
        "seconds_per_epoch": training.seconds / max(training.epochs_run, 1),
        "parameters": result.metrics["parameters"]["total"],
        "operator_parameters": result.metrics["parameters"].get(
            "embedding_operator_id", 0
        ),
        "rss_before": before,
        "rss_peak": peak,
    }


def run_cardinality(args: argparse.Namespace) -> str:
    """Part (b): one fresh interpreter per (cardinality, encoding)."""
    records = []
    cardinalities = (100,) if args.quick else CARDINALITIES
    for cardinality in cardinalities:
        for encoding in ("embedding", "onehot"):
            command = [
                sys.executable,
                "-m",
                "bench.where_embeddings_win",
                "--child",
                f"{cardinality}:{encoding}",
                "--machines",
                str(args.machines),
                "--pdm-epochs",
                str(args.pdm_epochs),
            ]
            output = subprocess.run(
                command, cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
            record = json.loads(output.strip().splitlines()[-1])
            records.append(record)
            log(
                f"operators {cardinality} {encoding}: AUC {record['roc_auc']:.3f}, "
                f"{record['seconds_per_epoch']:.1f} s/epoch, {mib(record['rss_peak'])}"
            )
    rows = [
        [
            f"{r['cardinality']:,}",
            f"{r['operators_in_train']:,}",
            r["encoding"],
            f"{r['roc_auc']:.3f}",
            f"{r['pr_auc']:.3f}",
            f"{r['seconds_per_epoch']:.1f}",
            r["epochs"],
            f"{r['parameters']:,}",
            f"{r['operator_parameters']:,}",
            mib(r["rss_peak"]),
            mib(r["rss_peak"] - r["rss_before"]),
        ]
        for r in records
    ]
    first = records[0]
    return "\n\n".join(
        [
            f"{args.machines} machines (about {first['rows']:,} rows; the same "
            "machines, sensors and failures for every cardinality, only the "
            'operator pool changes), target "failure within the next 10 days", '
            "window 30, stride 5, "
            "entity split 65/15/20, LSTM 64, batch 128, at most "
            f"{args.pdm_epochs} epochs (patience 3), 1 seed. Test positive rate "
            f"{first['positive_rate']:.3f}. Parameters are trainable ones (the one-hot "
            "twin's identity matrix is frozen, but its width enters the LSTM kernel). "
            "Peak RSS is the whole process (TensorFlow included); Δ is the growth "
            "during preparation + training.",
            markdown_table(
                [
                    "Operators (generated)",
                    "Seen in training",
                    "Encoding",
                    "ROC AUC",
                    "PR AUC",
                    "s / epoch",
                    "Epochs",
                    "Trainable params",
                    "… in operator input",
                    "Peak RSS",
                    "Δ RSS in training",
                ],
                rows,
            ),
        ]
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test, < 1 min")
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    parser.add_argument("--store-window", type=int, default=28)
    parser.add_argument("--store-stride", type=int, default=14)
    parser.add_argument("--store-epochs", type=int, default=20)
    parser.add_argument("--validation-days", type=int, default=56)
    parser.add_argument("--gbm-iterations", type=int, default=300)
    parser.add_argument("--machines", type=int, default=600)
    parser.add_argument("--pdm-epochs", type=int, default=15)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.store_epochs, args.validation_days, args.gbm_iterations = 1, 28, 50
        if args.child is None:
            args.machines, args.pdm_epochs = 60, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        cardinality, encoding = args.child.split(":")
        print(json.dumps(child_run(int(cardinality), encoding, args)))
        return 0
    quiet_tensorflow()
    if args.part in ("a", "both"):
        body = run_store(args)
        if body is not None:
            print(body)
            if not args.no_write:
                write_section(
                    "store_items",
                    "Store Item Demand: embedding vs one-hot vs gradient boosting",
                    body,
                    args.quick,
                )
    if args.part in ("b", "both"):
        body = run_cardinality(args)
        print(body)
        if not args.no_write:
            write_section(
                "cardinality",
                "Operator cardinality 10 to 10,000 "
                "(generated predictive-maintenance data)",
                body,
                args.quick,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
