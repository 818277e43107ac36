"""The command line's help text stays exactly as recorded, command by command.

The fixtures in ``tests/fixtures/cli_help/`` hold the help of the top-level
parser and of every command and subcommand, formatted 100 columns wide. To
record them again after a deliberate change of the help, run
``python -m tests.unit.cli.test_cli_help`` from the repository root and review the
diff.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from core.cli.main import build_parser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cli_help"
#: Terminal width the fixtures were formatted for (argparse reads ``$COLUMNS``).
COLUMNS = "100"


def recorded(name: str) -> str:
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
    assert help_texts()[name] == recorded(name)


def test_usage_lines_name_the_module():
    assert build_parser().prog == "python -m core"
    assert recorded("runs_list").startswith("usage: python -m core runs list")


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
