"""Runs in a store for the tests, and a bounded wait for what a run does next."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.runs.store import RunRecord, RunStore
from tests.support.configs import store_config
from tests.support.tables import make_long_table


def create_run(store: RunStore, seed: int = 0) -> RunRecord:
    """A queued run of the embedding arm over ``make_long_table(seed)``."""
    return store.create(
        make_long_table(seed=seed), store_config(), ("embedding",), "t.csv"
    )


def wait_for(predicate: Callable[[], bool], seconds: float, interval: float) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")
