"""Parquet datasets larger than memory: a folder or glob of shards, read in chunks.

A :class:`DatasetSource` names the shards (sorted by path) and fingerprints them by
path, size and modification time, so the run store keeps a reference instead of a
copy. Schema, row count and a sample come from Parquet metadata and the first
rows, never from a full read.

:func:`iter_entity_chunks` reads the shards in order through ``pyarrow.dataset``
and yields pandas chunks of whole entities. **Requirement:** rows are sorted by
the entity id across all shards (taken in sorted path order); an entity may span
row groups and files. Rows out of order end with :class:`EntityOrderError`, which
names the id column, the file and the two ids.
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from core.errors import DataValidationError

#: Share of the memory budget one chunk of raw rows may take; the rest is for
#: its pandas copy, encoded arrays, example indices and batches.
CHUNK_SHARE = 0.15
MIN_CHUNK_ROWS = 1_000
#: Rows per Arrow batch read from a row group.
READ_BATCH_ROWS = 65_536
GLOB_CHARACTERS = frozenset("*?[")


class EntityOrderError(DataValidationError):
    """The dataset's rows are not sorted by the entity id column."""


def is_dataset_path(text: str | Path) -> bool:
    """Whether ``text`` names a folder or a glob pattern (not a single file)."""
    path = Path(text)
    if path.is_file():
        return False
    return path.is_dir() or any(c in str(text) for c in GLOB_CHARACTERS)


def resolve_files(text: str | Path) -> tuple[Path, ...]:
    """Parquet shards of a folder (recursively) or a glob, sorted by path.

    Raises
    ------
    DataValidationError
        If no Parquet file matches.
    """
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
    else:
        files = sorted(Path(p) for p in glob.glob(str(text), recursive=True))
        files = [p for p in files if p.is_file() and p.suffix == ".parquet"]
    if not files:
        raise DataValidationError(
            None,
            f"expected a folder or glob with .parquet files, received {str(text)!r} "
            "matching none",
        )
    return tuple(p.resolve() for p in files)


@dataclass(frozen=True)
class DatasetSource:
    """A list of Parquet shards with their sizes and modification times.

    Parameters
    ----------
    files : tuple of str
        Absolute paths, in reading order.
    sizes : tuple of int
        Bytes of each file.
    mtimes : tuple of int
        Modification times in nanoseconds.
    name : str
        What the user called it (the folder or glob).
    """

    files: tuple[str, ...]
    sizes: tuple[int, ...]
    mtimes: tuple[int, ...]
    name: str = "dataset"

    @classmethod
    def open(cls, text: str | Path) -> DatasetSource:
        """The shards a folder or glob names, as they are on disk now."""
        files = resolve_files(text)
        stats = [file.stat() for file in files]
        return cls(
            tuple(str(file) for file in files),
            tuple(stat.st_size for stat in stats),
            tuple(stat.st_mtime_ns for stat in stats),
            Path(str(text)).name or str(text),
        )

    @property
    def fingerprint(self) -> str:
        """Hash of the file list, sizes and modification times (not the content)."""
        payload = json.dumps([self.files, self.sizes, self.mtimes]).encode()
        return hashlib.sha256(payload).hexdigest()[:24]

    def check_unchanged(self) -> None:
        """Refuse shards changed since the reference was taken (a run trains on
        what was submitted)."""
        if DatasetSource.open_files(self.files, self.name) != self:
            raise DataValidationError(
                None,
                f"expected the dataset {self.name!r} unchanged since the run was "
                "submitted, received files added, removed or modified",
            )

    @classmethod
    def open_files(cls, files: Sequence[str], name: str) -> DatasetSource:
        """A source of exactly these files (missing files raise OSError)."""
        stats = [Path(file).stat() for file in files]
        return cls(
            tuple(files),
            tuple(stat.st_size for stat in stats),
            tuple(stat.st_mtime_ns for stat in stats),
            name,
        )

    def dataset(self) -> Any:
        """The ``pyarrow.dataset.Dataset`` of the shards, in order."""
        return ds.dataset(list(self.files), format="parquet")

    @property
    def total_bytes(self) -> int:
        """Bytes on disk of all shards."""
        return int(sum(self.sizes))

    def row_count(self) -> int:
        """Rows of all shards, from the Parquet footers."""
        return int(self.dataset().count_rows())

    def schema_frame(self) -> pd.DataFrame:
        """One row per column: name and Arrow type (read from the footers)."""
        schema = self.dataset().schema
        return pd.DataFrame(
            {"column": schema.names, "type": [str(t) for t in schema.types]}
        )

    @property
    def column_names(self) -> list[str]:
        """Column names of the schema."""
        return list(self.dataset().schema.names)

    def sample(self, rows: int = 200) -> pd.DataFrame:
        """The first ``rows`` rows (only the row groups they are in are read)."""
        return self.dataset().head(rows).to_pandas()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable reference (what the run store keeps)."""
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "files": list(self.files),
            "sizes": list(self.sizes),
            "mtimes": list(self.mtimes),
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> DatasetSource:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tuple(payload["files"]),
            tuple(int(s) for s in payload["sizes"]),
            tuple(int(m) for m in payload["mtimes"]),
            str(payload.get("name", "dataset")),
        )


def chunk_rows_for(budget_bytes: int, bytes_per_row: int) -> int:
    """Rows per chunk so that a chunk's working set stays within the budget."""
    return max(MIN_CHUNK_ROWS, int(budget_bytes * CHUNK_SHARE / max(bytes_per_row, 1)))


