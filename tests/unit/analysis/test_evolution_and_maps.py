"""Evolution frames from synthetic snapshots, t-SNE maps and the insight figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analysis.embeddings import EmbeddingTable
from core.analysis.evolution import evolution_frame
from core.analysis.stability import SeedVectors, column_stability
from core.analysis.tsne import project_tsne
from core.errors import DataValidationError
from core.plots.insight import (
    evolution_figure,
    importance_figure,
    stability_map,
    timeline_figure,
    tsne_scatter,
)

LABELS = ("<b>a</b>", "b", "c", "d", "e", "f")


def _snapshots(epochs: int = 3) -> dict:
    rng = np.random.default_rng(0)
    final = rng.normal(size=(len(LABELS) + 2, 3))
    snapshots = {}
    for epoch in range(epochs + 1):
        rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        share = epoch / epochs
        noise = rng.normal(scale=0.01, size=final.shape)
        snapshots[epoch] = {"kind": (share * final + (1 - share) * noise) @ rotation}
    return snapshots


def test_every_epoch_is_drawn_on_the_final_epochs_axes():
    frame = evolution_frame(_snapshots(), "kind", LABELS, counts=[5] * 6)
    assert sorted(frame["epoch"].unique()) == [0, 1, 2, 3]
    final = frame[frame["epoch"] == 3]
    assert np.allclose(final["distance"], 0.0)
    # Rotated copies of the final table land exactly on the final map.
    middle = frame[frame["epoch"] == 2]
    assert np.allclose(middle["pc_1"] * 1.5, final["pc_1"].to_numpy(), atol=0.05)
    assert frame[frame["epoch"] == 0]["distance"].mean() > 0.5
    figure = evolution_figure(frame)
    assert [f.name for f in figure.frames] == ["0", "1", "2", "3"]
    assert "&lt;b&gt;" in figure.data[0].text[0]


def test_evolution_refuses_snapshots_that_do_not_fit_the_vocabulary():
    with pytest.raises(DataValidationError, match="column 'kind'.*rows"):
        evolution_frame(_snapshots(), "kind", LABELS[:4])
    with pytest.raises(DataValidationError, match="column 'site'"):
        evolution_frame(_snapshots(), "site", LABELS)


def _table(rows: int) -> EmbeddingTable:
    vectors = np.random.default_rng(1).normal(size=(rows, 4))
    labels = tuple(f"c{i}" for i in range(rows))
    return EmbeddingTable("code", labels, vectors, (1,) * rows, (None,) * rows)


def test_tsne_maps_many_categories_and_refuses_few():
    projection = project_tsne(_table(30), seed=0)
    assert projection.coordinates.shape == (30, 2)
    assert projection.explained_variance_ratio == ()
    again = project_tsne(_table(30), seed=0)
    np.testing.assert_allclose(projection.coordinates, again.coordinates)
    figure = tsne_scatter(projection, [1] * 30)
    assert figure.layout.xaxis.title.text == "t-SNE 1"
    with pytest.raises(DataValidationError, match="column 'code'.*at least 5"):
        project_tsne(_table(4))


def test_stability_and_importance_figures_draw_every_seed_and_column():
    rng = np.random.default_rng(2)
    seeds = [
        SeedVectors(s, LABELS, rng.normal(size=(6, 2)), (3,) * 6) for s in range(3)
    ]
    result = column_stability("kind", seeds, k=2)
    figure = stability_map(result.points, result.categories)
    names = [trace.name for trace in figure.data]
    assert {"seed 0", "seed 1", "seed 2"} <= set(names)
    table = pd.DataFrame(
        {
            "rank": [1, 2],
            "column": ["<i>x</i>", "y"],
            "kind": ["categorical", "numeric"],
            "drop_mean": [0.1, 0.0],
            "drop_std": [0.01, 0.02],
            "ablation_drop": [0.05, np.nan],
        }
    )
    bars = importance_figure(table, "roc_auc")
    assert len(bars.data) == 3  # categorical, numeric, ablation markers
    assert "&lt;i&gt;x&lt;/i&gt;" in bars.layout.yaxis.categoryarray
    line = timeline_figure(
        pd.DataFrame({"step": [0, 1], "original": [0.1, 0.2], "changed": [0.3, 0.1]}),
        ["original", "changed"],
        "step",
    )
    assert [trace.name for trace in line.data] == ["original", "changed"]
