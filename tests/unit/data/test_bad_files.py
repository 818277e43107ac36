"""Bad upload files through core.data.io and the command line: a message or a noted fix.

Each case states the exact outcome: the error class and the words that say what
was expected and received, or the note that reports an automatic repair.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from core.cli.main import main
from core.data.io import load_table
from core.data.schema import infer_schema
from core.errors import DataValidationError
from tests.support.robust import CSV_HEADER, tiny_csv, tiny_table

LATIN1 = "entity,step,kind,shift,reading,label\n1,0,café,0,1.5,0\n2,0,naïve,1,2.5,1\n"
SEMICOLON = (
    "entity;step;kind;shift;reading;label\n1;0;a;0;1,5;0\n1;1;b;1;2,5;1\n"
    "2;0;a;0;3,5;0\n"
)
QUOTED_NEWLINE = 'entity,step,kind,label\n1,0,"line one\nline two",0\n1,1,b,1\n'

#: name -> (file bytes, error regex). Every one raises DataValidationError.
UNREADABLE = {
    "empty-file": (b"", "received an empty file"),
    "header-only": (f"{CSV_HEADER}\n".encode(), "received only the header"),
    "blank-lines-only": (b"\n\n\n", "expected a header row"),
    "binary-garbage": (bytes(range(256)) * 8, "received binary data"),
    "nul-bytes": (b"a,b\n1,\x002\n", "received binary data"),
    "xlsx-zip": (b"PK\x03\x04" + b"\x00" * 60, r"Excel workbook \(\.xlsx\)"),
    "duplicate-columns": (b"id,x,x,y\n1,2,3,0\n", r"duplicates: 'x' \(2 times\)"),
    "duplicate-after-strip": (b"id,x, x,y\n1,2,3,0\n", "duplicates: 'x'"),
    "ragged-rows": (b"a,b\n1,2\n3,4,5,6\n", "Expected 2 fields in line 3, saw 4"),
    "trailing-delimiter": (b"a,b\n1,2,\n", "expected 2 fields per row"),
}


@pytest.mark.parametrize(
    ("content", "message"), list(UNREADABLE.values()), ids=list(UNREADABLE)
)
def test_unreadable_files_raise_a_specific_error(content, message):
    with pytest.raises(DataValidationError, match=message) as caught:
        load_table(content, name="upload.csv")
    assert "expected" in str(caught.value)


#: name -> (file bytes, note expected among the load notes or None, columns).
REPAIRED = {
    "latin-1": (LATIN1.encode("latin-1"), "decoded as Latin-1", 6),
    "semicolons": (SEMICOLON.encode(), "delimiter ';' detected", 6),
    "quoted-newline": (QUOTED_NEWLINE.encode(), None, 4),
    "utf-8-bom": (b"\xef\xbb\xbf" + tiny_csv(), "byte-order mark removed", 6),
    "utf-16": (tiny_csv().decode().encode("utf-16"), "decoded as UTF-16", 6),
    "one-row": (f"{CSV_HEADER}\n1,0,a,0,1.5,0\n".encode(), None, 6),
    "mac-line-endings": (tiny_csv().replace(b"\n", b"\r"), None, 6),
    "windows-line-endings": (tiny_csv().replace(b"\n", b"\r\n"), None, 6),
}


@pytest.mark.parametrize(
    ("content", "note", "width"), list(REPAIRED.values()), ids=list(REPAIRED)
)
def test_repairable_files_load_with_a_note(content, note, width):
    loaded = load_table(content, name="upload.csv")
    assert loaded.frame.shape[1] == width
    if note is None:
        assert loaded.notes == ()
    else:
        assert any(note in text for text in loaded.notes), loaded.notes


def test_mac_line_endings_give_every_row():
    frame = load_table(tiny_csv().replace(b"\n", b"\r"), name="mac.csv").frame
    assert frame.shape == tiny_table().shape


def test_repaired_values_are_the_real_values():
    latin = load_table(LATIN1.encode("latin-1"), name="x.csv").frame
    assert latin["kind"].tolist() == ["café", "naïve"]
    quoted = load_table(QUOTED_NEWLINE.encode(), name="x.csv").frame
    assert quoted.loc[0, "kind"] == "line one\nline two"
    assert len(quoted) == 2


def test_na_markers_in_a_csv_become_missing_values():
    csv = f"{CSV_HEADER}\n1,0,a,0,n/a,0\n1,1,b,1,2.5,1\n".encode()
    frame = load_table(csv, name="x.csv").frame
    assert pd.api.types.is_float_dtype(frame["reading"])
    assert frame["reading"].isna().tolist() == [True, False]


# --- the same files through the command line ---------------------------------------


def _run_cli(argv: list[str], capsys) -> tuple[int, list[str]]:
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


CLI_FILE_CASES = {
    name: UNREADABLE[name]
    for name in ("empty-file", "header-only", "binary-garbage", "duplicate-columns")
}


@pytest.mark.parametrize(
    ("content", "message"), list(CLI_FILE_CASES.values()), ids=list(CLI_FILE_CASES)
)
def test_cli_train_on_unreadable_file_exits_2_with_one_line(
    tmp_path, capsys, content, message
):
    data = tmp_path / "upload.csv"
    data.write_bytes(content)
    argv = ["train", "--data", str(data), "--target", "label"]
    code, lines = _run_cli([*argv, "--out", str(tmp_path / "b")], capsys)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert re.search(message, lines[0])
    assert not (tmp_path / "b").exists()


#: name -> (table change, extra flags, words the single error line must hold).
CLI_DATA_CASES = {
    "constant-target": (lambda df: df.assign(label=1), [], "column 'label'"),
    "target-all-missing": (
        lambda df: df.assign(label=float("nan")),
        ["--task", "binary"],
        "column 'label': expected target values",
    ),
    "numeric-words": (
        lambda df: df.assign(reading="lots"),
        ["--numeric", "reading"],
        "column 'reading': expected numbers, received text such as 'lots'",
    ),
    "bad-dates": (
        lambda df: df.assign(step="2024-13-45"),
        [],
        "column 'step': expected integers or date/time strings",
    ),
}


@pytest.mark.parametrize(
    ("change", "flags", "message"),
    list(CLI_DATA_CASES.values()),
    ids=list(CLI_DATA_CASES),
)
def test_cli_train_on_bad_table_names_the_column(
    tmp_path, capsys, change, flags, message
):
    data = tmp_path / "data.csv"
    change(tiny_table()).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--target", "label", "--id", "entity"]
    argv += ["--time", "step", "--categorical", "kind", *flags]
    code, lines = _run_cli([*argv, "--out", str(tmp_path / "b")], capsys)
    assert code == 2
    assert lines[-1].startswith("error: ")
    assert message in lines[-1]
    assert not any("Traceback" in line for line in lines)


@pytest.mark.slow
def test_cli_reports_every_automatic_fix_as_a_note(tmp_path, capsys):
    # Semicolons, decimal commas, Latin-1 and shuffled rows in one file: one run.
    frame = tiny_table().sample(frac=1.0, random_state=3)
    frame["kind"] = frame["kind"].map({"a": "café", "b": "b", "c": "c"})
    frame["reading"] = frame["reading"].map(lambda x: f"{x:.3f}".replace(".", ","))
    data = tmp_path / "export.csv"
    data.write_bytes(frame.to_csv(index=False, sep=";").encode("latin-1"))
    argv = ["train", "--data", str(data), "--target", "label", "--id", "entity"]
    argv += ["--time", "step", "--categorical", "kind,shift", "--numeric", "reading"]
    code, lines = _run_cli(
        [*argv, "--epochs", "1", "--out", str(tmp_path / "b")], capsys
    )
    notes = [line for line in lines if line.startswith("note: ")]
    assert code == 0
    assert any("decoded as Latin-1" in note for note in notes)
    assert any("delimiter ';' detected" in note for note in notes)
    assert any("decimal commas read as points" in note for note in notes)
    assert any("sorted by entity, step" in note for note in notes)
    assert (tmp_path / "b" / "model.keras").is_file()


def test_parquet_list_column_is_converted_to_text_with_a_note():
    frame = tiny_table().assign(kind=lambda df: df["kind"].map(lambda x: [x, "z"]))
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    loaded = load_table(buffer.getvalue(), name="nested.parquet")
    assert loaded.notes == (
        "column(s) ['kind'] hold lists or records; converted to text",
    )
    assert loaded.frame.loc[0, "kind"] == '["a", "z"]'
    infer_schema(loaded.frame)  # no longer a TypeError on unhashable arrays
