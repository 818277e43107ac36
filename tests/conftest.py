"""Fixtures shared by every test; the builders behind them live in tests/support."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from tests.support.robust import tiny_config, tiny_table
from tests.support.tables import make_long_table

# Quiet TensorFlow's C++ start-up chatter in test logs; set before any import of it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def long_table() -> pd.DataFrame:
    """A fresh small table for each test."""
    return make_long_table()


@pytest.fixture(autouse=True, scope="session")
def _private_run_store(tmp_path_factory):
    """Every test session trains into its own run store, never ./runs."""
    folder = tmp_path_factory.mktemp("run_store")
    previous = os.environ.get("SEQ_EMBED_RUNS_DIR")
    os.environ["SEQ_EMBED_RUNS_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("SEQ_EMBED_RUNS_DIR", None)
    else:
        os.environ["SEQ_EMBED_RUNS_DIR"] = previous


@pytest.fixture(scope="session")
def trained_bundle():
    """A bundle trained for one epoch on ``tiny_table`` (built once, when asked)."""
    from core.model.bundle import bundle_from_result
    from core.model.experiment import run_experiment

    return bundle_from_result(run_experiment(tiny_table(), tiny_config()))


@pytest.fixture(scope="session")
def bundle_dir(trained_bundle, tmp_path_factory):
    """The trained bundle saved to disk (read-only for tests: copy to damage it)."""
    from core.model.bundle import save_bundle

    return save_bundle(trained_bundle, tmp_path_factory.mktemp("robust") / "bundle")
