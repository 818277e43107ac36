"""Shared fixtures: tiny seeded long-format tables with planted structure."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

# Quiet TensorFlow's C++ start-up chatter in test logs; set before any import of it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

KINDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
#: Hidden group of each kind: kinds in group 1 drift upwards and fail.
KIND_GROUP = {"alpha": 0, "beta": 1, "gamma": 0, "delta": 1, "epsilon": 0, "zeta": 1}


def make_long_table(
    seed: int = 0,
    entities: int = 40,
    min_length: int = 4,
    max_length: int = 12,
    missing_share: float = 0.05,
) -> pd.DataFrame:
    """Long-format table: one row per entity per step.

    Columns: ``entity`` (int id), ``step`` (int time), ``kind`` (string category
    whose hidden group decides the label), ``shift`` (integer category that
    includes a real category 0), ``reading`` (float with missing values),
    ``label`` (binary, constant per entity) and ``level`` (regression target).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for entity in range(entities):
        kind = KINDS[entity % len(KINDS)]
        group = KIND_GROUP[kind]
        length = int(rng.integers(min_length, max_length + 1))
        for step in range(length):
            reading = rng.normal(loc=group * 0.5 * step / length, scale=0.3)
            rows.append(
                {
                    "entity": entity + 1,
                    "step": step,
                    "kind": kind,
                    "shift": int(rng.integers(0, 3)),
                    "reading": reading,
                    "label": group,
                    "level": 2.0 * group + reading + rng.normal(scale=0.1),
                }
            )
    frame = pd.DataFrame(rows)
    missing = rng.random(len(frame)) < missing_share
    frame.loc[missing, "reading"] = np.nan
    frame["kind"] = frame["kind"].astype(object)
    frame.loc[rng.random(len(frame)) < missing_share, "kind"] = None
    return frame


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


def tiny_run_config(epochs: int = 2, seed: int = 0):
    """A small binary experiment on :func:`make_long_table` that trains in seconds."""
    from core.config import (
        ColumnSpec,
        DataConfig,
        ExperimentConfig,
        ModelConfig,
        TrainConfig,
    )

    return ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind", 3), ColumnSpec("shift", 2)),
            numeric_columns=("reading",),
            task="binary",
        ),
        model=ModelConfig(lstm_units=(8,), dense_units=0),
        train=TrainConfig(epochs=epochs, batch_size=8, patience=epochs, seed=seed),
    )


def wait_for(predicate: Callable[[], bool], seconds: float, interval: float) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")
