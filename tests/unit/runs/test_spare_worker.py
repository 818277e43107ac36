"""The spare worker's hand-over: examples prepared by the launcher, over a pipe.

Fast: nothing here imports TensorFlow (the spare's full path, which does, is
in ``test_executor.py``).
"""

from __future__ import annotations

import io
import json
import pickle
import sys

import numpy as np
import pytest

from core.examples.prepare import prepare_experiment
from core.runs.executors.local import LocalExecutor
from core.runs.executors.spare import PREPARED_HEADER
from core.runs.store import RunStore
from core.runs.worker import wait_for_run
from tests.support.configs import tiny_run_config
from tests.support.tables import make_long_table


def _same_examples(left, right) -> None:
    assert left.parts.keys() == right.parts.keys()
    for name in left.parts:
        assert np.array_equal(left.parts[name].end_rows, right.parts[name].end_rows)
        assert np.array_equal(left.parts[name].lengths, right.parts[name].lengths)
        assert np.array_equal(left.parts[name].labels, right.parts[name].labels)
    assert np.array_equal(left.encoded.categorical, right.encoded.categorical)
    assert np.array_equal(left.encoded.numeric, right.encoded.numeric)


def test_the_payload_holds_what_the_worker_would_prepare(tmp_path):
    store = RunStore(tmp_path / "runs")
    record = store.create(
        make_long_table(seed=3), tiny_run_config(), ("embedding",), "t"
    )
    payload = LocalExecutor(store)._prepared_payload(record.id)
    sent = pickle.loads(payload)
    own = prepare_experiment(store.load_data(record), record.config)
    _same_examples(sent, own)
    assert sent.preprocessor.to_dict() == own.preprocessor.to_dict()


def test_data_the_worker_will_refuse_is_left_for_it_to_report(tmp_path):
    store = RunStore(tmp_path / "runs")
    table = make_long_table(seed=3).assign(label=1)  # one class: refused
    record = store.create(table, tiny_run_config(), ("embedding",), "t")
    assert LocalExecutor(store)._prepared_payload(record.id) is None


SETTINGS = {
    "run_id": "20261202-010203-abcdef",
    "runs_dir": "runs",
    "slots": 2,
    "per_user": 0,
}
SETTINGS_LINE = json.dumps(SETTINGS).encode() + b"\n"


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_the_spare_reads_its_run_id_and_the_examples(monkeypatch):
    payload = pickle.dumps({"examples": [1, 2, 3]})
    header = f"{PREPARED_HEADER} {len(payload)}\n".encode()
    _stdin(monkeypatch, SETTINGS_LINE + header + payload)
    assert wait_for_run(None) == (SETTINGS, {"examples": [1, 2, 3]})


@pytest.mark.parametrize(
    "tail",
    [b"", b"prepared 999\nshort", b"garbage\n"],
    ids=["id-only", "truncated", "unknown-header"],
)
def test_without_whole_examples_the_spare_prepares_them_itself(monkeypatch, tail):
    _stdin(monkeypatch, SETTINGS_LINE + tail)
    assert wait_for_run(None) == (SETTINGS, None)


class _FakeSpare:
    """Records when the command line lets it go."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_streamed_run_lets_the_spare_go_before_it_trains(monkeypatch, tmp_path):
    import core.cli.dataset
    from core.cli.main import main

    spare, seen = _FakeSpare(), []

    def train_dataset(args) -> int:
        seen.append(spare.closed)
        return 0

    monkeypatch.setattr(core.cli.dataset, "command_train_dataset", train_dataset)
    folder = tmp_path / "shards"
    folder.mkdir()
    command = ["train", "--data", str(folder), "--target", "label"]
    assert main(command, spare=spare) == 0
    assert seen == [True], "closed before the streamed run started"
