"""Where do embeddings beat one-hot? A map over categories, examples and effect size.

Generated regression data with one categorical column whose effect lives in a
2-dimensional latent space: category ``c`` has a hidden vector ``z_c`` (standard
normal), every entity belongs to one category, and its target is

    y = 0.5 * mean(x1) + strength * (z_c[0] * mean(x1) + z_c[1] * trend(x2)
        + 0.5 * z_c[0]) + noise

over a 12-step sequence of two random-walk numerics ``x1`` and ``x2``. So each
category carries two numbers that modulate the sequence, the kind of structure
a small embedding can share across categories and a one-hot input must learn
per category.

The grid: the number of categories (10 to 10,000), the examples per category
(training entities per category, 1 to 100) and the strength of the effect.
Every cell is one comparison of the project's machinery (``core.analysis.comparison``:
the same executor and run store as the app, one run per seed, both encodings on
the same split, each seed moving the split and the weights), summarised as the
paired difference embedding − one-hot in test RMSE with its 95% t-interval.
Cells whose table would have fewer than ``--min-entities`` or more than
``--max-entities`` entities are not run (shown blank, with the reason).

Writes the heatmaps (PNG, rendered by Debian's Chromium) and the tables into
docs/benchmarks.md. Usage: ``python -m bench.embedding_map [--quick]
[--runs-dir DIR]`` (finished runs in DIR are reused).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import DOCS, log, markdown_table, quiet_tensorflow, write_section

CATEGORIES = (10, 100, 1_000, 10_000)
EXAMPLES = (1, 3, 10, 30, 100)
STRENGTHS = (0.5, 2.0)
STEPS = 12
TRAIN_SHARE = 0.7  # validation and test take 15% of the entities each


@dataclass(frozen=True)
class Cell:
    """One point of the grid."""

    categories: int
    examples: int
    strength: float

    @property
    def entities(self) -> int:
        """Entities generated so that training sees ``examples`` per category."""
        return math.ceil(self.categories * self.examples / TRAIN_SHARE)

    @property
    def name(self) -> str:
        return f"map c={self.categories} e={self.examples} s={self.strength}"


def generate(cell: Cell, seed: int = 0) -> pd.DataFrame:
    """The long table of one cell: ``entity, step, category, x1, x2, y``."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((cell.categories, 2))
    n = cell.entities
    # Every category gets its share of entities (then shuffled), so none is empty
    # by chance when examples per category is small.
    category = rng.permutation(np.arange(n) % cell.categories)
    x1 = np.cumsum(rng.normal(0.0, 0.3, (n, STEPS)), axis=1) + rng.normal(0, 1, (n, 1))
    x2 = np.cumsum(rng.normal(0.0, 0.3, (n, STEPS)), axis=1)
    level = x1.mean(axis=1)
    trend = x2[:, -1] - x2[:, 0]
    z = latent[category]
    effect = z[:, 0] * level + z[:, 1] * trend + 0.5 * z[:, 0]
    y = 0.5 * level + cell.strength * effect + rng.normal(0.0, 0.5, n)
    return pd.DataFrame(
        {
            "entity": np.repeat(np.arange(n), STEPS),
            "step": np.tile(np.arange(STEPS), n),
            "category": np.char.add("c", np.repeat(category, STEPS).astype(str)),
            "x1": x1.ravel(),
            "x2": x2.ravel(),
            "y": np.repeat(y, STEPS),
        }
    )


def cell_config(args: argparse.Namespace):
    """The experiment of every cell: one label per entity, LSTM 32."""
    from core.config import (
        ColumnSpec,
        DataConfig,
        ExperimentConfig,
        ModelConfig,
        SplitConfig,
        TrainConfig,
    )

    return ExperimentConfig(
        data=DataConfig(
            target_column="y",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("category"),),
            numeric_columns=("x1", "x2"),
            task="regression",
            framing="sequence",
            max_length=STEPS,
            missing_indicators=False,
        ),
        split=SplitConfig(
            method="entity", validation_fraction=0.15, test_fraction=0.15
        ),
        model=ModelConfig(lstm_units=(32,), dense_units=16, dropout=0.1),
        train=TrainConfig(
            epochs=args.epochs, batch_size=args.batch_size, patience=args.patience
        ),
    )


