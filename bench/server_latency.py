"""How the web server answers while training runs: landing page and page switch.

Drives the real app (``streamlit run``) in headless Chromium and measures

- the landing page: a new session opens the app's URL until its "Start with
  the sample data" button is painted;
- a page switch in an open session (Runs <-> Start, each page visited once
  before, so first-visit imports are not counted);

with the machine idle, then while a 3-seed comparison of the bundled sample
trains (embedding model and one-hot twin per seed) twice: with training
processes on every core (TensorFlow's default, how runs trained before) and
capped at cores - 1 threads (what the app's executor now does,
``core.runs.executors.warm.server_training_threads``). Training processes run
at nice 10 in both. The comparison is submitted through the local executor to
the app's run store, exactly as the Compare page does.

Usage: ``python -m bench.server_latency [--quick]``; writes its section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from bench.common import DOCS, log, markdown_table, quiet_tensorflow, write_section
from core.serve.live_app import (
    free_port,
    launch_chromium,
    start_app,
    stop,
    wait_healthy,
)

PERFORMANCE_MD = DOCS / "performance.md"
ELEMENT_MILLISECONDS = 120_000
LANDING_TEXT = "Start with the sample data"
SEEDS = (0, 1, 2)


def landing_seconds(browser, url: str) -> float:
    """A new session: open the URL until the landing page's button is painted."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    started = time.perf_counter()
    page.goto(url)
    page.get_by_role("button", name=LANDING_TEXT).wait_for()
    seconds = time.perf_counter() - started
    context.close()
    return seconds


def open_session(browser, url: str):
    """A session on the landing page that has visited the Runs page once."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(url)
    page.get_by_role("button", name=LANDING_TEXT).wait_for()
    switch_seconds(page, 2)
    return page


def switch_seconds(page, count: int) -> list[float]:
    """Seconds per page switch, alternating Runs and Start."""
    targets = [("Runs", "Every training run"), ("Start", LANDING_TEXT)]
    latencies = []
    for index in range(count):
        link, text = targets[index % 2]
        started = time.perf_counter()
        page.get_by_role("link", name=link, exact=True).click()
        page.get_by_text(text).first.wait_for()
        latencies.append(time.perf_counter() - started)
    return latencies


def measure(browser, url: str, page, landings: int, switches: int) -> dict:
    """Landing-page loads and page switches, alternated."""
    found: dict[str, list[float]] = {"landing": [], "switch": []}
    for _ in range(landings):
        found["landing"].append(landing_seconds(browser, url))
        found["switch"].extend(switch_seconds(page, max(1, switches // landings)))
    return found


def wait_quiet(server_pid: int, seconds: float = 300) -> None:
    """Wait until the server's children (its warm worker) stop using CPU."""
    server = psutil.Process(server_pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = server.children(recursive=True)
        busy = sum(child.cpu_percent(interval=None) for child in children)
        time.sleep(1.0)
        busy = sum(child.cpu_percent(interval=None) for child in children)
        if busy < 10:
            return
    log("the server's children still busy; measuring anyway")


def during_comparison(
    store, threads: int | None, frame, config, act: Callable[[], dict]
) -> dict:
    """Start a 3-seed comparison; once it trains, ``act()``; then cancel it."""
    from core.analysis.comparison import (
        ComparisonSpec,
        comparison_runs,
        start_comparison,
    )
    from core.runs.executors.local import LocalExecutor

    executor = LocalExecutor(store, max_concurrent=1, training_threads=threads)
    spec = ComparisonSpec(config, seeds=SEEDS)
    comparison = start_comparison(executor, frame, spec, "sample")
    runs = list(comparison_runs(store, comparison).values())
    first = min(runs, key=lambda record: record.created)
    deadline = time.monotonic() + 600
    while not any(e["kind"] == "batch" for e in store.progress(first.id)):
        if time.monotonic() > deadline:
            raise TimeoutError("the comparison did not start training")
        time.sleep(0.2)
    found = act()
    for record in runs:
        executor.cancel(record.id)
    for record in runs:
        executor.wait(record.id, timeout=120)
    # Same data and settings give the same comparison id: delete the runs so
    # the next scenario trains afresh.
    for record in runs:
        store.delete(record.id)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server_latency")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    from dataclasses import replace

    from playwright.sync_api import sync_playwright

    from core.config import ExperimentConfig
    from core.data.bundled import get_bundled, load_bundled
    from core.runs.executors.warm import server_training_threads
    from core.runs.store import RunStore

    landings, switches = (3, 6) if args.quick else (6, 12)
    runs_dir = Path(tempfile.mkdtemp(prefix="bench_latency_"))
    store = RunStore(runs_dir)
    frame = load_bundled("predictive_maintenance")
    config = ExperimentConfig(data=get_bundled("predictive_maintenance").data_config())
    config = config.replace(train=replace(config.train, epochs=50, patience=50))
    environment = {
        "SEQ_EMBED_RUNS_DIR": str(runs_dir),
        # A deployed server does not watch its source files.
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_file = (runs_dir / "server.log").open("w")
    server = start_app(port, log_file, environment=environment)
    capped = server_training_threads()
    results: dict[str, dict] = {}
    try:
        wait_healthy(url, server)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = open_session(browser, url)
            wait_quiet(server.pid)
            log("idle")
            results["idle"] = measure(browser, url, page, landings, switches)
            for name, threads in (
                ("every core", None),
                (f"{capped} thread(s)", capped),
            ):
                log(f"while a 3-seed comparison trains, threads: {name}")
                results[f"comparison, training on {name}"] = during_comparison(
                    store,
                    threads,
                    frame,
                    config,
                    lambda: measure(browser, url, page, landings, switches),
                )
            browser.close()
    finally:
        stop(server)
        log_file.close()
    rows = []
    for scenario, found in results.items():
        landing, switch = found["landing"], found["switch"]
        rows.append(
            (
                scenario,
                f"{statistics.median(landing):.2f} / {max(landing):.2f}",
                f"{statistics.median(switch):.2f} / {max(switch):.2f}",
            )
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    body = (
        f"The app in headless Chromium; {landings} landing-page loads (new session, "
        f"until the start button is painted) and {len(results['idle']['switch'])} "
        "page switches (Runs ↔ Start) per scenario, alternated. The comparison: "
        "3 seeds of the bundled sample's default experiment (embedding + one-hot, "
        "1 training slot), training processes at nice 10; targets: landing ≤ 2.5 s, "
        f"page switch ≤ 1 s. Load average {load:.1f} at the end (other jobs share "
        "this machine).\n\n"
        + markdown_table(
            [
                "server state",
                "landing page: median / max (s)",
                "page switch: median / max (s)",
            ],
            rows,
        )
    )
    print(body)
    write_section(
        "server_latency",
        "Server latency while training",
        body,
        args.quick,
        PERFORMANCE_MD,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
