"""Untrusted column names and labels: literal text in figures, inert in downloads."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest

from core.analysis.embeddings import EmbeddingTable, embedding_frame, projector_bytes
from core.data.io import FORMULA_PREFIXES, write_csv_safely
from core.plots import figures as plots

HTML = "<img src=x onerror=alert(1)>"
FORMULA = "=cmd|' /C calc'!A0"
EVIL = (HTML, FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "line\nbreak", "<b>x</b>")


def _strings(value) -> list[str]:
    """Every string inside a nested figure dictionary."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple | np.ndarray):
        return [s for item in value for s in _strings(item)]
    return []


def _table(labels=EVIL) -> EmbeddingTable:
    rng = np.random.default_rng(0)
    return EmbeddingTable(
        column=HTML,
        labels=tuple(labels),
        vectors=rng.normal(size=(len(labels), 3)),
        counts=tuple(range(1, len(labels) + 1)),
        target_means=tuple(0.5 for _ in labels),
    )


def _figures():
    frame = embedding_frame(_table())
    similarity = pd.DataFrame(np.eye(3), index=EVIL[:3], columns=EVIL[:3])
    comparison = pd.DataFrame({"model": [HTML, "baseline"], HTML: [0.5, 0.4]})
    return {
        "pca-2d": plots.pca_scatter(frame),
        "pca-3d": plots.pca_scatter(
            embedding_frame(_table(), n_components=3), dimensions=3
        ),
        "similarity": plots.similarity_heatmap(similarity),
        "confusion": plots.confusion_matrix_figure([[1, 0], [0, 1]], [HTML, FORMULA]),
        "comparison": plots.metric_comparison(comparison),
        "curves": plots.training_curves({HTML: [1.0, 0.5], f"val_{HTML}": [1, 0.6]}),
    }


@pytest.mark.parametrize("name", list(_figures()))
def test_figures_show_html_in_labels_as_text(name):
    strings = _strings(_figures()[name].to_plotly_json())
    assert not any("<img" in text for text in strings)
    assert not any("<b>x</b>" in text for text in strings)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in text for text in strings)


def _cells(content: bytes, delimiter: str = ",") -> list[list[str]]:
    text = content.decode("utf-8")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", text) is not None


def test_csv_download_neutralises_formulas_in_cells_and_names():
    frame = pd.DataFrame({label: [label, -1.5] for label in EVIL})
    rows = _cells(write_csv_safely(frame))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES) or _is_number(cell), cell
    assert rows[0][1] == "'" + FORMULA
    assert rows[1][0] == HTML  # plain text in a CSV; no spreadsheet runs HTML
    assert rows[2][1] == "-1.5"  # numbers stay numbers


def test_csv_download_of_embeddings_keeps_one_row_per_label():
    rows = _cells(write_csv_safely(embedding_frame(_table())))
    assert len(rows) == len(EVIL) + 1
    labels = [row[0] for row in rows[1:]]
    assert labels[1] == "'" + FORMULA
    assert labels[6] == "line\nbreak"  # quoted, so the row count is unchanged


def test_projector_metadata_is_one_safe_line_per_label():
    vectors, metadata = projector_bytes(_table())
    lines = metadata.decode("utf-8").splitlines()
    assert len(lines) == len(EVIL) + 1
    assert len(vectors.decode().splitlines()) == len(EVIL)
    for line in lines[1:]:
        label, count = line.split("\t")
        assert not label.startswith(FORMULA_PREFIXES)
        assert count.isdigit()
    assert lines[2].startswith("'=cmd")


@pytest.mark.slow
def test_hostile_names_survive_training_and_export(tmp_path):
    from core.analysis.embeddings import extract_embedding
    from core.config import ColumnSpec
    from core.model.bundle import bundle_from_result, load_bundle, save_bundle
    from core.model.experiment import run_experiment
    from tests.support.robust import tiny_config, tiny_table

    table = tiny_table().rename(columns={"kind": FORMULA, "reading": HTML})
    table[FORMULA] = table[FORMULA].map({"a": HTML, "b": FORMULA, "c": "@x"})
    config = tiny_config(
        categorical_columns=(ColumnSpec(FORMULA), ColumnSpec("shift")),
        numeric_columns=(HTML,),
    )
    result = run_experiment(table, config)
    bundle = load_bundle(save_bundle(bundle_from_result(result), tmp_path / "b"))
    embedding = extract_embedding(bundle.model, bundle.preprocessor, FORMULA)
    assert set(embedding.labels) == {HTML, FORMULA, "@x"}
    exported = _cells(write_csv_safely(embedding_frame(embedding)))
    assert {row[0] for row in exported[1:]} == {HTML, "'" + FORMULA, "'@x"}
    strings = _strings(plots.pca_scatter(embedding_frame(embedding)).to_plotly_json())
    assert not any("<img" in text for text in strings)
