"""Reading user tables (CSV or Parquet) and writing spreadsheet-safe CSV.

Uploads arrive as whatever a spreadsheet or database exported: semicolons instead
of commas, Windows code pages instead of UTF-8, a byte-order mark, quoted line
breaks. :func:`load_table` repairs what it safely can, reports each repair as a
note, and refuses everything else with a :class:`~core.errors.DataValidationError`
that says what was expected and what was received.

CSV is parsed by pandas' C engine: on small machines it is as fast as the pyarrow
engine, it keeps date/time text as text (the schema step decides what is a time),
and it handles quoted line breaks, which pandas' pyarrow engine does not.

Examples
--------
>>> loaded = load_table(b"id;value\\n1;2,5\\n", name="export.csv")
>>> loaded.frame.columns.tolist(), loaded.notes
(['id', 'value'], ("delimiter ';' detected",))
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.parquet

from core.errors import DataValidationError

DELIMITERS = ",;\t|"
PARQUET_MAGIC = b"PAR1"
PARQUET_SUFFIXES = frozenset({".parquet", ".pq", ".parq"})
#: Cell prefixes a spreadsheet may execute as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_SAMPLE_BYTES = 64 * 1024
_DECODE_CHUNK_BYTES = 1 << 20
_MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"
_TEXT_BYTES = bytes(set(range(256)) - set(_CONTROL_BYTES))
_FOREIGN_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive or Excel workbook (.xlsx); save it as CSV",
    b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (.xls); save it as CSV",
    b"\x1f\x8b": "a gzip-compressed file; decompress it first",
    b"%PDF": "a PDF document",
}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class LoadedTable:
    """A table read from a file, with the automatic repairs made on the way.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, one column per field, at least one row.
    notes : tuple of str
        Human-readable descriptions of what was detected or fixed, such as
        ``"delimiter ';' detected"`` or ``"decoded as Latin-1 (cp1252)"``.
    """

    frame: pd.DataFrame
    notes: tuple[str, ...] = ()


def load_table(source: str | Path | bytes, name: str | None = None) -> LoadedTable:
    """Read a CSV or Parquet table and report what was detected or repaired.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        A file path, or the raw bytes of an upload.
    name : str or None
        File name of the upload; its extension picks the format. Without a
        ``.parquet``/``.pq`` extension the content is sniffed: Parquet files
        start with ``PAR1``, anything else is read as CSV.

    Returns
    -------
    LoadedTable
        The frame and the notes.

    Raises
    ------
    DataValidationError
        If the file cannot be read, is empty, has only a header, has no or
        duplicate column names, or is binary data other than Parquet.
    """
    data, label = _read_source(source, name)
    if not data:
        raise DataValidationError(
            None, f"expected a CSV or Parquet table, received an empty file {label!r}"
        )
    if _is_parquet(data, label):
        frame, notes = _read_parquet(data, label)
    else:
        frame, notes = _read_csv(data, label)
    _require_rows(frame, label)
    return LoadedTable(frame, tuple(notes))


def read_table(source: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet table; :func:`load_table` without the notes.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        A file path, or the raw bytes of an upload.
    name : str or None
        File name of the upload, used for its extension.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    DataValidationError
        As :func:`load_table`.
    """
    return load_table(source, name).frame


def write_csv_safely(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes in which no text cell can run as a spreadsheet formula.

    Text cells and column names starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return get a leading ``'``. Numeric, boolean and date/time
    columns are written unchanged, so negative numbers stay numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to export; it is not modified. The index is not written.

    Returns
    -------
    bytes
        The CSV file content with ``\\r\\n`` line endings (RFC 4180), so cells
        holding a line break or carriage return are quoted.

    Examples
    --------
    >>> write_csv_safely(pd.DataFrame({"note": ["=1+1"], "delta": [-2]}))
    b"note,delta\\r\\n'=1+1,-2\\r\\n"
    """
    safe = frame.copy(deep=False)
    safe.columns = [_neutralise(name) for name in frame.columns]
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if _is_text_dtype(column.dtype):
            safe.isetitem(
                position, column.astype(object).map(_neutralise, na_action="ignore")
            )
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def _neutralise(value: object) -> object:
    """Prefix a formula-like string with ``'``; leave anything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_text_dtype(dtype: object) -> bool:
    """Whether a column may hold strings (object, string or category)."""
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    )