def grid(args: argparse.Namespace) -> tuple[list[Cell], list[tuple[Cell, str]]]:
    """Cells to run, and cells left out with the reason."""
    run, skipped = [], []
    for strength in args.strengths:
        for categories in args.categories:
            for examples in args.examples:
                cell = Cell(categories, examples, strength)
                if cell.entities < args.min_entities:
                    skipped.append((cell, f"{cell.entities} entities (too few)"))
                elif cell.entities > args.max_entities:
                    skipped.append((cell, f"{cell.entities:,} entities (over cap)"))
                else:
                    run.append(cell)
    return run, skipped


def run_cells(executor, cells: list[Cell], args: argparse.Namespace) -> pd.DataFrame:
    """Each cell's comparison in turn (one cell's seeds queued at a time, so the
    waiting worker processes stay few); one row per cell."""
    from core.analysis.comparison import (
        ComparisonSpec,
        comparison_runs,
        start_comparison,
    )

    spec = ComparisonSpec(cell_config(args), tuple(range(args.seeds)), vary_split=True)
    rows = []
    for cell in cells:
        comparison = start_comparison(executor, generate(cell), spec, cell.name)
        for record in comparison_runs(executor.store, comparison).values():
            executor.wait(record.id)
        rows.append(cell_row(executor, cell, comparison))
    return pd.DataFrame(rows)


def cell_row(executor, cell: Cell, comparison: str) -> dict:
    """Difference, interval, verdict, time and memory per arm of one cell."""
    from core.analysis.comparison import summarize

    result = summarize(executor.store, comparison, "rmse")
    difference = result.difference
    row = {
        "strength": cell.strength,
        "categories": cell.categories,
        "examples": cell.examples,
        "entities": cell.entities,
        "seeds": difference.seeds,
        "difference": difference.mean,
        "low": difference.low,
        "high": difference.high,
        "verdict": result.verdict,
    }
    for arm, summary in result.arms.items():
        row[f"{arm}_rmse"] = summary.mean
        row[f"{arm}_seconds"] = summary.seconds
        row[f"{arm}_parameters"] = summary.parameters
    memory = [a.peak_memory_bytes for a in result.arms.values()]
    row["peak_mib"] = (memory[0] or 0) / 2**20
    log(f"{cell.name}: {result.verdict}")
    return row


def outcome(row: pd.Series) -> str:
    """``E`` embeddings better, ``O`` one-hot better, ``=`` no difference detected."""
    if row["low"] is None or row["high"] is None or row["low"] != row["low"]:
        return "?"
    if row["high"] < 0:
        return "E"
    if row["low"] > 0:
        return "O"
    return "="


def heatmap(table: pd.DataFrame, skipped: list[tuple[Cell, str]], args):
    """Paired difference per cell, one panel per strength; text = interval."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    strengths = list(args.strengths)
    figure = make_subplots(
        rows=1,
        cols=len(strengths),
        subplot_titles=[f"effect strength {s}" for s in strengths],
        horizontal_spacing=0.12,
    )
    limit = float(np.nanmax(np.abs(table["difference"]))) if len(table) else 1.0
    x_labels = [str(e) for e in args.examples]
    y_labels = [f"{c:,}" for c in args.categories]
    for index, strength in enumerate(strengths, start=1):
        values = np.full((len(y_labels), len(x_labels)), np.nan)
        text = [["" for _ in x_labels] for _ in y_labels]
        for _, row in table[table["strength"] == strength].iterrows():
            i = list(args.categories).index(row["categories"])
            j = list(args.examples).index(row["examples"])
            values[i, j] = row["difference"]
            # The interval is in the table; the cell says the size and outcome.
            text[i][j] = f"{row['difference']:+.2f} {outcome(row)}"
        for cell, _reason in skipped:
            if cell.strength == strength:
                i = list(args.categories).index(cell.categories)
                j = list(args.examples).index(cell.examples)
                text[i][j] = "not run"
        figure.add_trace(
            go.Heatmap(
                z=values,
                x=x_labels,
                y=y_labels,
                text=text,
                texttemplate="%{text}",
                textfont={"size": 10},
                colorscale="RdBu",
                reversescale=True,
                zmid=0.0,
                zmin=-limit,
                zmax=limit,
                showscale=index == len(strengths),
                colorbar={"title": "emb − one-hot<br>test RMSE"},
            ),
            row=1,
            col=index,
        )
        figure.update_xaxes(title_text="examples per category", row=1, col=index)
        figure.update_yaxes(title_text="categories", row=1, col=index)
    figure.update_layout(
        title="Embedding − one-hot test RMSE (blue: embeddings better; "
        "E/O: 95% interval excludes 0)",
        width=1100,
        height=480,
    )
    return figure


def render_png(figure, path: Path) -> str:
    """Markdown image of the figure, rendered by Debian's Chromium."""
    from bench.comparisons import figure_png

    width, height = figure.layout.width, figure.layout.height
    markdown = figure_png(figure, path)
    figure.update_layout(width=width, height=height)
    return markdown


