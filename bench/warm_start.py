"""Warm workers against fresh ones: time to the first epoch, short runs per minute.

Through the local executor exactly as the app uses it (threads capped at
cores - 1), on the bundled sample's default experiment:

1. from submitting a run (embedding model and one-hot twin, as the Train
   button does) to its first ``epoch`` record in ``progress.jsonl``, with a
   fresh worker per run (cold) and with a warm worker that has TensorFlow
   imported (warm); each run is cancelled after its first epoch;
2. short runs (1 epoch, the embedding arm) submitted one after another, as a
   tuner's trials are: runs finished per minute, cold and warm.

Usage: ``python -m bench.warm_start [--quick]``; writes its section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import DOCS, log, markdown_table, quiet_tensorflow, write_section
from core.config import ExperimentConfig
from core.data.bundled import get_bundled, load_bundled
from core.runs.executors.local import LocalExecutor
from core.runs.executors.warm import server_training_threads
from core.runs.store import RunStatus, RunStore

PERFORMANCE_MD = DOCS / "performance.md"
SAMPLE = "predictive_maintenance"
#: Safety net for one run (not a timing claim).
RUN_SECONDS = 600


def sample_config(epochs: int) -> ExperimentConfig:
    """The app's default experiment on the bundled sample, ``epochs`` at most."""
    config = ExperimentConfig(data=get_bundled(SAMPLE).data_config())
    return config.replace(train=replace(config.train, epochs=epochs))


def first_epoch_seconds(executor: LocalExecutor, frame, config) -> float:
    """Submit, wait for the first epoch record, cancel; seconds to that record."""
    submitted = time.time()
    record = executor.submit(frame, config, ("embedding", "onehot"), SAMPLE)
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        epochs = [e for e in executor.store.progress(record.id) if e["kind"] == "epoch"]
        if epochs:
            break
        if executor.get(record.id).status.final:
            raise RuntimeError(f"run {record.id} ended before its first epoch")
        time.sleep(0.05)
    else:
        raise RuntimeError(f"run {record.id}: no epoch within {RUN_SECONDS} s")
    executor.cancel(record.id)
    executor.wait(record.id, timeout=RUN_SECONDS)
    return epochs[0]["time"] - submitted


def runs_per_minute(executor: LocalExecutor, frame, config, count: int) -> float:
    """Submit ``count`` short runs one after another; finished runs per minute."""
    started = time.perf_counter()
    for _ in range(count):
        record = executor.submit(frame, config, ("embedding",), SAMPLE)
        finished = executor.wait(record.id, timeout=RUN_SECONDS)
        if finished.status is not RunStatus.DONE:
            raise RuntimeError(f"run {record.id}: {finished.status} {finished.error}")
    return count / (time.perf_counter() - started) * 60


def wait_until_warm(executor: LocalExecutor) -> float:
    """Block until every warm worker has TensorFlow set up; seconds waited."""
    started = time.perf_counter()
    while not all(worker.ready for worker in executor.pool.workers):
        time.sleep(0.2)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warm_start")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    repeats, short_runs = (1, 2) if args.quick else (3, 5)
    frame = load_bundled(SAMPLE)
    threads = server_training_threads()
    root = Path(tempfile.mkdtemp(prefix="bench_warm_"))
    cold = LocalExecutor(
        RunStore(root / "cold"), max_concurrent=1, training_threads=threads
    )
    warm = LocalExecutor(
        RunStore(root / "warm"),
        max_concurrent=1,
        training_threads=threads,
        warm_workers=1,
    )
    log("warm pool: waiting for its worker to import TensorFlow")
    warm_up = wait_until_warm(warm)
    first = {"cold": [], "warm": []}
    for attempt in range(repeats):
        for name, executor in (("cold", cold), ("warm", warm)):
            if name == "warm":
                wait_until_warm(warm)
            seconds = first_epoch_seconds(executor, frame, sample_config(3))
            log(f"first epoch, {name} #{attempt + 1}: {seconds:.1f} s")
            first[name].append(seconds)
    rate = {}
    for name, executor in (("cold", cold), ("warm", warm)):
        if name == "warm":
            wait_until_warm(warm)
        rate[name] = runs_per_minute(executor, frame, sample_config(1), short_runs)
        log(f"short runs, {name}: {rate[name]:.2f} per minute")
    warm.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    def spread(values: list[float]) -> str:
        text = f"{statistics.median(values):.1f} s"
        return text + (
            f" ({min(values):.1f}–{max(values):.1f})" if len(values) > 1 else ""
        )

    cold_median, warm_median = (statistics.median(first[n]) for n in ("cold", "warm"))
    rows = [
        (
            "submit → first epoch record (embedding + one-hot run), median (range)",
            spread(first["cold"]),
            spread(first["warm"]),
            f"{cold_median / warm_median:.1f}×",
        ),
        (
            f"1-epoch runs one after another, runs per minute ({short_runs} runs)",
            f"{rate['cold']:.2f}",
            f"{rate['warm']:.2f}",
            f"{rate['warm'] / rate['cold']:.1f}×",
        ),
    ]
    body = (
        f"The bundled sample's default experiment through `LocalExecutor` as the app "
        f"builds it (1 slot, training threads capped at {threads}, nice 10); cold: a "
        f"fresh `python -m core.runs.worker` per run, warm: one warm worker "
        f"(`SEQ_EMBED_WARM_WORKERS`, TensorFlow imported in {warm_up:.1f} s after the "
        f"executor started). {repeats} run(s) per figure; load average "
        f"{load:.1f} at the end.\n\n"
        + markdown_table(["what", "cold", "warm", "speed-up"], rows)
    )
    print(body)
    write_section(
        "warm_start", "Warm workers: first epoch and runs per minute", body,
        args.quick, PERFORMANCE_MD,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
