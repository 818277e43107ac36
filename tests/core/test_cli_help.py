"""The command line's help text stays exactly as recorded, command by command.

The fixtures in ``tests/fixtures/cli_help/`` hold the help of the top-level
parser and of every command and subcommand, formatted 100 columns wide. To
record them again after a deliberate change of the help, run
``python -m tests.core.test_cli_help`` from the repository root and review the
diff.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.main import build_parser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli_help"
ROOT = Path(__file__).resolve().parents[2]
#: Terminal width the fixtures were formatted for (argparse reads ``$COLUMNS``).
COLUMNS = "100"


def _recorded(name: str) -> str:
    """The recorded help text of one parser (see :func:`help_texts` for names)."""
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name (empty when it has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def help_texts() -> dict[str, str]:
    """Every parser's help, keyed by its words after ``python -m core``.

    The key of the top-level parser is ``core``; ``runs list`` is ``runs_list``.
    Call with ``$COLUMNS`` set to :data:`COLUMNS`.
    """
    texts: dict[str, str] = {}

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        texts["_".join(words) or "core"] = parser.format_help()
        for name, subparser in _subcommands(parser).items():
            walk(subparser, (*words, name))

    walk(build_parser(), ())
    return texts


@pytest.fixture
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", COLUMNS)


def test_every_command_has_a_recorded_help(wide_terminal):
    recorded = {path.stem for path in FIXTURES.glob("*.txt")}
    assert set(help_texts()) == recorded


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in FIXTURES.glob("*.txt")), ids=str
)
def test_the_help_text_is_unchanged(wide_terminal, name):
    assert help_texts()[name] == _recorded(name)


def test_usage_lines_name_the_module():
    assert build_parser().prog == "python -m core"
    assert _recorded("runs_list").startswith("usage: python -m core runs list")


def _run_core(*arguments: str) -> subprocess.CompletedProcess:
    """``python -X importtime -m core ARGUMENTS`` from the repository root."""
    environment = {**os.environ, "COLUMNS": COLUMNS}
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "core", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def _imported(importtime_log: str) -> set[str]:
    """Module names a ``-X importtime`` log on stderr lists."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize(
    ("arguments", "fixture"),
    [(("--help",), "core"), (("runs", "list", "--help"), "runs_list")],
    ids=["top-level", "runs-list"],
)
def test_help_from_a_terminal_loads_no_tensorflow(arguments, fixture):
    finished = _run_core(*arguments)
    assert finished.stdout == _recorded(fixture)
    imported = {name.split(".")[0] for name in _imported(finished.stderr)}
    assert "core" in imported, "the import log was read"
    assert not imported & {"tensorflow", "keras"}


def _record() -> None:
    """Write the current help texts as the fixtures (see the module docstring)."""
    os.environ["COLUMNS"] = COLUMNS
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in FIXTURES.glob("*.txt"):
        old.unlink()
    for name, text in help_texts().items():
        (FIXTURES / f"{name}.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _record()
