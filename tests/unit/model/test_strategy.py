"""Which tf.distribute strategy a run trains under, decided without a GPU."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.model.strategy import choose_strategy, cudnn_notes


@pytest.mark.parametrize(
    ("gpus", "setting", "expected"),
    [
        (0, None, "default"),
        (1, None, "default"),
        (2, None, "mirrored"),
        (8, "auto", "mirrored"),
        (4, "default", "default"),
        (1, "mirrored", "mirrored"),
        (2, " Mirrored ", "mirrored"),
    ],
)
def test_mirrored_only_with_several_gpus_unless_asked(gpus, setting, expected):
    assert choose_strategy(gpus, setting) == expected


def test_multiworker_is_refused_with_the_reason():
    with pytest.raises(ConfigError, match="keras-team/keras#20585"):
        choose_strategy(2, "multiworker")


def test_an_unknown_setting_names_the_choices():
    with pytest.raises(ConfigError, match="expected one of"):
        choose_strategy(2, "tpu")


def test_recurrent_dropout_on_a_gpu_is_flagged_as_leaving_cudnn():
    assert cudnn_notes(0.0, visible_gpus=2) == []
    assert cudnn_notes(0.2, visible_gpus=0) == []
    (note,) = cudnn_notes(0.2, visible_gpus=1)
    assert "cuDNN" in note


def test_the_scope_does_nothing_without_gpus(monkeypatch):
    import core.model.strategy as strategy

    monkeypatch.setattr(strategy, "visible_gpu_count", lambda: 0)
    with strategy.strategy_scope() as name:
        assert name == "default"
    assert strategy._mirrored is None


def test_the_scope_enters_a_mirrored_strategy_with_several_gpus(monkeypatch):
    import core.model.strategy as strategy

    entered = []

    class FakeMirrored:
        def scope(self):
            import contextlib

            entered.append(True)
            return contextlib.nullcontext()

    monkeypatch.setattr(strategy, "visible_gpu_count", lambda: 2)
    monkeypatch.setattr(strategy, "_mirrored", FakeMirrored())
    with strategy.strategy_scope() as name:
        assert name == "mirrored"
    assert entered == [True]
