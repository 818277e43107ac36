"""The syntax of target expressions: tokens, a recursive-descent parser, a tree.

On a shared server the expression is untrusted text, so it is never handed to
``eval``, ``exec``, ``DataFrame.eval`` or ``DataFrame.query``: this module's
own tokenizer and parser turn it into a tree of frozen dataclasses
(:mod:`core.data.target_expression` evaluates it with vectorised pandas
operations). Anything outside the grammar (attribute access, calls, indexing,
statements, backslashes, double-underscore names, Python keywords) is refused
with a :class:`~core.errors.ConfigError` on ``data.derive_target`` that says
where, what was expected and what was received.

The grammar, loosest binding first::

    expression := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation   := "not" negation | "(" expression ")" | comparison
    comparison := column ("==" | "!=" | "<" | "<=" | ">" | ">=") literal
                | column ["not"] "in" "[" literal ("," literal)* [","] "]"
    column     := name | `any text but a backquote`
    literal    := ["-"] number | 'text' | "text" | true | false

Keywords are case-insensitive; a column named like one is written in
backquotes. Ordering comparisons take numbers only. Text literals have no
escapes: text holding one kind of quote is written in the other.

Examples
--------
>>> parse_syntax("not (a == 1 or b in ['x', 'y'])")
Negation(operand=Junction(operator='or', operands=(Comparison(column='a', \
operator='==', value=1), Membership(column='b', values=('x', 'y'), negated=False))))
"""

from __future__ import annotations

import keyword
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError

#: The config field every error of this module names.
FIELD = "data.derive_target"
#: Longest expression accepted, in characters.
MAX_EXPRESSION_LENGTH = 500
#: Deepest nesting of parentheses and ``not`` accepted.
MAX_NESTING = 20

#: Words of the language (matched case-insensitively).
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
#: The comparison operators, applied to whole arrays of values.
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
ORDERING = frozenset({"<", "<=", ">", ">="})

Literal = int | float | str | bool

