"""The web server shows a finished run without importing TensorFlow.

TensorFlow would add ~800 MiB to the server process. A fresh interpreter (this
test process has TensorFlow loaded already) runs the page in AppTest with a
finished run opened through ``?run=`` and reports what it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from core.analysis.embeddings import extract_embedding, stored_embedding
from core.errors import CoreError
from core.runs.remote import ModelWorker
from core.runs.store import RunStore
from tests.support.insight_runs import run_in_process, tiny_config
from tests.support.paths import ROOT
from tests.support.tables import make_long_table

pytestmark = pytest.mark.slow

VISIT = textwrap.dedent(
    """
    import json, sys, traceback
    class Watch:  # says who imports TensorFlow, should anything do so
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow":
                frames = traceback.extract_stack()
                ours = [f for f in frames if "importlib" not in f.filename]
                print("".join(traceback.format_list(ours[:14])), file=sys.stderr)
            return None
    sys.meta_path.insert(0, Watch())
    from tests.support.app import open_page
    from ui import runs
    page, run_id = sys.argv[1], sys.argv[2]
    app = open_page(page, query={"run": run_id})
    predicted = None
    if len(sys.argv) > 3:  # a new file to predict on (the Predictions page)
        with open(sys.argv[3], "rb") as new_file:
            content = new_file.read()
        app.file_uploader(key="pred_new_file").upload("new.csv", content, "text/csv")
        app.run()
        app.button(key="pred_run").click().run()
        tables = [t.value for t in app.dataframe if "probability" in t.value.columns]
        predicted = tables[-1]["probability"].tolist() if tables else None
    print(json.dumps({
        "exception": [str(item.value) for item in app.exception],
        "errors": [str(item.value) for item in app.error],
        "charts": len(app.get("plotly_chart")),
        "predicted": predicted,
        "model_worker": runs.executor().models.process is not None,
        "tensorflow": "tensorflow" in sys.modules,
        "keras": "keras" in sys.modules,
    }))
    """
)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished run (embedding model, per-epoch snapshots) in its own store."""
    store = RunStore(tmp_path_factory.mktemp("no_tf") / "runs")
    return store, run_in_process(store, make_long_table(seed=0), tiny_config(2))


def _visit(store: RunStore, page: str, run_id: str, *arguments: str) -> dict:
    environment = {
        **os.environ,
        "SEQ_EMBED_RUNS_DIR": str(store.root),
        "SEQ_EMBED_WARM_WORKERS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", VISIT, page, run_id, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    seen["stderr"] = done.stderr[-4000:]
    return seen


def test_the_embeddings_page_shows_a_run_without_tensorflow(finished):
    store, record = finished
    seen = _visit(store, "embeddings", record.id)
    assert seen["exception"] == []
    assert seen["errors"] == []
    assert seen["charts"] >= 2, "the PCA map and the similarity heatmap"
    assert not seen["tensorflow"], seen["stderr"]
    assert not seen["keras"]


def test_the_stored_table_is_the_saved_models_table(finished):
    from core.model.bundle import load_bundle

    store, record = finished
    path = store.bundle_path(record.id, "embedding")
    bundle = load_bundle(path)
    for column in bundle.preprocessor.config.categorical_names:
        live = extract_embedding(bundle.model, bundle.preprocessor, column, True)
        read = stored_embedding(path, bundle.preprocessor, column, True)
        assert read.labels == live.labels
        assert read.counts == live.counts
        np.testing.assert_array_equal(read.vectors, live.vectors)


def test_the_insight_page_shows_a_run_without_tensorflow(finished):
    store, record = finished
    seen = _visit(store, "insight", record.id)
    assert seen["exception"] == []
    assert seen["errors"] == []
    # Evolution, the what-if timeline (from the model worker) and the PCA map.
    assert seen["charts"] >= 3
    assert not seen["tensorflow"], seen["stderr"]
    assert not seen["keras"]


def test_the_predictions_page_shows_a_run_without_tensorflow(finished):
    store, record = finished
    seen = _visit(store, "predictions", record.id)
    assert seen["exception"] == []
    assert seen["errors"] == []
    assert seen["charts"] >= 3, "confusion matrix, ROC and PR curves"
    assert not seen["tensorflow"], seen["stderr"]
    assert not seen["keras"]
    # The first prediction must not wait for TensorFlow's import: the model
    # worker imports it from the moment a run's model is shown.
    assert seen["model_worker"]


def test_a_new_file_is_predicted_by_the_model_worker(finished, tmp_path):
    from core.model.bundle import load_bundle, predict

    store, record = finished
    new = make_long_table(seed=5, entities=12)
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    seen = _visit(store, "predictions", record.id, str(path))
    assert seen["exception"] == []
    assert seen["errors"] == []
    assert not seen["tensorflow"], seen["stderr"]
    assert not seen["keras"]
    bundle = load_bundle(store.bundle_path(record.id, "embedding"))
    here = predict(bundle, pd.read_csv(path)).table["probability"]
    np.testing.assert_allclose(seen["predicted"], here.to_numpy(), rtol=1e-5)


def test_the_model_worker_answers_like_the_model_here(finished):
    from core.analysis.whatif import entity_history, timeline
    from core.model.bundle import load_bundle

    store, record = finished
    path = store.bundle_path(record.id, "embedding")
    bundle = load_bundle(path)
    data = bundle.preprocessor.config
    frame = store.load_data(record)
    history = entity_history(frame, data, frame[data.id_column].iloc[0])
    worker = ModelWorker()
    try:
        remote = worker.call("timeline", path, history)
        pd.testing.assert_frame_equal(
            remote, timeline(bundle.model, bundle.preprocessor, history)
        )
        with pytest.raises(CoreError, match="nothing_here"):
            worker.call("what_if", path, history, "nothing_here", "x")
        first = worker.process.pid
        # A failed question leaves the worker serving.
        worker.call("timeline", path, history)
        assert worker.process.pid == first
    finally:
        worker.close()
    assert worker.process is None
