"""The web server shows a finished run's embeddings without importing TensorFlow.

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
import pytest

from core.analysis.embeddings import extract_embedding, stored_embedding
from core.runs.store import RunStore
from tests.support.insight_runs import run_in_process, tiny_config
from tests.support.paths import ROOT
from tests.support.tables import make_long_table

pytestmark = pytest.mark.slow

VISIT = textwrap.dedent(
    """
    import json, sys
    from tests.support.app import open_page
    page, run_id = sys.argv[1], sys.argv[2]
    app = open_page(page, query={"run": run_id})
    print(json.dumps({
        "exception": [str(item.value) for item in app.exception],
        "errors": [str(item.value) for item in app.error],
        "charts": len(app.get("plotly_chart")),
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


def _visit(store: RunStore, page: str, run_id: str) -> dict:
    environment = {
        **os.environ,
        "SEQ_EMBED_RUNS_DIR": str(store.root),
        "SEQ_EMBED_WARM_WORKERS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", VISIT, page, run_id],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_embeddings_page_shows_a_run_without_tensorflow(finished):
    store, record = finished
    seen = _visit(store, "embeddings", record.id)
    assert seen["exception"] == []
    assert seen["errors"] == []
    assert seen["charts"] >= 2, "the PCA map and the similarity heatmap"
    assert not seen["tensorflow"]
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
