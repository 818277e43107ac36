"""What a user experiences while training: in-app vs CLI, latencies, server memory.

Drives the real app (``streamlit run``) with Debian's Chromium, the user
watching the Train page the whole time, and measures side by side in one run:

1. in-app training of the sample's default experiment (epochs capped, stated in
   the table) against ``python -m core train`` on the very same config;
2. time from pressing Train to the first finished epoch;
3. time for Cancel to take effect while queued, while the process starts
   (imports TensorFlow, loads and prepares the data) and while training;
4. page-switch latency in a second browser session while a run starts;
5. the server's resident memory before and after five runs.

Usage: ``python -m bench.run_experience [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, log, markdown_table, quiet_tensorflow, write_section
from core.serve.live_app import (
    free_port,
    launch_chromium,
    start_app,
    stop,
    wait_healthy,
)

ELEMENT_MILLISECONDS = 120_000
TRAINING_MILLISECONDS = 1_800_000


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _open_train_page(browser, url: str, epochs: int):
    """A session with the sample loaded and its default config saved (epochs set)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(url)
    page.get_by_role("button", name="Start with the sample data").click()
    page.get_by_text("Inferred schema").wait_for()
    page.get_by_role("link", name="2. Configure").click()
    field = page.get_by_label("Max epochs")
    field.fill(str(epochs))
    field.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    page.get_by_role("link", name="3. Train").click()
    page.get_by_role("button", name="Train", exact=True).wait_for()
    return page


def _train_in_app(page, store) -> tuple[str, float]:
    """Press Train and wait, watching the page, for the results; (run id, s)."""
    before = {record.id for record in store.records()}
    started = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()
    _wait(lambda: any(record.id not in before for record in store.records()))
    results = page.get_by_text("Test metrics, side by side")
    results.wait_for(state="detached")  # the previous run's results make way
    results.wait_for(timeout=TRAINING_MILLISECONDS)
    seconds = time.perf_counter() - started
    new = [record.id for record in store.records() if record.id not in before]
    return new[0], seconds


def _first_epoch_seconds(store, run_id: str) -> float:
    """From the run's creation (the click) to its first finished epoch."""
    record = store.get(run_id)
    epochs = [e["time"] for e in store.progress(run_id) if e["kind"] == "epoch"]
    return epochs[0] - record.created


