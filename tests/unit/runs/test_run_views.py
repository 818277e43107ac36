"""Run views: live progress from progress lines, config differences, tables."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.runs.store import RunStatus, RunStore
from core.runs.views import config_difference, flatten, live_progress, runs_table
from tests.support.configs import store_config as _config
from tests.support.runs import create_run as _create


@pytest.fixture
def record(tmp_path):
    store = RunStore(tmp_path / "runs")
    created = _create(store)
    return store.update(created.id, status="running", started=created.created)


def _batch(epoch: int, batch: int, kind: str = "batch", index: int = 0) -> dict:
    return {
        "kind": kind,
        "phase": "training",
        "encoding": "embedding",
        "index": index,
        "count": 1,
        "epoch": epoch,
        "epochs": 4,
        "batch": batch,
        "batches": 10,
        "logs": {"loss": 0.5 - epoch * 0.1, "val_loss": 0.6}
        if kind == "epoch"
        else {"loss": 0.4},
    }


def test_progress_moves_through_the_phases(record):
    events = [{"kind": "phase", "phase": "starting", "time": 0}]
    starting = live_progress(record, events)
    assert "TensorFlow" in starting.text
    events += [{"kind": "phase", "phase": "prepared", "notes": ["sorted rows"]}]
    events += [
        {"kind": "phase", "phase": "training", "encoding": "embedding", "index": 0}
    ]
    middle = live_progress(record, [*events, _batch(1, 4)], now=record.started + 30)
    assert 0.05 < middle.fraction < 0.95
    assert "epoch 2/4" in middle.text
    assert "batch 5/10" in middle.text
    assert middle.batch_loss == 0.4
    assert middle.notes == ["sorted rows"]
    assert middle.remaining is not None
    assert middle.remaining > 0
    later = live_progress(record, [*events, _batch(3, 9)], now=record.started + 60)
    assert later.fraction > middle.fraction


def test_epoch_lines_build_the_curves(record):
    events = [_batch(0, 9, "epoch"), _batch(1, 9, "epoch")]
    view = live_progress(record, events)
    assert view.curves["embedding"]["loss"] == [0.5, 0.4]
    assert view.curves["embedding"]["val_loss"] == [0.6, 0.6]


def test_a_queued_run_shows_its_position(record):
    view = live_progress(record, [], queue_position=3)
    assert "position 3" in view.text


def test_a_final_run_is_complete(record, tmp_path):
    done = type(record)(**{**record.__dict__, "status": RunStatus.DONE})
    assert live_progress(done, [_batch(0, 1)]).fraction == 1.0


def test_config_difference_lists_only_what_differs(tmp_path):
    store = RunStore(tmp_path / "runs")
    first = _create(store)
    second = store.create(
        store.load_data(first),
        _config().replace(train=replace(_config().train, seed=7)),
        ("embedding", "onehot"),
        "t.csv",
    )
    difference = config_difference(first, second)
    assert set(difference["setting"]) == {"train.seed", "encodings"}


def test_flatten_and_runs_table():
    assert flatten({"a": {"b": 1, "c": [1, 2]}}) == {"a.b": 1, "a.c": [1, 2]}
    table = runs_table(
        [
            {
                "id": "x", "status": "done", "data": "d", "target": "y",
                "task": "binary", "encodings": ["embedding"],
                "metrics": {"embedding": {"roc_auc": 0.8}},
                "seconds": 3.0, "created": "2026",
            }
        ]
    )  # fmt: skip
    assert table.loc[0, "embedding test roc_auc"] == 0.8
    assert table.loc[0, "onehot test roc_auc"] is None
