"""``train`` prints the pre-flight's warnings on the split and the features."""

from __future__ import annotations

import pytest

import core.cli.train
from core.cli.main import main
from tests.support.tables import follow_up_table, monthly_table


class _Submitted(Exception):
    """Raised instead of starting a run: the test ends where training would."""


class _NoTraining:
    """An executor that records nothing and trains nothing."""

    def start_spare(self, spare) -> None:
        pass

    def close_spare(self) -> None:
        pass

    def submit(self, *arguments, **options):
        raise _Submitted


@pytest.fixture
def no_training(monkeypatch):
    monkeypatch.setattr(
        core.cli.train, "executor_from_args", lambda args: _NoTraining()
    )


def _notes(capsys, command: list[str]) -> str:
    with pytest.raises(_Submitted):
        main(command)
    return capsys.readouterr().err


def test_train_prints_unseen_months_before_the_run(no_training, tmp_path, capsys):
    data = tmp_path / "sales.csv"
    monthly_table(months=24).to_csv(data, index=False)
    err = _notes(
        capsys,
        [
            "train", "--data", str(data), "--target", "sales", "--id", "store",
            "--time", "date", "--categorical", "month,promo", "--numeric", "",
            "--task", "regression", "--framing", "window", "--window", "3",
            "--horizon", "1", "--split-method", "time",
        ],
    )  # fmt: skip
    assert "note: column 'month':" in err
    assert "data.time_features = ['month']" in err


def test_train_prints_a_likely_leak(no_training, tmp_path, capsys):
    data = tmp_path / "patients.csv"
    follow_up_table().to_csv(data, index=False)
    err = _notes(
        capsys,
        [
            "train", "--data", str(data), "--target", "died", "--id", "patient",
            "--time", "visit", "--categorical", "clinic",
            "--numeric", "age,follow_up_days,heart_rate",
        ],
    )  # fmt: skip
    assert "note: column 'follow_up_days' is constant within every entity" in err
