"""Names of model inputs and layers derived from user column names.

Column names can hold any text; Keras names should not (``/`` breaks weight paths),
so every name goes through :func:`safe_name`. The mapping is deterministic, which
lets embeddings be fetched by layer name from a reloaded model.
"""

from __future__ import annotations

import hashlib
import re

NUMERIC_INPUT = "numeric_features"
MASK_INPUT = "step_mask"

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def safe_name(column: str) -> str:
    """A Keras-safe identifier for ``column``, unique per distinct column name.

    Names that had to be altered get a short hash suffix so that two columns that
    differ only in punctuation never collide.

    Examples
    --------
    >>> safe_name("machine_type")
    'machine_type'
    >>> safe_name("error code").startswith("error_code_")
    True
    """
    cleaned = _UNSAFE.sub("_", column)
    if cleaned == column and cleaned and not cleaned[0].isdigit():
        return cleaned
    digest = hashlib.sha1(column.encode("utf-8")).hexdigest()[:6]
    return f"c_{cleaned}_{digest}" if cleaned[:1].isdigit() else f"{cleaned}_{digest}"


def categorical_input_name(column: str) -> str:
    """Name of the ``Input`` carrying ``column``'s category indices."""
    return f"cat_{safe_name(column)}"


def embedding_layer_name(column: str) -> str:
    """Name of the ``Embedding`` layer of ``column``."""
    return f"embedding_{safe_name(column)}"
