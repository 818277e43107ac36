"""End to end: ``python -m core train`` against a hand-written Keras script.

Both commands do the same work on the same generated Parquet table (20,000
entities x 50 steps, 2 categorical and 3 numeric columns, one binary label per
entity): read the file, split by entity, fit the vocabularies and the scaling on
the training part, fit an Embedding + LSTM(64) + dense head for 3 epochs (batch
256) with validation data, then predict the held-out part. Each command runs as
its own process under ``/usr/bin/time -v`` (wall time and peak resident memory),
5 times, the two alternating so machine noise hits both; the table shows medians.

Core's figure is the CLI process and its training child together: wall time of
the whole command; peak memory is the larger of the CLI's (``time -v``) and the
training child's, which the child records in its run (``peak_memory_bytes``,
its own ``getrusage`` peak): ``time -v`` only sees children that were reaped, and
the CLI may exit before its child has.

Run ``python -m bench.end_to_end_speed`` (5-10 minutes here) or ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import ROOT, log, markdown_table, write_section

TIME = Path("/usr/bin/time")
CATEGORICAL = {"shop": 8, "product": 16}  # column: embedding width (both commands)
NUMERIC = ("x0", "x1", "x2")
GOAL = 0.8

HAND_SCRIPT = '''\
"""Hand-written Keras: the same data, split, preprocessing, model and work."""

import sys

import keras
import numpy as np
import pandas as pd
from keras import layers

path, epochs, batch_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
categorical = {categorical!r}
numeric = {numeric!r}
keras.utils.set_random_seed(0)

df = pd.read_parquet(path).sort_values(["entity", "step"], kind="stable")
entities = df["entity"].unique()
steps = len(df) // len(entities)  # every entity has the same number of steps
order = np.random.default_rng(0).permutation(len(entities))
n_test = n_validation = int(round(0.15 * len(entities)))
part = np.zeros(len(entities), dtype=np.int8)  # 0 train, 1 validation, 2 test
part[order[:n_test]] = 2
part[order[n_test : n_test + n_validation]] = 1
row_part = np.repeat(part, steps)
train_rows = row_part == 0

inputs = {{}}
for column in categorical:
    values = df[column].to_numpy()
    vocabulary = np.unique(values[train_rows])
    position = np.searchsorted(vocabulary, values).clip(0, len(vocabulary) - 1)
    known = vocabulary[position] == values
    # 0 = padding, 1 = unknown, real categories from 2.
    codes = np.where(known, position + 2, 1).astype(np.int32)
    inputs[column] = codes.reshape(len(entities), steps)
features = df[list(numeric)].to_numpy(np.float32)
mean = features[train_rows].mean(axis=0)
std = features[train_rows].std(axis=0)
inputs["numeric"] = ((features - mean) / std).reshape(len(entities), steps, -1)
labels = df["label"].to_numpy(np.float32).reshape(len(entities), steps)[:, -1]


def select(which):
    keep = part == which
    return {{name: array[keep] for name, array in inputs.items()}}, labels[keep]


model_inputs, branches = [], []
for column, width in categorical.items():
    column_input = keras.Input(shape=(None,), dtype="int32", name=column)
    model_inputs.append(column_input)
    vocabulary_size = int(inputs[column][part == 0].max()) + 1
    branches.append(layers.Embedding(vocabulary_size, width)(column_input))
numeric_input = keras.Input(shape=(None, len(numeric)), name="numeric")
model_inputs.append(numeric_input)
branches.append(numeric_input)
hidden = layers.Concatenate()(branches)
hidden = layers.LSTM(64, dropout=0.1)(hidden)
hidden = layers.Dropout(0.1)(hidden)
hidden = layers.Dense(32, activation="relu")(hidden)
output = layers.Dense(1, activation="sigmoid")(hidden)
model = keras.Model(model_inputs, output)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")

x_train, y_train = select(0)
x_validation, y_validation = select(1)
x_test, y_test = select(2)
model.fit(
    x_train,
    y_train,
    validation_data=(x_validation, y_validation),
    epochs=epochs,
    batch_size=batch_size,
    callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
    verbose=0,
)
probability = model.predict(x_test, batch_size=256, verbose=0)[:, 0]
accuracy = float(((probability >= 0.5) == (y_test >= 0.5)).mean())
print(f"test accuracy {{accuracy:.4f}} on {{len(y_test)}} entities")
'''


def generate_table(entities: int, steps: int, seed: int = 0) -> pd.DataFrame:
    """Long table; the label depends on the shop and the numeric history."""
    rng = np.random.default_rng(seed)
    rows = entities * steps
    shop = rng.integers(0, 50, entities)
    product = rng.integers(0, 1000, rows)
    x = rng.normal(0, 1, (rows, 3))
    drift = x[:, 0].reshape(entities, steps).mean(axis=1)
    logit = (shop % 5 - 2) * 0.8 + 4 * drift + rng.normal(0, 0.5, entities)
    label = (logit > 0).astype(np.int64)
    frame = pd.DataFrame(
        {
            "entity": np.repeat(np.arange(entities), steps),
            "step": np.tile(np.arange(steps), entities),
            "shop": np.repeat(shop, steps).astype(str),
            "product": product.astype(str),
        }
    )
    for i, column in enumerate(NUMERIC):
        frame[column] = x[:, i]
    frame["label"] = np.repeat(label, steps)
    return frame


def commands(folder: Path, epochs: int, batch_size: int) -> dict[str, list[str]]:
    """The two commands, as argument lists."""
    table = str(folder / "table.parquet")
    script = folder / "hand_written.py"
    script.write_text(
        HAND_SCRIPT.format(categorical=CATEGORICAL, numeric=NUMERIC), encoding="utf-8"
    )
    categorical = ",".join(f"{name}:{width}" for name, width in CATEGORICAL.items())
    core = [
        sys.executable,
        "-m",
        "core",
        "train",
        "--data",
        table,
        "--target",
        "label",
        "--id",
        "entity",
        "--time",
        "step",
        "--categorical",
        categorical,
        "--numeric",
        ",".join(NUMERIC),
        "--task",
        "binary",
        "--epochs",
        str(epochs),
        "--batch-size",
        str(batch_size),
        "--runs-dir",
        str(folder / "runs"),
    ]
    hand = [sys.executable, str(script), table, str(epochs), str(batch_size)]
    return {"core": core, "hand": hand}


def worker_peak_mib(runs_dir: Path) -> float:
    """Peak memory recorded by the training child of the newest run (MiB)."""
    records = [json.loads(path.read_text()) for path in runs_dir.glob("*/run.json")]
    newest = max(records, key=lambda record: record["created"])
    return (newest.get("peak_memory_bytes") or 0) / 1024**2


def timed_run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command under ``/usr/bin/time -v``."""
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [str(TIME), "-v", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stdout}\n{done.stderr}")
    wall = re.search(
        r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr
    )
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return total, int(rss.group(1)) / 1024


