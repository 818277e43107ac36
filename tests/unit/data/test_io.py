"""Reading CSV/Parquet uploads (detection, repairs, errors) and safe CSV export."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.data.io import LoadedTable, load_table, read_table, write_csv_safely
from core.errors import DataValidationError


@pytest.mark.parametrize(
    ("content", "delimiter_note"),
    [
        (b"id,value,kind\n1,2.5,a\n2,3.5,b\n", None),
        (b"id;value;kind\n1;2,5;a\n2;3,5;b\n", "delimiter ';' detected"),
        (b"id\tvalue\tkind\n1\t2.5\ta\n2\t3.5\tb\n", "delimiter '\\t' detected"),
        (b"id|value|kind\n1|2.5|a\n2|3.5|b\n", "delimiter '|' detected"),
    ],
    ids=["comma", "semicolon-with-decimal-commas", "tab", "pipe"],
)
def test_delimiter_is_detected(content, delimiter_note):
    loaded = load_table(content, name="data.csv")
    assert list(loaded.frame.columns) == ["id", "value", "kind"]
    assert loaded.frame["kind"].tolist() == ["a", "b"]
    assert (delimiter_note in loaded.notes) if delimiter_note else not loaded.notes


def test_single_column_file_reads_without_a_delimiter():
    frame = read_table(b"value\n1\n2\n")
    assert frame["value"].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("content", "note_part"),
    [
        ("name,city\n1,Zürich\n".encode("utf-8-sig"), "byte-order mark"),
        ("name,city\n1,Zürich\n".encode("cp1252"), "Latin-1"),
        ("name\tcity\n1\tZürich\n".encode("utf-16"), "UTF-16"),
    ],
    ids=["utf8-bom", "cp1252", "utf16"],
)
def test_encoding_is_detected(content, note_part):
    loaded = load_table(content)
    assert list(loaded.frame.columns) == ["name", "city"]
    assert loaded.frame["city"].tolist() == ["Zürich"]
    assert any(note_part in note for note in loaded.notes)


def test_plain_utf8_gives_no_notes():
    loaded = load_table("name,city\n1,Zürich\n".encode())
    assert loaded == LoadedTable(loaded.frame, ())


def test_large_file_is_sniffed_from_a_sample_and_decoded_whole():
    # A non-UTF-8 byte far beyond the sniffing sample still switches encoding.
    rows = "".join(f"{number};{number % 7},5;a\n" for number in range(20_000))
    content = ("id;value;kind\n" + rows + "1;1,0;café\n").encode("cp1252")
    loaded = load_table(content)
    assert loaded.frame.shape == (20_001, 3)
    assert loaded.frame["kind"].iloc[-1] == "café"
    assert "delimiter ';' detected" in loaded.notes


def test_quoted_newlines_stay_inside_the_cell():
    content = b'id;note\n1;"first line\nsecond; line"\n2;plain\n'
    frame = read_table(content)
    assert frame["note"].tolist() == ["first line\nsecond; line", "plain"]


def test_spaces_around_column_names_are_removed():
    loaded = load_table(b" id , value \n1,2\n")
    assert list(loaded.frame.columns) == ["id", "value"]
    assert "spaces around column names removed" in loaded.notes


def test_path_and_string_path_are_read(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert read_table(path).equals(read_table(str(path)))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty file 'empty.csv'"),
        (b"\n\n  \n", None, "header row"),
        (b"id,value\n", None, r"only the header .*\['id', 'value'\]"),
        (bytes(range(256)) * 4, None, "binary data"),
        (b"\x01\x02\x03garbage\x04\x05\x06\x07", None, "binary data"),
        (b"PK\x03\x04rest-of-a-workbook", "book.csv", "Excel workbook"),
        (b"id,value,id\n1,2,3\n", None, r"duplicates: 'id' \(2 times\)"),
        (b"a,b\n1,2,3\n4,5\n", None, "2 fields per row"),
        (b"a,b\n1,2\n4,5,6\n", None, "Expected 2 fields in line 3, saw 3"),
        (b"a,b\n1,2\n", "data.parquet", "PAR1"),
    ],
    ids=[
        "empty",
        "blank-lines-no-columns",
        "header-only",
        "binary",
        "control-bytes",
        "xlsx",
        "duplicate-columns",
        "more-fields-than-header",
        "ragged-row",
        "parquet-name-csv-content",
    ],
)
def test_unreadable_tables_raise_clear_errors(content, name, message):
    with pytest.raises(DataValidationError, match=message) as caught:
        load_table(content, name=name)
    assert caught.value.column is None


def test_missing_file_raises_a_data_error(tmp_path):
    with pytest.raises(DataValidationError, match="expected a readable file"):
        read_table(tmp_path / "absent.csv")


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_parquet_round_trip_by_extension_and_by_magic_bytes(tmp_path):
    frame = pd.DataFrame(
        {"id": [1, 1, 2], "kind": ["a", "b", None], "value": [0.5, -1.0, 2.0]}
    )
    path = tmp_path / "table.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    from_path = read_table(path)
    from_bytes = read_table(path.read_bytes())  # no name: sniffed
    pd.testing.assert_frame_equal(from_path, frame, check_dtype=False)
    pd.testing.assert_frame_equal(from_bytes, from_path)


def test_parquet_index_becomes_a_column_again():
    frame = pd.DataFrame({"id": [1, 2], "value": [0.5, 1.5]}).set_index("id")
    loaded = load_table(_parquet_bytes(pa.Table.from_pandas(frame)), "x.parquet")
    assert list(loaded.frame.columns) == ["id", "value"]
    assert any("index" in note for note in loaded.notes)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"id": pa.array([], pa.int64())}), r"only the header .*\['id'\]"),
        (pa.table({}), "at least one column"),
    ],
    ids=["no-rows", "no-columns"],
)
def test_empty_parquet_raises(table, message):
    with pytest.raises(DataValidationError, match=message):
        load_table(_parquet_bytes(table), name="empty.parquet")


def test_damaged_parquet_raises():
    with pytest.raises(DataValidationError, match="readable Parquet"):
        load_table(b"PAR1" + b"\x00" * 64 + b"PAR1")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tcell", "'\tcell"),
        ("\rcell", "'\rcell"),
        ("plain", "plain"),
        ("a=b", "a=b"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "plain", "inner"],
)
def test_formula_like_text_cells_are_neutralised(cell, written):
    frame = pd.DataFrame({"note": [cell, None]})
    read_back = pd.read_csv(io.BytesIO(write_csv_safely(frame)), keep_default_na=False)
    assert read_back["note"].tolist() == [written, ""]
    assert frame["note"].iloc[0] == cell  # the input is not modified


def test_numbers_and_column_names_in_export():
    frame = pd.DataFrame(
        {
            "=name": ["-x", "y"],
            "delta": [-1.5, 2.0],
            "count": [-3, 4],
            "kind": pd.Categorical(["@a", "b"]),
        }
    )
    assert write_csv_safely(frame) == (
        b"'=name,delta,count,kind\r\n'-x,-1.5,-3,'@a\r\ny,2.0,4,b\r\n"
    )
