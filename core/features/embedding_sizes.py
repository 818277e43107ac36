"""Rules for choosing an embedding width from a column's cardinality.

The default is fastai's rule of thumb, ``min(600, round(1.6 * n ** 0.56))``, where
``n`` counts the rows of the embedding table a user can reach (the real categories
plus the unknown row). A width is never larger than ``n``: beyond that the extra
dimensions can only repeat information.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from core.errors import ConfigError


def _fastai(n: int) -> int:
    return min(600, round(1.6 * n**0.56))


def _fastai_capped_100(n: int) -> int:
    return min(100, round(1.6 * n**0.56))


def _half(n: int) -> int:
    return min(50, (n + 1) // 2)


def _fourth_root(n: int) -> int:
    return math.ceil(n**0.25)


#: Named rules, each a function of the number of reachable categories.
RULES: dict[str, Callable[[int], int]] = {
    "fastai": _fastai,
    "fastai_capped_100": _fastai_capped_100,
    "half_capped_50": _half,
    "fourth_root": _fourth_root,
}

#: One-line explanation of each rule, for the UI.
RULE_DESCRIPTIONS: dict[str, str] = {
    "fastai": "min(600, round(1.6 * n^0.56)) (fastai default)",
    "fastai_capped_100": "min(100, round(1.6 * n^0.56))",
    "half_capped_50": "min(50, (n + 1) // 2)",
    "fourth_root": "ceil(n^0.25) (TensorFlow feature-column guide)",
}

DEFAULT_RULE = "fastai"


def suggest_embedding_dim(cardinality: int, rule: str = DEFAULT_RULE) -> int:
    """Embedding width that ``rule`` suggests for ``cardinality`` categories.

    Parameters
    ----------
    cardinality : int
        Number of distinct real categories (missing counts as one).
    rule : str
        A key of :data:`RULES`.

    Returns
    -------
    int
        A width between 1 and ``cardinality + 1`` (the unknown row included).

    Raises
    ------
    ConfigError
        If the rule is unknown or the cardinality is negative.

    Examples
    --------
    >>> suggest_embedding_dim(10)
    6
    >>> suggest_embedding_dim(100_000)
    600
    """
    if rule not in RULES:
        raise ConfigError(
            "embedding_rule", f"expected one of {sorted(RULES)}, received {rule!r}"
        )
    if cardinality < 0:
        raise ConfigError(
            "embedding_rule", f"expected a cardinality >= 0, received {cardinality}"
        )
    reachable = cardinality + 1
    return max(1, min(reachable, RULES[rule](reachable)))


def default_embedding_dim(cardinality: int) -> int:
    """Width given by the documented default rule (see :data:`DEFAULT_RULE`)."""
    return suggest_embedding_dim(cardinality, DEFAULT_RULE)


def embedding_parameters(cardinality: int, dim: int) -> int:
    """Trainable weights of an embedding table (padding and unknown rows included)."""
    return (cardinality + 2) * dim
