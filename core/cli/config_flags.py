"""Command-line flags generated from the experiment config's own fields.

Every setting of :class:`core.config.ExperimentConfig` that the Configure page
can change gets a flag here, built from the dataclass field (its type gives the
parser and the choices, its numpydoc entry gives the help), so the CLI and the
config cannot drift apart: a field added to the config is a flag the next time
the parser is built. Values are checked by the config itself, so a flag gets
the same :class:`~core.errors.ConfigError` as the page (a value of the wrong
kind, such as ``--dropout high``, is argparse's usage error).

The column roles (target, id, time, categorical, numeric), the task and the
window are not generated: they have their own flags with their own parsing
(``--categorical a:4,b``, ``--task auto``, ``--window`` implying window
framing), in :mod:`core.cli.options`.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from core.config import DataConfig, ModelConfig, SplitConfig, TrainConfig

#: Fields with flags of their own (core.cli.options), or no flag at all.
HAND_MADE: dict[str, set[str]] = {
    "data": {
        "target_column",
        "id_column",
        "time_column",
        "categorical_columns",
        "numeric_columns",
        "task",
        "window",
    },
    "split": set(),
    "model": set(),
    "train": set(),
}
#: Flags named otherwise than their field (names shared between sections).
RENAMED: dict[tuple[str, str], str] = {
    ("split", "method"): "split-method",
    ("split", "seed"): "split-seed",
}
#: Placeholders in the usage line other than the field's name in capitals.
METAVARS: dict[tuple[str, str], str] = {("data", "derive_target"): "EXPR"}
#: Fields where 0 on the command line means "off" (the config's None).
ZERO_MEANS_NONE = {
    ("data", "smoothing_alpha"),
    ("data", "entity_baseline"),
    ("train", "clipnorm"),
}

SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "split": SplitConfig,
    "model": ModelConfig,
    "train": TrainConfig,
}
TITLES = {
    "data": "data settings",
    "split": "split",
    "model": "model",
    "train": "training",
}


@dataclass(frozen=True)
class ConfigFlag:
    """One generated flag: where its value goes and how it is read."""

    section: str
    field: str
    flag: str
    help: str

    @property
    def dest(self) -> str:
        """The argparse destination (distinct from every hand-made flag's)."""
        return flag_dest(self.section, self.field)


def flag_dest(section: str, field: str) -> str:
    """The argparse destination of a config field's generated flag."""
    return f"config__{section}__{field}"


def given_flag(args: argparse.Namespace, section: str, field: str) -> Any:
    """A generated flag's value: ``None`` when not given or given as none."""
    value = getattr(args, flag_dest(section, field), None)
    return None if isinstance(value, _Off) else value


def config_flags() -> list[ConfigFlag]:
    """Every generated flag, section by section in field order."""
    flags = []
    for section, cls in SECTIONS.items():
        helps = _parameter_help(cls.__doc__ or "")
        for item in dataclasses.fields(cls):
            if item.name in HAND_MADE[section]:
                continue
            name = RENAMED.get((section, item.name), item.name.replace("_", "-"))
            flags.append(
                ConfigFlag(section, item.name, f"--{name}", helps.get(item.name, ""))
            )
    return flags


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """Add one argument group per config section with its generated flags."""
    groups: dict[str, Any] = {}
    for flag in config_flags():
        if flag.section not in groups:
            groups[flag.section] = parser.add_argument_group(TITLES[flag.section])
        hint = typing.get_type_hints(SECTIONS[flag.section])[flag.field]
        groups[flag.section].add_argument(
            flag.flag, dest=flag.dest, help=flag.help, **_parsing(flag, hint)
        )


def apply_config_flags(args: argparse.Namespace, payload: dict[str, Any]) -> None:
    """Write the generated flags that were given into ``payload``'s sections."""
    for flag in config_flags():
        value = getattr(args, flag.dest, None)
        if value is None:
            continue
        if isinstance(value, _Off):
            value = None
        payload.setdefault(flag.section, {})[flag.field] = value


class _Off:
    """A flag's explicit "none" (so that None can still mean "not given")."""

    def __repr__(self) -> str:
        return "none"


OFF = _Off()


def _parsing(flag: ConfigFlag, hint: Any) -> dict[str, Any]:
    """argparse keywords (type, choices, action, metavar) for a field's type."""
    optional = _is_optional(hint)
    base = _without_none(hint)
    if base is bool:
        return {"action": argparse.BooleanOptionalAction, "default": None}
    if typing.get_origin(base) is Literal:
        choices = tuple(typing.get_args(base))
        return {"choices": choices + (("none",) if optional else ())}
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        return {"type": _list_of(item, flag), "metavar": "N,N,..."}
    zero_off = (flag.section, flag.field) in ZERO_MEANS_NONE
    metavar = flag.flag.removeprefix("--").replace("-", "_").upper()
    return {
        "type": _scalar(base, flag, optional, zero_off),
        "metavar": METAVARS.get((flag.section, flag.field), metavar),
    }


def _is_optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint) and _union(hint)