_TOKEN_PATTERNS = (
    ("space", re.compile(r"\s+")),
    ("number", re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")),
    ("name", re.compile(r"[^\W\d]\w*")),
    ("column", re.compile(r"`[^`\\\n]*`")),
    ("string", re.compile(r"'[^'\\\n]*'|\"[^\"\\\n]*\"")),
    ("operator", re.compile(r"==|!=|<=|>=|<|>")),
    ("punctuation", re.compile(r"[()\[\],-]")),
)
#: Why a character outside the grammar is refused.
_REFUSED = {
    "\\": "a backslash (quote text containing one kind of quote with the other)",
    ".": "attribute access (write a column name holding a dot in backquotes)",
    ";": "a statement separator",
    "=": "assignment (compare with '==')",
    "&": "'&' (write 'and')",
    "|": "'|' (write 'or')",
    "!": "'!' (write 'not', or '!=' to compare)",
    "~": "'~' (write 'not')",
    ":": "':' (lambdas and slices are not part of target expressions)",
}


@dataclass(frozen=True)
class Token:
    """One token: its kind, its text as written and where it starts."""

    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Comparison:
    """``column <operator> value``."""

    column: str
    operator: str
    value: Literal


@dataclass(frozen=True)
class Membership:
    """``column in [values]``, or ``not in`` when ``negated``."""

    column: str
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class Negation:
    """``not operand``."""

    operand: Node


@dataclass(frozen=True)
class Junction:
    """``a and b and ...`` or ``a or b or ...``."""

    operator: str
    operands: tuple[Node, ...]


Node = Comparison | Membership | Negation | Junction


def _error(text: str, position: int, expected: str, received: str) -> ConfigError:
    return ConfigError(
        FIELD,
        f"at character {position + 1} of {text!r}: expected {expected}, "
        f"received {received}",
    )


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    return f"{token.kind} {token.text!r}"


def _refused_character(text: str, position: int) -> ConfigError:
    character = text[position]
    if character in "'\"`":
        closing = text.find(character, position + 1)
        inside = text[position + 1 : closing if closing >= 0 else len(text)]
        reason = (
            _REFUSED["\\"] if "\\" in inside else "text whose quote is never closed"
        )
        return _error(text, position, "a closed quote without backslashes", reason)
    reason = _REFUSED.get(character, f"the character {character!r}")
    return _error(text, position, "a column, comparison, value or parenthesis", reason)


def _check_name(text: str, word: str, position: int) -> None:
    """Refuse dunder names and Python keywords where a column name belongs."""
    if word.startswith("__"):
        raise _error(text, position, "a column name", f"the dunder name {word!r}")
    if keyword.iskeyword(word) or keyword.issoftkeyword(word):
        raise _error(
            text,
            position,
            "a column name (write a column named so in backquotes)",
            f"the Python keyword {word!r}",
        )


def _check_number_end(text: str, match: re.Match[str]) -> None:
    """Refuse a number glued to letters or dots (``0x1f``, ``1.2.3``, ``2e``)."""
    end = match.end()
    if end < len(text) and re.match(r"[\w.]", text[end]):
        glued = re.match(r"[\w.]*", text[match.start() :]).group()
        raise _error(text, match.start(), "a number", repr(glued))


def _next_token(text: str, position: int) -> tuple[str, re.Match[str]]:
    """The kind and match of the token at ``position``."""
    for kind, pattern in _TOKEN_PATTERNS:
        match = pattern.match(text, position)
        if match:
            return kind, match
    raise _refused_character(text, position)


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens, ending with an ``end`` token.

    Raises
    ------
    ConfigError
        On ``data.derive_target``, for a character outside the grammar, an
        unclosed quote, a backslash, a dunder name or a Python keyword.
    """
    tokens, position = [], 0
    while position < len(text):
        kind, match = _next_token(text, position)
        position = match.end()
        if kind == "space":
            continue
        if kind == "name":
            word = match.group()
            if word.lower() in KEYWORDS:
                tokens.append(Token("keyword", word.lower(), match.start()))
                continue
            _check_name(text, word, match.start())
        if kind == "number":
            _check_number_end(text, match)
        tokens.append(Token(kind, match.group(), match.start()))
    tokens.append(Token("end", "", len(text)))
    return tokens


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Parser:
    """Recursive descent over the tokens, one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def _take(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def _fail(self, expected: str, token: Token | None = None) -> ConfigError:
        token = token or self.current
        return _error(self.text, token.position, expected, _describe(token))

    def _expect(self, kind: str, text: str, expected: str) -> Token:
        if not self._at(kind, text):
            raise self._fail(expected)
        return self._take()

    def parse(self) -> Node:
        root = self.expression(0)
        if not self._at("end"):
            raise self._fail("'and', 'or' or the end of the expression")
        return root

    def expression(self, depth: int) -> Node:
        operands = [self.conjunction(depth)]
        while self._at("keyword", "or"):
            self._take()
            operands.append(self.conjunction(depth))
        return operands[0] if len(operands) == 1 else Junction("or", tuple(operands))

    def conjunction(self, depth: int) -> Node:
        operands = [self.negation(depth)]
        while self._at("keyword", "and"):
            self._take()
            operands.append(self.negation(depth))
        return operands[0] if len(operands) == 1 else Junction("and", tuple(operands))

    def negation(self, depth: int) -> Node:
        if depth > MAX_NESTING:
            raise self._fail(f"at most {MAX_NESTING} nested parentheses or 'not's")
        if self._at("keyword", "not"):
            self._take()
            return Negation(self.negation(depth + 1))
        if self._at("punctuation", "("):
            self._take()
            node = self.expression(depth + 1)
            self._expect("punctuation", ")", "')' or a comparison's continuation")
            return node
        return self.comparison()

    def comparison(self) -> Node:
        token = self.current
        if token.kind not in ("name", "column"):
            raise self._fail("a column name, 'not' or '('")
        self._take()
        column = token.text if token.kind == "name" else token.text[1:-1]
        if column == "":
            raise self._fail("a column name inside the backquotes", token)
        if self._at("operator"):
            operator_token = self._take()
            value_token = self.current
            value = self.literal()
            if operator_token.text in ORDERING and not _is_number(value):
                raise self._fail(f"a number after {operator_token.text!r}", value_token)
            return Comparison(column, operator_token.text, value)
        negated = self._at("keyword", "not")
        if negated:
            self._take()
        if self._at("keyword", "in"):
            self._take()
            return Membership(column, self.values(), negated)
        raise self._fail(self._comparison_hint(column, negated))

    def _comparison_hint(self, column: str, negated: bool) -> str:
        if negated:
            return "'in' after 'not'"
        hint = {
            "(": " (calls are not part of target expressions)",
            "[": " (indexing is not part of target expressions)",
        }.get(self.current.text, "")
        return f"a comparison (==, !=, <, <=, >, >=, in, not in) after {column!r}{hint}"

    def values(self) -> tuple[Literal, ...]:
        self._expect("punctuation", "[", "'[' opening a list of values")
        values = [self.literal()]
        while self._at("punctuation", ","):
            self._take()
            if self._at("punctuation", "]"):
                break
            values.append(self.literal())
        self._expect("punctuation", "]", "',' or ']' closing the list")
        return tuple(values)

    def literal(self) -> Literal:
        sign = 1
        if self._at("punctuation", "-"):
            self._take()
            sign = -1
            if not self._at("number"):
                raise self._fail("a number after '-'")
        token = self.current
        if token.kind == "number":
            self._take()
            return sign * _number(self.text, token)
        if token.kind == "string":
            self._take()
            return token.text[1:-1]
        if self._at("keyword", "true") or self._at("keyword", "false"):
            self._take()
            return token.text == "true"
        hint = f" (quote text: '{token.text}')" if token.kind == "name" else ""
        raise self._fail(f"a value: a number, 'quoted text', true or false{hint}")


def _number(text: str, token: Token) -> int | float:
    if re.fullmatch(r"\d+", token.text):
        return int(token.text)
    value = float(token.text)
    if not math.isfinite(value):
        raise _error(text, token.position, "a finite number", repr(token.text))
    return value


def expression_columns(node: Node) -> list[str]:
    """Every column a tree reads, in order of appearance (repeats included)."""
    if isinstance(node, Comparison | Membership):
        return [node.column]
    if isinstance(node, Negation):
        return expression_columns(node.operand)
    return [name for operand in node.operands for name in expression_columns(operand)]


def parse_syntax(text: str) -> Node:
    """Parse an expression into its tree, never evaluating it as Python.

    Raises
    ------
    ConfigError
        On ``data.derive_target``, naming the position, what was expected and
        what was received; also for empty text, text over
        :data:`MAX_EXPRESSION_LENGTH` characters or nested deeper than
        :data:`MAX_NESTING`.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(
            FIELD, f"expected an expression such as 'status == 2', received {text!r}"
        )
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ConfigError(
            FIELD,
            f"expected at most {MAX_EXPRESSION_LENGTH} characters, received "
            f"{len(text)}",
        )
    return _Parser(text).parse()
