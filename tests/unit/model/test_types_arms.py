"""Arms as a type: the enum's values are the strings runs and configs store."""

from __future__ import annotations

import hashlib
import json

from core.analysis.comparison import ComparisonSpec
from core.config import ENCODINGS
from core.model.arms import LSTM_ARMS, Arm
from core.model.gbm_arm import GBM_ENCODING
from tests.support.configs import comparison_config as _config


def test_values_are_the_stored_strings():
    assert [arm.value for arm in Arm] == ["embedding", "onehot", "gbm"]
    assert LSTM_ARMS == ENCODINGS == ("embedding", "onehot")
    assert GBM_ENCODING == "gbm"
    assert json.dumps(list(Arm)) == '["embedding", "onehot", "gbm"]'
    assert f"{Arm.ONEHOT} test rmse" == "onehot test rmse"
    assert {"embedding": 1}[Arm.EMBEDDING] == 1


def test_a_comparison_id_is_the_one_plain_strings_gave():
    spec = ComparisonSpec(_config(), seeds=(0, 1), baseline_arm=True)
    settings = spec.config.identity_dict()
    settings["train"].pop("seed")
    payload = json.dumps(
        ["abc", settings, ["embedding", "onehot", "gbm"], False, [0, 1]],
        sort_keys=True,
    )
    expected = "cmp-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    assert spec.identity("abc") == expected
