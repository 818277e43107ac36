"""Target expressions (issue 22 item 7): grammar, evaluation, refused input."""

from __future__ import annotations

import builtins
import itertools

import numpy as np
import pandas as pd
import pytest

from core.data.expression_syntax import (
    MAX_EXPRESSION_LENGTH,
    MAX_NESTING,
    Comparison,
    Junction,
    Membership,
    Negation,
    parse_syntax,
)
from core.data.target_expression import parse_target_expression
from core.errors import ConfigError


def _labels(expression: str, table: pd.DataFrame) -> list:
    """Derived labels as plain values, None where missing."""
    values = parse_target_expression(expression).evaluate(table)
    return [None if value is pd.NA else int(value) for value in values]


@pytest.fixture
def flags() -> pd.DataFrame:
    """Every combination of three 0/1 columns."""
    rows = list(itertools.product((0, 1), repeat=3))
    return pd.DataFrame(rows, columns=["a", "b", "c"])


def test_and_binds_tighter_than_or(flags):
    expected = [int(a or (b and c)) for a, b, c in flags.itertuples(index=False)]
    assert _labels("a == 1 or b == 1 and c == 1", flags) == expected
    assert parse_syntax("a == 1 or b == 1 and c == 1") == Junction(
        "or",
        (
            Comparison("a", "==", 1),
            Junction("and", (Comparison("b", "==", 1), Comparison("c", "==", 1))),
        ),
    )


def test_not_binds_tighter_than_and_and_parentheses_regroup(flags):
    rows = list(flags.itertuples(index=False))
    not_first = [int((not a) and b) for a, b, _ in rows]
    assert _labels("not a == 1 and b == 1", flags) == not_first
    grouped = [int(not (a and b)) for a, b, _ in rows]
    assert _labels("not (a == 1 and b == 1)", flags) == grouped
    regrouped = [int((a or b) and c) for a, b, c in rows]
    assert _labels("(a == 1 or b == 1) and c == 1", flags) == regrouped


def test_keywords_are_case_insensitive(flags):
    assert _labels("a == 1 AND Not b == 1", flags) == _labels(
        "a == 1 and not b == 1", flags
    )


def test_membership_with_numbers_and_text():
    table = pd.DataFrame({"status": [1, 2, 3, 4], "kind": ["a", "b", "c", "a"]})
    assert _labels("status in [2, 4]", table) == [0, 1, 0, 1]
    assert _labels("status not in [2, 4,]", table) == [1, 0, 1, 0]
    assert _labels("kind in ['a', \"c\"]", table) == [1, 0, 1, 1]
    assert parse_syntax("kind not in ['a']") == Membership("kind", ("a",), True)


def test_text_may_hold_the_other_kind_of_quote():
    table = pd.DataFrame({"note": ["it's", 'say "hi"', "plain"]})
    assert _labels('note == "it\'s"', table) == [1, 0, 0]
    assert _labels("note == 'say \"hi\"'", table) == [0, 1, 0]
    assert _labels("note != 'plain'", table) == [1, 1, 0]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("value >= 2.5", [0, 1, 1]),
        ("value < -1e-3", [1, 0, 0]),
        ("value > .5", [0, 1, 1]),
        ("value <= 2.5", [1, 1, 0]),
        ("value == 3.75", [0, 0, 1]),
    ],
    ids=["ge", "negative-exponent", "leading-point", "le", "eq-float"],
)
def test_floats(expression, expected):
    table = pd.DataFrame({"value": [-0.5, 2.5, 3.75]})
    assert _labels(expression, table) == expected


def test_backquoted_names_hold_spaces_dots_and_keywords():
    table = pd.DataFrame({"peak load": [1, 9], "a.b": [0, 1], "and": [5, 5]})
    assert _labels("`peak load` > 5", table) == [0, 1]
    assert _labels("`a.b` == 1 and `and` == 5", table) == [0, 1]
    assert parse_target_expression("`peak load` > 5 or `a.b` == 1").columns == (
        "peak load",
        "a.b",
    )


def test_a_missing_value_gives_a_missing_label_not_a_zero():
    table = pd.DataFrame(
        {"status": [2.0, 1.0, np.nan, np.nan], "kind": ["x", None, "", "x"]}
    )
    assert _labels("status == 2", table) == [1, 0, None, None]
    assert _labels("status != 2", table) == [0, 1, None, None]
    assert _labels("kind == 'x'", table) == [1, None, None, 1]
    assert _labels("kind not in ['x']", table) == [0, None, None, 0]


def test_and_or_follow_three_valued_logic():
    table = pd.DataFrame({"a": [np.nan, np.nan, np.nan], "b": [1, 0, 1]})
    # Unknown or true is true; unknown and false is false; otherwise unknown.
    assert _labels("a == 1 or b == 1", table) == [1, None, 1]
    assert _labels("a == 1 and b == 1", table) == [None, 0, None]
    assert _labels("not a == 1", table) == [None, None, None]


