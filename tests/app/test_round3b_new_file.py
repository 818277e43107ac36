"""Predictions on a new file follow the threshold and say what the run trained on.

Issue 23 items 6 and 7: new-file decisions and metrics used 0.5 whatever the
slider said, and rows of training entities were scored with no warning.
"""

from __future__ import annotations

import pytest

from core.runs.executors.local import LocalExecutor
from core.runs.new_data import training_entities
from core.runs.store import RunStatus, RunStore
from tests.support.app import RUN_SECONDS, open_page, shown
from tests.support.configs import tiny_run_config
from tests.support.tables import make_long_table
from ui import state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def binary_run():
    """A one-epoch binary run on a small table, and that table."""
    table = make_long_table(seed=3, entities=30)
    executor = LocalExecutor(RunStore())
    record = executor.submit(table, tiny_run_config(epochs=1), ("embedding",), "t.csv")
    done = executor.wait(record.id, timeout=RUN_SECONDS)
    assert done.status is RunStatus.DONE, done.error
    return done, table


def _predict(app, table) -> None:
    app.file_uploader(key="pred_new_file").upload(
        "new.csv", table.to_csv(index=False).encode(), "text/csv"
    ).run()
    app.button(key="pred_run").click().run()
    assert not app.exception, app.exception


def _new_table(app):
    """The new file's predictions: the last table with probabilities."""
    return [t.value for t in app.dataframe if "probability" in t.value.columns][-1]


def _new_metrics(app):
    """The new file's metrics: the last table with an example count."""
    return [t.value for t in app.dataframe if "n" in t.value.columns][-1]


def test_new_file_decisions_and_metrics_follow_the_threshold(binary_run):
    record, table = binary_run
    app = open_page("predictions", {state.OPEN_RUN: record.id})
    app.slider(key="pred_threshold").set_value(0.01).run()
    _predict(app, table)
    predicted = _new_table(app)
    assert (predicted["predicted"].astype(str) == "1").all()
    metrics = _new_metrics(app)
    assert (metrics["recall"] == 1.0).all()
    assert list(metrics["threshold"]) == [0.01, 0.01]
    app.slider(key="pred_threshold").set_value(0.99).run()
    assert (_new_table(app)["predicted"].astype(str) == "0").all()
    assert list(_new_metrics(app)["threshold"]) == [0.99, 0.99]


def test_overlap_with_the_training_split_is_said_and_scored_apart(binary_run):
    record, table = binary_run
    trained = training_entities(table, record.config)
    app = open_page("predictions", {state.OPEN_RUN: record.id})
    _predict(app, table)
    warnings = " ".join(shown(w.value) for w in app.warning)
    assert f"{len(trained)} of 30 entities" in warnings
    metrics = _new_metrics(app).set_index("examples")
    new_rows = _new_table(app)
    unseen = new_rows[~new_rows["in_training"]]
    assert metrics.loc["entities not in training", "n"] == len(unseen)
    assert metrics.loc["all entities", "n"] == len(new_rows)