def _union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _without_none(hint: Any) -> Any:
    if not _union(hint):
        return hint
    rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return rest[0] if len(rest) == 1 else hint


def _scalar(
    kind: Any, flag: ConfigFlag, optional: bool, zero_off: bool
) -> Callable[[str], Any]:
    """A converter of one value, with "none" (and 0 where it means off)."""

    def convert(text: str) -> Any:
        if optional and text.strip().lower() == "none":
            return OFF
        try:
            value = kind(text)
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(
                f"expected {_kind_name(kind, optional)}, received {text!r}"
            ) from error
        if zero_off and value == 0:
            return OFF
        return value

    convert.__name__ = _kind_name(kind, optional)
    return convert


def _list_of(kind: Any, flag: ConfigFlag) -> Callable[[str], tuple[Any, ...]]:
    """A converter of ``"64,32"`` to ``(64, 32)``."""

    def convert(text: str) -> tuple[Any, ...]:
        try:
            return tuple(kind(part) for part in text.split(",") if part.strip())
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {_kind_name(kind, False)}s "
                f"such as 64,32, received {text!r}"
            ) from error

    convert.__name__ = "list"
    return convert


def _kind_name(kind: Any, optional: bool) -> str:
    name = {int: "integer", float: "number", str: "text"}.get(kind, str(kind))
    return f"{name} or none" if optional else name


def _parameter_help(docstring: str) -> dict[str, str]:
    """First sentence of each entry of a numpydoc ``Parameters`` section.

    >>> _parameter_help('''Doc.
    ...
    ...     Parameters
    ...     ----------
    ...     epochs : int
    ...         Upper bound on epochs. More text.
    ...     a, b : float
    ...         Shares.
    ...     ''')
    {'epochs': 'Upper bound on epochs', 'a': 'Shares', 'b': 'Shares'}
    """
    helps: dict[str, str] = {}
    for names, text in _entries(docstring):
        sentence = re.split(r"(?<=[a-z0-9)`'\"])\.\s", text + " ", maxsplit=1)[0]
        sentence = sentence.strip().rstrip(".").replace("%", "%%").replace("``", "")
        for name in names:
            helps[name] = sentence
    return helps


def _entries(docstring: str) -> Iterator[tuple[list[str], str]]:
    """(names, description) of each entry of the ``Parameters`` section."""
    lines = docstring.expandtabs().splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Parameters")
    except StopIteration:
        return
    names: list[str] = []
    text: list[str] = []
    for line in lines[start + 2 :]:
        stripped = line.strip()
        if stripped and set(stripped) == {"-"}:
            text = text[:-1]  # the next section's title, above its underline
            break
        entry = re.match(r"^\s{0,4}([A-Za-z_][\w, ]*) : ", line)
        if entry:
            if names:
                yield names, " ".join(text)
            names = [name.strip() for name in entry.group(1).split(",")]
            text = []
        elif stripped:
            text.append(stripped)
    if names:
        yield names, " ".join(text)