def _read_source(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    """The raw bytes and a display name (with extension when known)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "uploaded data"
    path = Path(source)
    try:
        return path.read_bytes(), name or path.name
    except OSError as error:
        raise DataValidationError(
            None,
            f"expected a readable file, received {str(path)!r} ({error.strerror})",
        ) from error


def _is_parquet(data: bytes, label: str) -> bool:
    """Parquet by magic bytes; a Parquet extension without them is an error."""
    if data.startswith(PARQUET_MAGIC):
        return True
    if Path(label).suffix.lower() in PARQUET_SUFFIXES:
        raise DataValidationError(
            None,
            f"expected a Parquet file starting with 'PAR1', received {label!r} "
            f"starting with {data[:4]!r}",
        )
    return False


def _read_parquet(data: bytes, label: str) -> tuple[pd.DataFrame, list[str]]:
    """Read Parquet bytes; bring a stored index back as columns."""
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        raise DataValidationError(
            None, f"expected a readable Parquet file, received {label!r}: {error}"
        ) from error
    notes: list[str] = []
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
        notes.append("the stored index was turned back into column(s)")
    elif not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    if not all(isinstance(column, str) for column in frame.columns):
        frame.columns = [str(column) for column in frame.columns]
        notes.append("column names converted to text")
    _require_unique(list(frame.columns))
    nested = [
        field.name
        for field in pyarrow.parquet.read_schema(io.BytesIO(data))
        if pyarrow.types.is_nested(field.type) and field.name in frame.columns
    ]
    for name in nested:
        # Lists and records cannot be categories or numbers; their text can.
        frame[name] = frame[name].map(_nested_text, na_action="ignore")
    if nested:
        notes.append(f"column(s) {nested} hold lists or records; converted to text")
    return frame, notes


def _nested_text(value: object) -> str:
    """JSON text of a list or record cell (arrays included)."""
    plain = value.tolist() if hasattr(value, "tolist") else value
    return json.dumps(plain, default=str, ensure_ascii=False)


def _read_csv(data: bytes, label: str) -> tuple[pd.DataFrame, list[str]]:
    """Detect encoding and delimiter, check the header, then parse with pandas."""
    encoding, notes = _detect_encoding(data)
    sample = _decode_sample(data, encoding)
    delimiter = _detect_delimiter(sample, truncated=len(data) > _SAMPLE_BYTES)
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r} detected")
    header, first_row = _first_rows(sample, delimiter)
    _require_unique([name.strip() for name in header if name.strip()])
    if len(first_row) > len(header):
        # pandas would silently make the extra leading fields an index and shift
        # every value one column to the right.
        raise DataValidationError(
            None,
            f"expected {len(header)} fields per row like the header, received "
            f"{len(first_row)} in the first data row of {label!r} (a delimiter at "
            "the end of each row?)",
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(data), sep=delimiter, encoding=encoding, low_memory=False
        )
    except pd.errors.EmptyDataError as error:
        raise DataValidationError(
            None, f"expected a header row with column names, received none in {label!r}"
        ) from error
    except (pd.errors.ParserError, UnicodeError, ValueError) as error:
        raise DataValidationError(
            None,
            f"expected a readable CSV table, received {label!r}: {str(error).strip()}",
        ) from error
    return frame, notes + _tidy_column_names(frame)


def _detect_encoding(data: bytes) -> tuple[str, list[str]]:
    """UTF-16 by byte-order mark, else UTF-8, else Windows Latin-1, else Latin-1."""
    if data.startswith(_UTF16_BOMS):
        return "utf-16", ["decoded as UTF-16"]
    _reject_binary(data[:_SAMPLE_BYTES])
    if _decodes(data, "utf-8"):
        bom = data.startswith(codecs.BOM_UTF8)
        return "utf-8-sig", ["UTF-8 byte-order mark removed"] if bom else []
    if _decodes(data, "cp1252"):
        return "cp1252", ["decoded as Latin-1 (cp1252): the file is not valid UTF-8"]
    return "latin-1", ["decoded as Latin-1 (ISO-8859-1): the file is not valid UTF-8"]


def _reject_binary(head: bytes) -> None:
    """Refuse known non-table formats and content full of control bytes."""
    for signature, description in _FOREIGN_SIGNATURES.items():
        if head.startswith(signature):
            raise DataValidationError(
                None, f"expected a CSV or Parquet table, received {description}"
            )
    controls = len(head.translate(None, _TEXT_BYTES))
    if b"\x00" in head or controls > _MAX_CONTROL_SHARE * len(head):
        raise DataValidationError(
            None,
            "expected a CSV or Parquet table, received binary data "
            f"({controls} control bytes in the first {len(head)})",
        )


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether all of ``data`` decodes, checked in chunks to bound memory."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _DECODE_CHUNK_BYTES):
            decoder.decode(view[start : start + _DECODE_CHUNK_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode_sample(data: bytes, encoding: str) -> str:
    """The first bytes as text, cut after the last complete line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(data[:_SAMPLE_BYTES], final=len(data) <= _SAMPLE_BYTES)
    if len(data) > _SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _detect_delimiter(sample: str, truncated: bool) -> str:
    """csv.Sniffer's guess when the rows agree with it, else the best candidate."""
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = None
    if guess is not None and _consistent_width(sample, guess, truncated) > 1:
        return guess
    widths = {
        candidate: _consistent_width(sample, candidate, truncated)
        for candidate in DELIMITERS
    }
    best = max(widths, key=lambda candidate: widths[candidate])
    return best if widths[best] > 1 else ","


def _consistent_width(sample: str, delimiter: str, truncated: bool) -> int:
    """Header width when at least 90% of sample rows share it, else 0."""
    try:
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    except csv.Error:
        return 0
    rows = [row for row in rows if row]
    if truncated and len(rows) > 1:
        rows = rows[:-1]  # the cut may fall inside a quoted line break
    if not rows:
        return 0
    width = len(rows[0])
    matching = sum(len(row) == width for row in rows[1:])
    return width if matching >= 0.9 * (len(rows) - 1) else 0


def _first_rows(sample: str, delimiter: str) -> tuple[list[str], list[str]]:
    """The header and the first data row (empty when absent), blank lines skipped."""
    rows = (
        row
        for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        if row
    )
    return next(rows, []), next(rows, [])


def _require_unique(names: list[str]) -> None:
    """Raise naming every column name that occurs more than once."""
    counts = Counter(names)
    duplicates = {name: count for name, count in counts.items() if count > 1}
    if duplicates:
        listed = ", ".join(
            f"{name!r} ({count} times)" for name, count in duplicates.items()
        )
        raise DataValidationError(
            None, f"expected unique column names, received duplicates: {listed}"
        )


def _tidy_column_names(frame: pd.DataFrame) -> list[str]:
    """Strip blanks around column names in place; note unnamed columns."""
    notes = []
    stripped = [name.strip() for name in frame.columns]
    if stripped != list(frame.columns):
        frame.columns = stripped
        notes.append("spaces around column names removed")
    unnamed = [name for name in stripped if name.startswith("Unnamed: ")]
    if unnamed:
        notes.append(f"column(s) without a name in the header called {unnamed}")
    return notes


def _require_rows(frame: pd.DataFrame, label: str) -> None:
    """Refuse a table without columns or without data rows."""
    if frame.shape[1] == 0:
        raise DataValidationError(
            None, f"expected at least one column, received none in {label!r}"
        )
    if len(frame) == 0:
        raise DataValidationError(
            None,
            "expected at least one data row below the header, received only the "
            f"header in {label!r} (columns {list(frame.columns)[:20]})",
        )
