"""What a prediction on new data returns, importable without Keras.

Kept apart from :mod:`core.model.bundle` (which imports Keras) because the web
server receives these from the model worker (:mod:`core.runs.remote`): reading
one back must not import TensorFlow into the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass
class PredictionResult:
    """Predictions on new data.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per example (see :func:`core.model.evaluation.prediction_table`).
    unknown_values : dict of str to dict of str to int
        Per categorical column, values never seen in training and their rows.
    metrics : dict or None
        Task metrics when the data had labels.
    notes : list of str
        Automatic fixes and warnings.
    """

    table: pd.DataFrame
    unknown_values: dict[str, dict[str, int]]
    metrics: dict[str, Any] | None
    notes: list[str]
