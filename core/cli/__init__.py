"""The command line, ``python -m core``: every page action without the UI.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "compare": [],
        "dataset": [],
        "insight": [],
        "main": ["build_config", "build_parser", "main", "read_data"],
        "runs": [],
    },
)
