"""Is the difference real? Seeded comparisons and size sweeps on two data sets.

For the bundled predictive-maintenance sample and for Store Item Demand
(``../shared/data/store_item_demand``), through the same executor and run store
as the app:

- a comparison of the embedding LSTM, its one-hot twin and the gradient-boosting
  arm over ``--seeds`` seeds (paired by seed), with the paired t-interval of
  embedding − one-hot and the plain verdict;
- an embedding-size sweep of ``operator_id`` (sample) or ``item`` (stores) over
  the advisor's four rules, ``--sweep-seeds`` seeds each, next to one-hot.

Writes tables to docs/benchmarks.md and one PNG per data set (the per-seed dot
plot). Usage: ``python -m bench.comparisons [--quick]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import (
    DOCS,
    data_dir,
    log,
    markdown_table,
    quiet_tensorflow,
    write_section,
)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sweep-seeds", type=int, default=3)
    parser.add_argument("--skip-store", action="store_true")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument(
        "--runs-dir", help="run store to use (finished runs of it are reused)"
    )
    args = parser.parse_args(argv)
    # Settings of bench.where_embeddings_win for the stores (its store_config).
    args.store_window, args.store_stride, args.validation_days = 28, 14, 56
    args.store_epochs = 20
    if args.quick:
        args.seeds, args.sweep_seeds, args.store_epochs = 2, 1, 1
    return args


def figure_png(figure, path: Path) -> str:
    """Render a plotly figure to PNG in Debian's Chromium; markdown for it."""
    from playwright.sync_api import sync_playwright

    from core.serve.live_app import launch_chromium

    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "figure.html"
        figure.update_layout(width=820, height=480)
        figure.write_html(html, include_plotlyjs=True, full_html=True)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 840, "height": 500})
            page.goto(html.as_uri())
            page.wait_for_selector(".main-svg")
            page.locator(".js-plotly-plot").screenshot(path=str(path))
            browser.close()
    return f"![{figure.layout.title.text}]({path.name})"


def _wait_all(executor, records) -> None:
    for record in records:
        executor.wait(record.id)


def run_comparison(executor, frame, config, name: str, seeds: int, png: Path) -> str:
    """Comparison over seeds with all three arms; the markdown body."""
    from core.analysis.comparison import (
        ComparisonSpec,
        comparison_runs,
        cost_table,
        per_seed_table,
        start_comparison,
        summarize,
    )
    from core.plots.runs import seed_dot_plot

    spec = ComparisonSpec(
        config, tuple(range(seeds)), vary_split=config.split.method == "entity",
        baseline_arm=True,
    )  # fmt: skip
    started = time.perf_counter()
    comparison = start_comparison(executor, frame, spec, name)
    _wait_all(executor, comparison_runs(executor.store, comparison).values())
    seconds = time.perf_counter() - started
    parts = []
    metrics = ("roc_auc", "pr_auc") if config.data.task == "binary" else ("rmse", "mae")
    for metric in metrics:
        result = summarize(executor.store, comparison, metric)
        rows = [
            (arm, f"{s.mean:.4f} ± {s.std:.4f}",
             ", ".join(f"{v:.4f}" for v in s.per_seed.values()))
            for arm, s in result.arms.items()
        ]  # fmt: skip
        rows.append(("naive baseline", f"{result.baseline:.4f}", "–"))
        d = result.difference
        parts.append(
            f"**{metric}** (test part; mean ± std over seeds):\n\n"
            + markdown_table(["arm", metric, "per seed"], rows)
            + f"\n\nEmbedding − one-hot: {d.mean:+.4f}, 95% interval {d.low:+.4f} "
            f"to {d.high:+.4f} ({d.method}).  \n**Verdict: {result.verdict}.**\n"
        )
    costs = cost_table(summarize(executor.store, comparison, metrics[0]))
    cost_rows = [
        (row["arm"], _number(row.get("parameters")),
         _number(row.get("training seconds"), 1),
         _number(row.get("peak memory (MiB)")))
        for _, row in costs.iterrows() if row["arm"] != "naive baseline"
    ]  # fmt: skip
    parts.append(
        "Cost per arm (mean over seeds; peak memory is the seed's training "
        "process, all arms together):\n\n"
        + markdown_table(["arm", "parameters", "training s", "peak MiB"], cost_rows)
    )
    result = summarize(executor.store, comparison, metrics[0])
    figure = seed_dot_plot(per_seed_table(result), result.metric)
    figure.update_layout(title=f"{name}: test {result.metric} of each seed, per arm")
    parts.append(figure_png(figure, png))
    parts.append(f"Comparison `{comparison}`: {seeds} seeds, {seconds / 60:.1f} min.")
    return "\n\n".join(parts)


