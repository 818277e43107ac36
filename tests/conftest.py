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
def tiny_result():
    """One finished experiment (one epoch) on ``tiny_table``, trained once per session.

    Tests that only read a trained model, its bundle or its metrics share it
    instead of training their own.
    """
    from core.model.experiment import run_experiment

    return run_experiment(tiny_table(), tiny_config())


@pytest.fixture(scope="session")
def tiny_bundle():
    """A bundle of an untrained network on ``tiny_table`` (fitted preprocessor).

    For tests of saving, loading, damage and prediction files, which need a
    real bundle but not learned weights: no training, so they stay fast.
    """
    from core.examples.prepare import prepare_experiment
    from core.model.bundle import Bundle
    from core.model.network import build_model

    config = tiny_config()
    prepared = prepare_experiment(tiny_table(), config)
    return Bundle(
        build_model(config, prepared.preprocessor), prepared.preprocessor, config
    )


@pytest.fixture(scope="session")
def bundle_dir(tiny_bundle, tmp_path_factory):
    """:func:`tiny_bundle` saved to disk (read-only for tests: copy to damage it)."""
    from core.model.bundle import save_bundle

    return save_bundle(tiny_bundle, tmp_path_factory.mktemp("robust") / "bundle")


@pytest.fixture(scope="session")
def tiny_comparison_runs(tmp_path_factory):
    """A two-seed comparison of finished runs in a store of its own (trained once).

    Returns ``(store root, comparison id, records, frame)``; tests read it and
    never add or delete runs there.
    """
    from tests.support.insight_runs import tiny_comparison

    root = tmp_path_factory.mktemp("comparison") / "runs"
    return (root, *tiny_comparison(str(root)))
