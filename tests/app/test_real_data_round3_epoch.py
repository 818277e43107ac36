"""The configure page shows the epoch time as a range (issue 23, item 10)."""

from __future__ import annotations

from tests.support.app import open_page


def test_preflight_epoch_time_is_a_range(sample_state):
    app = open_page("configure", sample_state)
    app.button(key="FormSubmitter:experiment_form-Save configuration").click().run()
    assert not app.exception, app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert "Epoch time" in metrics, metrics
    low, high = metrics["Epoch time"].removesuffix(" s").split("–")
    assert 0 < float(low) < float(high)
