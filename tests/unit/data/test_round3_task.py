"""A task that does not fit the target names the task that does (issue 23, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataValidationError
from core.features.target import TargetEncoder


def test_binary_task_on_many_numbers_says_choose_regression():
    values = pd.Series(np.linspace(100.0, 2_000.0, 1_017).round(1), name="wage")
    with pytest.raises(DataValidationError, match="choose task 'regression'"):
        TargetEncoder("binary", "wage").fit(values)


def test_binary_task_on_a_few_labels_still_says_choose_multiclass():
    labels = pd.Series(["low", "mid", "high"] * 5, name="band")
    with pytest.raises(DataValidationError, match="choose task 'multiclass'"):
        TargetEncoder("binary", "band").fit(labels)