def report(table: pd.DataFrame, skipped, args, seconds: float, png: str) -> str:
    """Settings, the figure, and the per-cell table."""
    rows = []
    for _, row in table.sort_values(["strength", "categories", "examples"]).iterrows():
        rows.append(
            [
                row["strength"],
                f"{row['categories']:,}",
                row["examples"],
                f"{row['entities']:,}",
                f"{row['embedding_rmse']:.3f}",
                f"{row['onehot_rmse']:.3f}",
                f"{row['difference']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]",
                outcome(row),
                f"{row['embedding_seconds']:.1f} / {row['onehot_seconds']:.1f}",
                f"{row['embedding_parameters']:,.0f} / {row['onehot_parameters']:,.0f}",
                f"{row['peak_mib']:,.0f}",
            ]
        )
    table_md = markdown_table(
        [
            "strength",
            "categories",
            "examples / category",
            "entities",
            "embedding RMSE",
            "one-hot RMSE",
            "emb − one-hot [95% interval]",
            "outcome",
            "training s (emb / one-hot)",
            "parameters (emb / one-hot)",
            "peak MiB",
        ],
        rows,
    )
    not_run = "; ".join(
        f"{c.categories:,} × {c.examples} at strength {c.strength}: {why}"
        for c, why in skipped
    )
    return "\n\n".join(
        [
            f"Generated data (`bench/embedding_map.py`, one categorical with a "
            f"2-dimensional latent effect, {STEPS} steps, 2 numerics); each cell is "
            f"a comparison over {args.seeds} seeds (each seed moves the entity "
            f"split and the weights), embedding LSTM vs its one-hot twin on the "
            f"same split: LSTM 32, dense 16, at most {args.epochs} epochs "
            f"(patience {args.patience}), batch {args.batch_size}, the advisor's "
            "embedding size. Outcome: E = embeddings better (95% interval of the "
            "paired difference below 0), O = one-hot better, = no difference "
            "detected. Training s is per arm (mean over seeds); peak MiB is the "
            "seed's training process (both arms).",
            png,
            table_md,
            f"Not run: {not_run}." if not_run else "",
            f"{len(table)} cells, {len(table) * args.seeds} runs; this invocation "
            f"took {seconds / 60:.1f} min (runs already finished in `--runs-dir` "
            "are reused, not retrained).",
        ]
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--seeds", type=int, default=3)
    # The defaults are the settings of the run quoted in docs/benchmarks.md.
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--min-entities", type=int, default=100)
    parser.add_argument("--max-entities", type=int, default=15_000)
    parser.add_argument("--runs-dir", help="run store (finished runs are reused)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    args.categories, args.examples, args.strengths = CATEGORIES, EXAMPLES, STRENGTHS
    if args.quick:
        args.categories, args.examples, args.strengths = (10, 100), (10, 30), (2.0,)
        args.seeds, args.epochs = 2, 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_tensorflow()
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStore

    root = args.runs_dir or tempfile.mkdtemp(prefix="bench_map_")
    executor = LocalExecutor(RunStore(Path(root)))
    cells, skipped = grid(args)
    log(f"{len(cells)} cells x {args.seeds} seeds in {root}")
    started_at = time.perf_counter()
    table = run_cells(executor, cells, args)
    seconds = time.perf_counter() - started_at
    name = "embedding_map_quick.png" if args.quick else "embedding_map.png"
    png = render_png(heatmap(table, skipped, args), DOCS / name)
    body = report(table, skipped, args, seconds, png)
    print(body)
    if not args.no_write:
        write_section(
            "embedding_map",
            "Where embeddings beat one-hot: categories × examples × effect",
            body,
            args.quick,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
