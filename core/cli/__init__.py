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
        "experiment": ["build_config"],
        "follow": [],
        "insight": [],
        "main": ["build_parser", "main"],
        "options": ["read_data"],
        "predict": [],
        "runs": [],
        "train": [],
    },
)