def _number(value, digits: int = 0) -> str:
    if value is None or value != value:
        return "–"
    return f"{float(value):,.{digits}f}"


def run_sweep(executor, frame, config, column: str, name: str, seeds: int) -> str:
    """Size sweep of one column; the markdown body."""
    from core.analysis.sweep import SweepSpec, start_sweep, summarize_sweep, sweep_runs

    spec = SweepSpec.for_column(config, frame, column, tuple(range(seeds)))
    started = time.perf_counter()
    sweep = start_sweep(executor, frame, spec, name)
    _wait_all(executor, sweep_runs(executor.store, sweep))
    seconds = time.perf_counter() - started
    result = summarize_sweep(executor.store, sweep)
    rows = [
        (row["size"], row["seeds"], f"{row['mean']:.4f}",
         "–" if row["low"] is None or row["low"] != row["low"]
         else f"{row['low']:.4f} to {row['high']:.4f}",
         _number(row["column parameters"]), _number(row["total parameters"]),
         f"{row['seconds']:.1f}")
        for _, row in result.table.iterrows()
    ]  # fmt: skip
    return (
        f"Sizes {', '.join(map(str, spec.sizes))} (the advisor's four rules for "
        f"{column}), {seeds} seeds each, and the one-hot twin; "
        f"test {result.metric}:\n\n"
        + markdown_table(
            [
                "size",
                "seeds",
                f"mean {result.metric}",
                "95% interval",
                f"{column} parameters",
                "total parameters",
                "training s",
            ],
            rows,
        )  # fmt: skip
        + f"\n\nBest mean: size {result.best}; recommended: **{result.recommended}** "
        f"({result.reason}). Sweep `{sweep}`, {seconds / 60:.1f} min."
    )


def sample_section(executor, args) -> str:
    from core.config import ExperimentConfig
    from core.data.bundled import get_bundled, load_bundled

    frame = load_bundled("predictive_maintenance")
    config = ExperimentConfig(data=get_bundled("predictive_maintenance").data_config())
    if args.quick:
        config = config.replace(train=replace(config.train, epochs=1))
    log("sample: comparison")
    body = run_comparison(
        executor, frame, config, "predictive maintenance sample", args.seeds,
        DOCS / "compare_sample.png",
    )  # fmt: skip
    log("sample: operator_id sweep")
    sweep = run_sweep(
        executor, frame, config, "operator_id", "sample", args.sweep_seeds
    )
    return (
        "The app's default experiment for the bundled sample (target `failure`, "
        "windows of 30, stride 5, event within 10 days; LSTM 64; at most "
        f"{config.train.epochs} epochs with early stopping); each seed moves the "
        "weights and the entity split (every arm of a seed shares it).\n\n"
        + body
        + "\n\n**Embedding size of `operator_id`.** "
        + sweep
    )


def store_section(executor, args) -> str | None:
    from bench.where_embeddings_win import load_store_items, store_config

    folder = data_dir("store_item_demand")
    if folder is None:
        return None
    frame = load_store_items(folder, args.quick)
    config = store_config(frame, args)
    log("stores: comparison")
    body = run_comparison(
        executor, frame, config, "Store Item Demand", args.seeds,
        DOCS / "compare_store.png",
    )  # fmt: skip
    log("stores: item sweep")
    sweep = run_sweep(executor, frame, config, "item", "stores", args.sweep_seeds)
    return (
        "Next-day sales as in section 2 (500 store×item series, window 28, stride "
        "14, time split: windows ending in 2017-Q1 scored, the last 56 days of 2016 "
        "for early stopping); each seed moves the weights (a time split has no "
        "seed). Core reports RMSE and MAE (not SMAPE) for regression.\n\n"
        + body
        + "\n\n**Embedding size of `item`.** "
        + sweep
    )


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    quiet_tensorflow()
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStore

    root = args.runs_dir or tempfile.mkdtemp(prefix="bench_cmp_")
    executor = LocalExecutor(RunStore(Path(root)))
    if not args.skip_sample:
        body = sample_section(executor, args)
        print(body)
        write_section(
            "compare_sample", "Comparison over seeds: bundled sample", body, args.quick
        )
    if not args.skip_store:
        body = store_section(executor, args)
        if body:
            print(body)
            write_section(
                "compare_store",
                "Comparison over seeds: Store Item Demand",
                body,
                args.quick,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
