"""Starting the command line costs no TensorFlow unless the command needs it.

``python -m core --help`` and the run store's commands answer in about a
second; ``train`` starts its training process (a spare worker, which imports
TensorFlow) before the command line imports pandas, so that both overlap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.cli.test_cli_help import COLUMNS, recorded

ROOT = Path(__file__).resolve().parents[3]
#: Packages only the commands that load a model (or embed one) may import.
HEAVY = {"tensorflow", "keras", "sklearn"}


def _python(*arguments: str) -> subprocess.CompletedProcess:
    """``python ARGUMENTS`` in a fresh interpreter at the repository root."""
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": COLUMNS},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def _imported(importtime_log: str) -> set[str]:
    """Top-level package names a ``-X importtime`` log on stderr lists."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize(
    ("arguments", "fixture"),
    [(("--help",), "core"), (("runs", "list", "--help"), "runs_list")],
    ids=["top-level", "runs-list"],
)
def test_help_from_a_terminal_loads_no_tensorflow(arguments, fixture):
    finished = _python("-X", "importtime", "-m", "core", *arguments)
    assert finished.stdout == recorded(fixture)
    imported = _imported(finished.stderr)
    assert {"core", "pandas"} <= imported, "the import log was read"
    assert not imported & HEAVY


def test_parsing_a_store_command_loads_no_tensorflow():
    code = (
        "import sys; from core.cli.main import build_parser;"
        "build_parser().parse_args(['runs', 'list']);"
        f"print(sorted(set(sys.modules) & set({sorted(HEAVY)!r})))"
    )
    assert _python("-c", code).stdout.strip() == "[]"


def test_train_starts_its_spare_worker_before_pandas_is_imported():
    # Stand in for the spare (a real one would import TensorFlow): record
    # whether pandas was already loaded when python -m core asked for it.
    code = (
        "import runpy, sys;"
        "import core.runs.executors.spare as spare;"
        "spare.start_spare_worker = lambda **options: print("
        "'pandas loaded' if 'pandas' in sys.modules else 'spare first');"
        "sys.argv = ['core', 'train', '--help'];"
        "runpy.run_module('core', run_name='__main__')"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": COLUMNS},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    first, _, help_text = finished.stdout.partition("\n")
    assert first == "spare first"
    assert help_text == recorded("train")
