"""Configure page: a binary target derived from an expression, with its class balance.

The expression is parsed by :mod:`core.data.expression_syntax` (never by
``eval``): the text box is untrusted input on a shared server.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.config import DataConfig
from core.data.derived_target import target_balance
from core.data.target_expression import parse_target_expression
from core.errors import CoreError
from ui import state
from ui.text import literal

DERIVE_KEY = "cfg_derive"
NAME_KEY = "cfg_derive_name"
EXPRESSION_KEY = "cfg_derive_expression"
#: The new target column's name the page suggests.
DEFAULT_NAME = "target"
GRAMMAR_HELP = (
    "Compare a column with a value: `status == 2`, `value > 100`, "
    "`kind in ['a', 'b']`, `kind not in ['c']`; combine with `and`, `or`, `not` "
    "and parentheses; write a column name holding spaces or dots in backquotes "
    "(`` `peak load` > 5 ``). Rows where a value it reads is missing get no "
    "label. It is never run as Python."
)


def derive_toggle(column, data: DataConfig | None) -> bool:
    """The switch between a target column and a derived target (off by default)."""
    derived = data is not None and data.derive_target is not None
    return column.toggle(
        "Derive the target from an expression", value=derived, key=DERIVE_KEY
    )


def target_name(column, data: DataConfig | None) -> str:
    """The derived target's column name; the saved one, else ``target``."""
    saved = data.target_column if data and data.derive_target else DEFAULT_NAME
    name = column.text_input("Target name", saved, key=NAME_KEY)
    column.caption("A derived target is binary: 1 where the expression holds.")
    return name.strip() or DEFAULT_NAME


def expression_input(
    frame: pd.DataFrame, data: DataConfig | None
) -> tuple[str, tuple[str, ...]]:
    """The expression box and a live preview of the class balance it gives.

    Returns the expression and the columns it reads (while it does not parse,
    those of the last one that did; saving then shows the config's error).
    """
    saved = (data.derive_target or "") if data else ""
    expression = st.text_input(
        "Target expression",
        saved,
        placeholder="status == 2",
        help=GRAMMAR_HELP,
        key=EXPRESSION_KEY,
    )
    if not expression.strip():
        st.info("Type an expression to see the class balance it gives.")
        return expression, ()
    try:
        sources = parse_target_expression(expression).columns
        state.put(state.DERIVE_SOURCES, sources)
        balance = target_balance(frame, expression)
    except CoreError as error:
        st.error(f"Target expression: {literal(error)}")
        # The last expression that parsed keeps its columns out of the features,
        # so correcting a typo does not shuffle the feature lists.
        return expression, tuple(state.get(state.DERIVE_SOURCES) or ())
    st.dataframe(_shown_balance(balance), hide_index=True, key="derive_balance")
    st.caption(
        f"Reads {', '.join(literal(name) for name in sources)}: "
        "left out of the features, since they would give the label away."
    )
    return expression, sources


def _shown_balance(balance: pd.DataFrame) -> pd.DataFrame:
    """Rows as counts with thousands separators and shares as percentages."""
    return balance.assign(
        rows=[f"{count:,}" for count in balance["rows"]],
        share=[f"{share:.1%}" for share in balance["share"]],
    )
