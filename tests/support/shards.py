"""A small folder of Parquet shards: entities of many rows, sorted by entity."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

#: Steps per entity; every file holds 20 whole entities.
ROWS_PER_ENTITY = 20


def write_shards(folder: Path, files: int = 3) -> Path:
    """``files`` Parquet files of 20 entities x 20 steps; returns the folder.

    Columns: ``entity`` (text id), ``step``, ``kind`` (a, b, c), ``reading``
    and ``y`` (1 for kind a): a binary target the category decides.
    """
    folder.mkdir()
    for number in range(files):
        rows = 20 * ROWS_PER_ENTITY
        kinds = [("a", "b", "c")[(i // ROWS_PER_ENTITY) % 3] for i in range(rows)]
        table = pa.table(
            {
                "entity": [f"e{number}{i // ROWS_PER_ENTITY:02d}" for i in range(rows)],
                "step": [i % ROWS_PER_ENTITY for i in range(rows)],
                "kind": kinds,
                "reading": [float(i % 7) for i in range(rows)],
                "y": [int(kind == "a") for kind in kinds],
            }
        )
        pq.write_table(table, folder / f"part-{number}.parquet", row_group_size=100)
    return folder
