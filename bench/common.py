"""Shared helpers of the benchmark scripts: data paths, timing, memory, reporting.

Every script prints a markdown table and writes it into ``docs/benchmarks.md``
between ``<!-- begin:NAME -->`` and ``<!-- end:NAME -->``, together with the exact
command, the machine and the date, so a figure in the docs can be reproduced.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import resource
import shlex
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BENCHMARKS_MD = DOCS / "benchmarks.md"
#: The shared data sets live next to the checkout (``../shared/data``).
DATA_DIR = ROOT.parent / "shared" / "data"


def data_dir(name: str) -> Path | None:
    """Folder of a shared data set, or ``None`` (after a message) when absent."""
    folder = DATA_DIR / name
    if not folder.is_dir():
        print(
            f"SKIP: data set '{name}' not found at {folder}; this benchmark needs "
            "the shared data folder ../shared/data next to the repository."
        )
        return None
    return folder


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up logs (call before importing keras)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def machine_description() -> str:
    """CPU model, cores, RAM, Python and key library versions in one line."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "? GiB"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.0f} GiB"
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    versions = []
    for name in ("keras", "tensorflow", "numpy", "pandas", "sklearn"):
        module = sys.modules.get(name)
        if module is not None:
            versions.append(f"{name} {getattr(module, '__version__', '?')}")
    return (
        f"{model}, {cores} cores, {memory} RAM, Python {platform.python_version()}"
        + (", " + ", ".join(versions) if versions else "")
        + " (machine shared with other jobs: compare ratios within a run)"
    )


def command_line() -> str:
    """The command that ran this script, as typed from the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        module = ".".join(script.relative_to(ROOT).with_suffix("").parts)
        return " ".join(["python -m", module, *map(shlex.quote, sys.argv[1:])])
    except ValueError:
        return " ".join(map(shlex.quote, sys.argv))


class Timer:
    """Wall-clock seconds of a ``with`` block (``timer.seconds``)."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


@contextmanager
def traced_peak() -> Iterator[dict[str, float]]:
    """Peak bytes allocated by Python/numpy inside the block (``result['peak']``)."""
    result: dict[str, float] = {"peak": 0.0}
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield result
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak"] = float(peak)


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def mib(value: float) -> str:
    """Bytes as MiB text."""
    return f"{value / 1024**2:,.0f} MiB"


def mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``mean ± std`` (population std) of a few values; one value alone."""
    import numpy as np

    array = np.asarray([v for v in values if v is not None], dtype=float)
    if len(array) == 0:
        return "–"
    if len(array) == 1:
        return f"{array[0]:,.{digits}f}"
    return f"{array.mean():,.{digits}f} ± {array.std():,.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; numbers right-aligned."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

    text_rows = [[cell(v) for v in row] for row in rows]
    numeric = [
        all(_looks_numeric(row[i]) for row in text_rows) and len(text_rows) > 0
        for i in range(len(headers))
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in text_rows]
    return "\n".join(lines)


def interval_cell(
    mean: float, low: float | None, high: float | None, signed: bool = False
) -> str:
    """``mean [low, high]`` for a table cell; the mean alone without an interval.

    ``signed`` writes every number with its sign (for differences).
    """
    spec = "+.2f" if signed else ".2f"
    if low is None or high is None:
        return f"{mean:{spec}}"
    return f"{mean:{spec}} [{low:{spec}}, {high:{spec}}]"


def reading(difference: Any, first: str, second: str, metric: str = "rmse") -> str:
    """A paired difference ``first − second`` in a few words, as core's
    :func:`core.analysis.verdict.judge` decides it (a whole interval on one
    side of zero names the better arm)."""
    from core.analysis.verdict import VerdictKind, judge

    verdict = judge(difference, metric, first, second)
    if verdict.kind is VerdictKind.BETTER:
        return f"{verdict.winner} better"
    if verdict.kind is VerdictKind.NO_DIFFERENCE:
        return "no difference shown"
    return "one seed: no interval"


def read_saved_runs(
    paths: Sequence[Path], order: Sequence[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Results, commands and skipped work of several runs' ``--save`` files.

    Each file holds ``command``, ``results`` keyed by subset and, optionally,
    ``skipped``; the results come back in ``order``. A subset found in two
    files is refused: which of the two to report is not this function's call.
    """
    results: dict[str, Any] = {}
    commands: list[str] = []
    skipped: list[str] = []
    for path in paths:
        saved = json.loads(Path(path).read_text("utf-8"))
        commands.append(saved["command"])
        skipped += saved.get("skipped", [])
        for subset, record in saved["results"].items():
            if subset in results:
                raise SystemExit(f"{path}: {subset} is already in another file")
            results[subset] = record
    ordered = {name: results[name] for name in order if name in results}
    return ordered, commands, skipped


def merged_runs_line(commands: Sequence[str]) -> str:
    """The sentence a merged section opens with: the runs it was made from."""
    listed = "; ".join(f"`{command}`" for command in commands)
    return f"Runs merged (each saved with `--save`, then `--merge`): {listed}."


def _looks_numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("±", " ").replace("×", "").split()
    if not stripped:
        return False
    try:
        float(stripped[0].rstrip("%s"))
    except ValueError:
        return False
    return True


def import_for_versions() -> None:
    """Import what the benches train with, so the machine line names versions.

    A ``--merge`` of saved runs needs none of them; their versions are this
    environment's, which is the one the saved runs used.
    """
    quiet_tensorflow()
    import keras  # noqa: F401
    import sklearn  # noqa: F401
    import tensorflow  # noqa: F401


def write_section(
    name: str, title: str, body: str, quick: bool, document: Path | None = None
) -> None:
    """Replace (or append) section ``name`` of ``document`` (docs/benchmarks.md).

    A ``--quick`` run writes to ``<name>-quick`` so it never overwrites the
    full-mode figures.
    """
    document = document or BENCHMARKS_MD
    marker = f"{name}-quick" if quick else name
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick mode (smoke test, not a result)" if quick else "full mode"
    block = (
        f"<!-- begin:{marker} -->\n"
        f"### {title}{' (quick)' if quick else ''}\n\n"
        f"Command: `{command_line()}` — {mode}, run {stamp}.  \n"
        f"Machine: {machine_description()}.\n\n"
        f"{body.strip()}\n"
        f"<!-- end:{marker} -->"
    )
    DOCS.mkdir(exist_ok=True)
    text = document.read_text() if document.exists() else "# Benchmarks\n"
    begin, end = f"<!-- begin:{marker} -->", f"<!-- end:{marker} -->"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    document.write_text(text)
    print(f"wrote section '{marker}' of {document.relative_to(ROOT)}")


def log(message: str) -> None:
    """Timestamped progress line, flushed (the full runs are followed in a log)."""
    stamp = _dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """Result of ``function()`` and its wall-clock seconds."""
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started