def test_numbers_compare_with_numbers_written_as_text():
    table = pd.DataFrame({"code": ["2", "E5", "10", None]})
    assert _labels("code == 2", table) == [1, 0, 0, None]
    assert _labels("code in [10, 'E5']", table) == [0, 1, 1, None]
    with pytest.raises(ConfigError, match="column 'code'.*'E5'"):
        _labels("code > 1", table)


def test_text_against_a_numeric_column_names_the_column():
    table = pd.DataFrame({"status": [1, 2]})
    with pytest.raises(ConfigError, match="column 'status'.*text '2'"):
        _labels("status == '2'", table)


def test_true_and_false_against_flags():
    table = pd.DataFrame({"ok": [True, False]})
    assert _labels("ok == true", table) == [1, 0]
    text = pd.DataFrame({"ok": pd.Series([True, None, "false"], dtype=object)})
    assert _labels("ok == FALSE", text) == [0, None, 1]


def test_an_unknown_column_is_named_with_close_matches():
    table = pd.DataFrame({"status": [1], "value": [2]})
    with pytest.raises(ConfigError, match="'stauts'; did you mean 'status'") as error:
        _labels("stauts == 2", table)
    assert error.value.field == "data.derive_target"
    assert "'value'" in error.value.message


#: Untrusted text that must never reach Python: id -> expression.
INJECTIONS = {
    "dunder-import": "__import__('os').system('ls') == 0",
    "dunder-name": "__class__ == 1",
    "attribute": "a.b == 1",
    "dunder-attribute": "status.__class__ == 1",
    "call": "f(x) == 1",
    "eval-call": "eval('1') == 1",
    "call-in-value": "a == exec('x')",
    "index": "x[0] == 1",
    "statement": "a == 1; b == 2",
    "lambda": "lambda: 1",
    "import": "import os",
    "backslash-in-text": "a == '\\x41'",
    "backslash": "a == 1 \\",
    "assignment": "a = 1",
    "comprehension": "[x for x in a]",
    "conditional": "a == 1 if b else 0",
    "bitwise": "a == 1 | b == 1",
    "tuple-attribute": "().__class__ == 1",
    "unclosed-text": "a == 'open",
    "format": "a == f'{x}'",
}


@pytest.mark.parametrize("expression", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_strings_get_a_clear_error(expression):
    with pytest.raises(ConfigError, match=r"at character \d+ of .*expected") as error:
        parse_target_expression(expression)
    assert error.value.field == "data.derive_target"


@pytest.mark.parametrize(
    ("expression", "received"),
    [
        ("__import__('os')", "dunder name '__import__'"),
        ("a.b == 1", "attribute access"),
        ("f(x) == 1", "calls are not part"),
        ("x[0] == 1", "indexing is not part"),
        ("a == 1; b == 2", "statement separator"),
        ("lambda: 1", "Python keyword 'lambda'"),
        ("a == '\\n'", "backslash"),
    ],
    ids=["dunder", "attribute", "call", "index", "statement", "lambda", "backslash"],
)
def test_each_refusal_says_what_it_saw(expression, received):
    with pytest.raises(ConfigError, match=received):
        parse_target_expression(expression)


def test_errors_name_the_position_and_what_was_expected():
    with pytest.raises(ConfigError) as error:
        parse_target_expression("status == ")
    assert error.value.message.startswith("at character 11 of 'status == ': expected")
    assert "received the end of the expression" in error.value.message


def test_length_and_nesting_are_limited():
    long = "a == 1 or " * 60 + "a == 1"
    assert len(long) > MAX_EXPRESSION_LENGTH
    with pytest.raises(ConfigError, match=f"at most {MAX_EXPRESSION_LENGTH}"):
        parse_target_expression(long)
    deep = "(" * (MAX_NESTING + 1) + "a == 1" + ")" * (MAX_NESTING + 1)
    with pytest.raises(ConfigError, match="nested"):
        parse_target_expression(deep)
    nots = "not " * (MAX_NESTING + 1) + "a == 1"
    with pytest.raises(ConfigError, match="nested"):
        parse_target_expression(nots)
    ok = "(" * MAX_NESTING + "a == 1" + ")" * MAX_NESTING
    assert parse_syntax(ok) == Comparison("a", "==", 1)


def test_ordering_needs_a_number():
    with pytest.raises(ConfigError, match="a number after '>'"):
        parse_target_expression("status > 'high'")


def test_no_eval_exec_or_pandas_eval_is_used(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval-like call")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(pd, "eval", refuse)
    monkeypatch.setattr(pd.DataFrame, "eval", refuse)
    monkeypatch.setattr(pd.DataFrame, "query", refuse)
    table = pd.DataFrame({"status": [2, 1, None], "kind": ["a", "b", "a"]})
    expression = "(status == 2 or kind in ['b']) and not `kind` == 'z'"
    assert _labels(expression, table) == [1, 1, None]
    assert parse_syntax("not a == 1") == Negation(Comparison("a", "==", 1))
