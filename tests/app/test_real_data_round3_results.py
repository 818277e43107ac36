"""Labels and downloads that read right (issue 23, item 9)."""

from __future__ import annotations

from pathlib import Path

from tests.support.app import open_page
from ui.results import ModelSource, bundle_file_name

#: Widgets in the four-column "Advanced" grid of the configure form.
ADVANCED_KEYS = (
    "cfg_target_cap", "cfg_max_categories", "cfg_scaling", "cfg_indicators",
    "cfg_encoding", "cfg_recurrent_dropout", "cfg_category_dropout", "cfg_jit",
    "cfg_target_as_input", "cfg_smoothing_alpha", "cfg_entity_age", "cfg_lr_schedule",
)  # fmt: skip
#: About what a quarter of the form shows before cutting a label with "…".
LABEL_ROOM = 28


def test_advanced_labels_fit_their_column(sample_state):
    app = open_page("configure", sample_state)
    assert not app.exception, app.exception
    widgets = [
        *app.number_input, *app.selectbox, *app.checkbox, *app.text_input,
    ]  # fmt: skip
    labels = {w.key: w.label for w in widgets if w.key in ADVANCED_KEYS}
    assert set(labels) == set(ADVANCED_KEYS)
    long = {key: label for key, label in labels.items() if len(label) > LABEL_ROOM}
    assert not long, long


def test_bundle_download_is_named_after_the_run_and_encoding():
    source = ModelSource("embedding model (run r1)", None, Path("x"), "r1", "embedding")
    assert bundle_file_name(source) == "r1_embedding_bundle.zip"
    loaded = ModelSource("onehot model (loaded bundle)", None, None)
    assert bundle_file_name(loaded) == "model_bundle.zip"