def estimate_row_bytes(source: DatasetSource, columns: Sequence[str]) -> int:
    """Bytes of one row of ``columns`` in pandas (text counted at 64 bytes)."""
    schema = source.dataset().schema
    total = 0
    for column in columns:
        kind = schema.field(column).type
        fixed = pa.types.is_primitive(kind) and not pa.types.is_boolean(kind)
        total += max(kind.bit_width // 8, 1) if fixed else 64
    return total


def iter_entity_chunks(
    source: DatasetSource,
    columns: Sequence[str],
    id_column: str,
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    """Chunks of about ``chunk_rows`` rows, each holding whole entities.

    The rows of the last entity seen are held back until a later id arrives, so
    an entity split across row groups or files lands in one chunk. An entity
    longer than ``chunk_rows`` makes one larger chunk.

    Raises
    ------
    EntityOrderError
        If ids decrease anywhere (rows not sorted by ``id_column``).
    DataValidationError
        If an id is missing or a column is absent.
    """
    dataset = source.dataset()
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise DataValidationError(
            missing[0],
            f"expected a column of the dataset {dataset.schema.names}, received "
            f"{missing[0]!r}",
        )
    pending: list[pa.Table] = []
    pending_rows = 0
    previous = None
    for fragment in dataset.get_fragments():
        for batch in fragment.to_batches(
            columns=list(columns), batch_size=READ_BATCH_ROWS
        ):
            if batch.num_rows == 0:
                continue
            ids = batch.column(id_column)
            _check_order(ids, previous, id_column, fragment.path, pc)
            previous = ids[len(ids) - 1].as_py()
            pending.append(pa.Table.from_batches([batch]))
            pending_rows += batch.num_rows
            if pending_rows < chunk_rows:
                continue
            table = pa.concat_tables(pending)
            last = table.column(id_column)[table.num_rows - 1]
            tail = int(pc.sum(pc.equal(table.column(id_column), last)).as_py())
            if tail == table.num_rows:
                pending = [table]
                continue
            yield table.slice(0, table.num_rows - tail).to_pandas()
            pending = [table.slice(table.num_rows - tail)]
            pending_rows = tail
    if pending_rows:
        yield pa.concat_tables(pending).to_pandas()


def _check_order(ids: Any, previous: Any, id_column: str, path: str, pc: Any) -> None:
    """Raise unless ``ids`` are non-decreasing and start at or after ``previous``."""
    if ids.null_count:
        raise DataValidationError(
            id_column,
            f"expected an entity id in every row, received {ids.null_count} "
            f"missing in {path}",
        )
    first = ids[0].as_py()
    if previous is not None and first < previous:
        _order_error(id_column, previous, first, path)
    if len(ids) > 1:
        decreasing = pc.less(ids.slice(1), ids.slice(0, len(ids) - 1))
        if pc.any(decreasing).as_py():
            position = int(pc.index(decreasing, True).as_py())
            _order_error(
                id_column, ids[position].as_py(), ids[position + 1].as_py(), path
            )


def _order_error(id_column: str, before: Any, after: Any, path: str) -> None:
    raise EntityOrderError(
        id_column,
        f"expected rows sorted by '{id_column}' across the shards (read in sorted "
        f"path order), received id {after!r} after {before!r} in {path}; sort "
        f"the data by '{id_column}' before writing the shards",
    )
