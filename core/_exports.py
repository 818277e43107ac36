"""Lazy public APIs for core's subpackages.

Each subpackage's ``__init__`` lists its public names and the module that defines
each (the pattern SciPy and scikit-image use, "SPEC 1" of the Scientific Python
project). A name's module is imported on first access, so ``import core.model``
costs nothing until a model name is used, and ``from core.runs import RunStore``
never loads Keras. This is why the pages and the command line can import what
they need at module level without paying for TensorFlow up front.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for a lazily loaded package.

    ``exports`` maps each implementation module (relative to ``package``) to the
    public names it defines. A submodule is also reachable as an attribute.

    >>> getattr_, dir_, all_ = lazy_exports("core", {"errors": ["CoreError"]})
    >>> all_
    ['CoreError']
    >>> getattr_("CoreError").__name__
    'CoreError'
    """
    owner = {name: module for module, names in exports.items() for name in names}
    public = sorted(owner)

    def module_getattr(name: str) -> Any:
        if name in owner:
            value = getattr(import_module(f"{package}.{owner[name]}"), name)
        elif name in exports:
            value = import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # Cache on the package, so the next access is a plain attribute.
        setattr(sys.modules[package], name, value)
        return value

    def module_dir() -> list[str]:
        return sorted(set(public) | set(exports))

    return module_getattr, module_dir, public