def measure(args: argparse.Namespace) -> str:
    """Run both commands ``args.runs`` times, alternating; markdown result."""
    with tempfile.TemporaryDirectory(prefix="e2e_speed_") as name:
        folder = Path(name)
        frame = generate_table(args.entities, args.steps)
        frame.to_parquet(folder / "table.parquet", index=False)
        log(f"table: {len(frame):,} rows, {args.entities:,} entities")
        runs = commands(folder, args.epochs, args.batch_size)
        results: dict[str, list[tuple[float, float]]] = {"core": [], "hand": []}
        for attempt in range(args.runs):
            order = ("core", "hand") if attempt % 2 == 0 else ("hand", "core")
            for key in order:
                wall, rss = timed_run(runs[key])
                if key == "core":
                    rss = max(rss, worker_peak_mib(folder / "runs"))
                results[key].append((wall, rss))
                log(f"run {attempt + 1} {key}: {results[key][-1]}")
    medians = {
        key: (
            float(np.median([w for w, _ in values])),
            float(np.median([r for _, r in values])),
        )
        for key, values in results.items()
    }
    ratio = medians["core"][0] / medians["hand"][0]
    # Each pair ran back to back, so a pair's ratio sees one machine state.
    walls = zip(results["core"], results["hand"], strict=True)
    pairs = [core[0] / hand[0] for core, hand in walls]
    rows = [
        [
            label,
            f"{medians[key][0]:.1f}",
            f"{medians[key][1]:,.0f} MiB",
            ", ".join(f"{w:.1f}" for w, _ in results[key]),
        ]
        for key, label in (
            ("core", "`python -m core train` (CLI + training child)"),
            ("hand", "hand-written Keras script"),
        )
    ]
    return "\n\n".join(
        [
            f"{args.entities:,} entities × {args.steps} steps (seeded, Parquet), "
            "2 categorical (50 and 1,000 values, embedding widths 8 and 16) and 3 "
            "numeric columns, one binary label per entity; entity split 70/15/15; "
            f"LSTM 64 + dense 32, dropout 0.1, Adam 1e-3, {args.epochs} epochs, "
            f"batch {args.batch_size}. Each command is one process under "
            f"`/usr/bin/time -v`, {args.runs} runs alternating the two; medians. "
            "The hand-written script (written by the bench into its temp folder) "
            "reads the Parquet file with pandas, splits by entity, builds "
            "vocabularies and scaling with numpy on the training part, reshapes "
            "to (entities, 50, …), fits `Embedding`s + `LSTM(64)` + head with "
            "`validation_data` and early stopping, and predicts the test part. "
            "The CLI also validates the table, stores the run, evaluates both "
            "held-out parts against a baseline, saves a reloadable bundle, "
            "prediction tables, embedding snapshots and TensorBoard logs.",
            markdown_table(
                ["Command", "Median wall (s)", "Median max RSS", "Runs (s)"], rows
            ),
            f"Ratio core / hand-written (median wall): **{ratio:.2f}×** (goal "
            f"≤ {GOAL}×: {'met' if ratio <= GOAL else 'not met'}; ≤ 1.0×: "
            f"{'met' if ratio <= 1.0 else 'not met'}). Ratio within each "
            "back-to-back pair: "
            + ", ".join(f"{value:.2f}" for value in pairs)
            + f" (median {float(np.median(pairs)):.2f}×).",
        ]
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test, < 1 min")
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.entities, args.epochs, args.runs = 1_000, 1, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not TIME.exists():
        print(f"SKIP: {TIME} not found (apt-get install time).")
        return 0
    body = measure(args)
    print(body)
    if not args.no_write:
        write_section(
            "speed_end_to_end",
            "End to end: CLI vs hand-written Keras",
            body,
            args.quick,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
