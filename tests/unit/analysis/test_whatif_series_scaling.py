"""The what-if timeline speaks the target's units under per-series scaling.

A model trained with ``data.target_scaling`` learns each series' labels
centred and scaled per series; its outputs must be unscaled with the same
per-series statistics wherever it predicts. The timeline once decoded them
with the global scale only, so every step of a series far from the global
level was off by that series' level.
"""

from __future__ import annotations

import numpy as np

from core.analysis.whatif import timeline
from core.model.bundle import bundle_from_result, predict
from core.model.experiment import run_experiment
from tests.support.configs import forecast_config
from tests.support.tables import forecast_table


def _levelled_table():
    frame = forecast_table(seed=0, entities=6, steps=40)
    # Series levels from 1 to 10,000: a global scale cannot stand for them.
    offsets = {f"e{index}": 10.0**index for index in range(6)}
    frame["level"] = frame["level"] + frame["entity"].map(offsets)
    return frame


def test_the_timeline_equals_the_bundles_predictions_under_series_scaling():
    frame = _levelled_table()
    config = forecast_config(target_scaling="entity")
    result = run_experiment(frame, config)
    bundle = bundle_from_result(result)
    history = frame[frame["entity"] == "e5"]
    steps = timeline(bundle.model, bundle.preprocessor, history)
    expected = predict(bundle, history, last_only=True).table["predicted"].iloc[-1]
    np.testing.assert_allclose(steps["predicted"].iloc[-1], expected, rtol=1e-4)
    # In the series' own range, not the global one.
    assert abs(steps["predicted"].iloc[-1] - 1e5) < 1e4