def _cli_seconds(config: dict, runs_dir: Path) -> float:
    """Whole-process time of ``python -m core train`` on the same config."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_text(json.dumps(config))
        command = [
            sys.executable, "-m", "core", "train", "--data", "predictive_maintenance",
            "--config", str(path), "--compare", "--runs-dir", str(runs_dir),
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        return time.perf_counter() - started


def _switch_latencies(browser, url: str, trigger, count: int) -> dict[str, list]:
    """Seconds per page switch in a second session: idle, then while ``trigger()``.

    Both pages are visited once first, so first-visit imports are not counted.
    """
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(url)
    page.get_by_role("button", name="Start with the sample data").wait_for()
    targets = [("Runs", "Every training run"), ("Start", "Start with the sample data")]

    def switches(number: int) -> list[float]:
        latencies = []
        for index in range(number):
            link, text = targets[index % 2]
            started = time.perf_counter()
            page.get_by_role("link", name=link, exact=True).click()
            page.get_by_text(text).first.wait_for()
            latencies.append(time.perf_counter() - started)
        return latencies

    switches(2)
    idle = switches(count)
    trigger()
    during = switches(count)
    page.close()
    return {"idle": idle, "during": during}


def _cancel_latency(executor, frame, config, phase: str) -> float:
    """Seconds from Cancel to a final status, cancelling in ``phase``."""
    from core.runs.store import RunStatus

    blocker = None
    if phase == "queued":
        blocker = executor.submit(frame, config, ("embedding",), "blocker")
        _wait(lambda: executor.get(blocker.id).status is RunStatus.RUNNING)
    record = executor.submit(frame, config, ("embedding",), f"cancel-{phase}")
    if phase == "training":
        _wait(
            lambda: any(
                e["kind"] == "batch" for e in executor.store.progress(record.id)
            )
        )
    elif phase == "launching":
        time.sleep(0.2)  # the process exists but has not taken a slot yet
    elif phase == "starting":  # importing TensorFlow, then loading the data
        _wait(
            lambda: any(
                e.get("phase") == "starting" for e in executor.store.progress(record.id)
            )
        )
    started = time.perf_counter()
    executor.cancel(record.id)
    ended = executor.wait(record.id, timeout=120)
    seconds = time.perf_counter() - started
    assert ended.status is RunStatus.CANCELLED, ended.status
    if blocker is not None:
        executor.cancel(blocker.id)
        executor.wait(blocker.id, timeout=120)
    return seconds


def _wait(predicate, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError("condition not reached")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    import os

    from playwright.sync_api import sync_playwright

    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStore

    epochs = 1 if args.quick else 3
    memory_runs = 2 if args.quick else 5
    runs_dir = Path(tempfile.mkdtemp(prefix="bench_runs_"))
    os.environ["SEQ_EMBED_RUNS_DIR"] = str(runs_dir)
    # A deployed server does not watch its source files; a watcher walking the
    # checkout (and reruns on every edit) would be measured instead of the app.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    store = RunStore(runs_dir)
    port = free_port()
    log_file = (runs_dir / "server.log").open("w")
    server = start_app(port, log_file)
    url = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {}
    try:
        wait_healthy(url, server)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = _open_train_page(browser, url, epochs)
            memory = [rss_bytes(server.pid)]
            log("in-app run 1 (timed against the CLI)")
            run_id, app_seconds = _train_in_app(page, store)
            memory.append(rss_bytes(server.pid))
            results["app_seconds"] = app_seconds
            results["first_epoch"] = _first_epoch_seconds(store, run_id)
            record = store.get(run_id)
            results["run_seconds"] = record.finished - record.created
            log("the same config from the command line")
            results["cli_seconds"] = _cli_seconds(record.config.to_dict(), runs_dir)
            for number in range(2, memory_runs + 1):
                log(f"in-app run {number} (server memory)")
                _train_in_app(page, store)
                memory.append(rss_bytes(server.pid))
            results["memory"] = memory
            log("page switches in a second session while a run starts")

            def press_train() -> None:
                page.get_by_role("button", name="Train", exact=True).click()

            results["switch"] = _switch_latencies(browser, url, press_train, 10)
            page.get_by_text("Test metrics, side by side").wait_for(
                timeout=TRAINING_MILLISECONDS
            )
            browser.close()
    finally:
        stop(server)
        log_file.close()
    log("cancel latency per phase")
    executor = LocalExecutor(store, max_concurrent=1, cancel_grace_seconds=10)
    config = store.get(run_id).config
    long = config.replace(train=config.train.__class__(epochs=200, patience=200))
    frame = store.load_data(store.get(run_id))
    results["cancel"] = {
        phase: _cancel_latency(executor, frame, long, phase)
        for phase in ("queued", "launching", "starting", "training")
    }
    _report(results, epochs, args.quick)
    return 0


def _report(results: dict, epochs: int, quick: bool) -> None:
    ratio = results["app_seconds"] / results["cli_seconds"]
    memory = results["memory"]
    switch = results["switch"]
    rows = [
        (
            "in-app training, watching the Train page (click → results shown)",
            f"{results['app_seconds']:.1f} s",
        ),
        (
            "same config, `python -m core train` (whole process)",
            f"{results['cli_seconds']:.1f} s",
        ),
        ("ratio in-app / CLI (target ≤ 1.10)", f"{ratio:.2f}×"),
        ("press Train → first epoch finished", f"{results['first_epoch']:.1f} s"),
        (
            "run's own time in the store (created → finished)",
            f"{results['run_seconds']:.1f} s",
        ),
    ]
    rows += [
        (f"Cancel → final status, cancelled while {phase}", f"{seconds:.1f} s")
        for phase, seconds in results["cancel"].items()
    ]
    rows += [
        (
            f"page switch in a 2nd session, {when}: median / max (target < 1 s)",
            f"{statistics.median(values):.2f} s / {max(values):.2f} s",
        )
        for when, values in (
            ("idle", switch["idle"]),
            ("while a run starts", switch["during"]),
        )
    ]
    rows.append(
        ("server memory before the first run → after each run",
         " → ".join(f"{value / 1024**2:.0f}" for value in memory) + " MiB"),
    )  # fmt: skip
    each = ", ".join(f"{value:.2f}" for value in switch["during"])
    body = (
        f"The bundled sample's default experiment (window 30, stride 5, horizon 10, "
        f"embedding model and one-hot twin) with Max epochs set to {epochs}, "
        "trained through the app in headless Chromium with the user on the Train "
        "page the whole time, against the CLI on the config the app saved.\n\n"
        + markdown_table(["what", "measured"], rows)
        + f"\n\nEach page switch while the run started (s): {each}."
    )
    print(body)
    write_section("run_experience", "Training as the user experiences it", body, quick)


if __name__ == "__main__":
    raise SystemExit(main())
