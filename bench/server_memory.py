"""The web server's resident memory while a user visits every page of a finished run.

Trains one short run of the bundled sample into a fresh run store (through the
local executor, outside the server), starts the app on that store, opens the
run through ``?run=ID`` in headless Chromium and visits the pages in order,
measuring the server process's resident memory (RSS) after each page has
rendered, and whether the server has imported TensorFlow (its memory maps
``libtensorflow``). Last, on the Predictions page, it uploads a new file (a
slice of the sample) and predicts on it, which the model worker computes. The
server's helper processes (warm worker, model worker) are listed apart: they
are not the server.

Usage: ``python -m bench.server_memory``; writes its section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
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
ELEMENT_MILLISECONDS = 180_000
#: Settle time after a page's title is painted (charts, the model worker).
SETTLE_SECONDS = 4.0
#: Entities of the sample in the new file predicted on.
NEW_FILE_ENTITIES = 20
PAGES = (
    "Start",
    "1. Data",
    "2. Configure",
    "3. Train",
    "5. Embeddings",
    "6. Compare",
    "7. Insight",
    "Runs",
    "4. Predictions",
)


def rss_mib(process: psutil.Process) -> float:
    """Resident memory of a process in MiB."""
    return process.memory_info().rss / 1024**2


def has_tensorflow(process: psutil.Process) -> bool:
    """Whether the process has TensorFlow's library mapped (it was imported)."""
    try:
        return any("tensorflow" in item.path for item in process.memory_maps())
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return False


def new_file(folder: Path) -> Path:
    """A CSV of the sample's first entities: the new file to predict on."""
    from core.data.bundled import get_bundled, load_bundled

    data = get_bundled("predictive_maintenance").data_config()
    frame = load_bundled("predictive_maintenance")
    kept = frame[data.id_column].drop_duplicates().iloc[:NEW_FILE_ENTITIES]
    path = folder / "new_file.csv"
    frame[frame[data.id_column].isin(kept)].to_csv(path, index=False)
    return path


def measure(process: psutil.Process, moment: str) -> tuple[str, float, bool, str]:
    """One table row: the server's RSS and TensorFlow, its helpers' RSS."""
    helpers = ", ".join(
        f"{child.pid}: {rss_mib(child):.0f} MiB"
        for child in process.children(recursive=True)
    )
    return moment, rss_mib(process), has_tensorflow(process), helpers


def train_run(runs_dir: Path) -> str:
    """One finished 2-epoch run of the sample's default experiment; its id."""
    from core.config import ExperimentConfig
    from core.data.bundled import get_bundled, load_bundled
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStatus, RunStore

    executor = LocalExecutor(RunStore(runs_dir), max_concurrent=1)
    config = ExperimentConfig(data=get_bundled("predictive_maintenance").data_config())
    config = config.replace(train=replace(config.train, epochs=2))
    frame = load_bundled("predictive_maintenance")
    record = executor.submit(frame, config, ("embedding", "onehot"), "sample")
    finished = executor.wait(record.id, timeout=900)
    if finished.status is not RunStatus.DONE:
        raise RuntimeError(f"run {record.id}: {finished.status} {finished.error}")
    return record.id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server_memory")
    parser.parse_args(argv)
    quiet_tensorflow()
    from playwright.sync_api import sync_playwright

    runs_dir = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    log("training one short run")
    run_id = train_run(runs_dir)
    environment = {
        "SEQ_EMBED_RUNS_DIR": str(runs_dir),
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_file = (runs_dir / "server.log").open("w")
    server = start_app(port, log_file, environment=environment)
    rows = []
    try:
        wait_healthy(url, server)
        process = psutil.Process(server.pid)
        rows.append(measure(process, "server started"))
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(ELEMENT_MILLISECONDS)
            page.goto(f"{url}/?run={run_id}")
            for title in PAGES:
                log(f"page {title}")
                if title != "Start":
                    page.get_by_role("link", name=title, exact=True).click()
                heading = title if title != "Start" else "Sequence Embedding Studio"
                page.get_by_role("heading", name=heading).first.wait_for()
                time.sleep(SETTLE_SECONDS)
                rows.append(measure(process, f"after {title}"))
            log("predicting on a new file")
            page.locator("input[type='file']").first.set_input_files(
                str(new_file(runs_dir))
            )
            started = time.perf_counter()
            page.get_by_role("button", name="Predict", exact=True).click()
            page.get_by_text("Predictions of the").first.wait_for()
            seconds = time.perf_counter() - started
            time.sleep(SETTLE_SECONDS)
            rows.append(measure(process, f"after predicting ({seconds:.1f} s)"))
            browser.close()
    finally:
        stop(server)
        log_file.close()
    table = markdown_table(
        ["moment", "server RSS (MiB)", "TensorFlow in the server", "helper processes"],
        [(m, f"{r:.0f}", "yes" if t else "no", h or "–") for m, r, t, h in rows],
    )
    body = (
        "The app on a store with one finished run of the bundled sample (2 epochs, "
        "embedding + one-hot), opened through `?run=ID` in headless Chromium; each "
        f"page visited in this order and given {SETTLE_SECONDS:.0f} s after its "
        "title is painted; last, a new file (the sample's first "
        f"{NEW_FILE_ENTITIES} entities) predicted on the Predictions page (in "
        "brackets: click to predictions shown). Target (issue 23 item 14): "
        "≤ 400 MiB after every page and the prediction; before this change the "
        "server reached 1.04 GiB once Predictions, Embeddings or Insight was "
        "opened.\n\n" + table
    )
    print(body)
    write_section(
        "server_memory",
        "Server memory over the pages of a finished run",
        body,
        False,
        PERFORMANCE_MD,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
