"""Every subpackage's public names resolve, and none needs Keras to be listed."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "core.data",
    "core.features",
    "core.examples",
    "core.model",
    "core.runs",
    "core.runs.executors",
    "core.analysis",
    "core.plots",
    "core.cli",
    "core.serve",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves(package):
    module = importlib.import_module(package)
    assert module.__all__, f"{package} lists no public names"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        importlib.import_module("core.data").nothing_here  # noqa: B018
