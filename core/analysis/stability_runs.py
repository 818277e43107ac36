"""Stability of runs in the store: a comparison's seeds, or any runs of one config.

The arithmetic is in :mod:`core.analysis.stability`; this module reads each run's
embedding bundle and its epoch-0 snapshot (loading Keras), and lists the
comparisons a user can pick.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis.comparison import comparison_runs
from core.analysis.stability import (
    DEFAULT_NEIGHBOURS,
    ColumnStability,
    SeedVectors,
    column_stability,
    seed_vectors,
)
from core.errors import ConfigError
from core.model.arms import Arm
from core.runs.store import RunRecord, RunStatus, RunStore


def run_seed_vectors(
    store: RunStore, record: RunRecord, encoding: str = Arm.EMBEDDING
) -> dict[str, SeedVectors]:
    """Every categorical column's vectors of one run (bundle plus epoch-0 snapshot).

    Raises
    ------
    ConfigError
        If the run has no saved bundle of that encoding.
    """
    # Start-up cost: these load scikit-learn and Keras (seconds), which the
    # comparison picker (comparison_choices) must not wait for.
    from core.analysis.embeddings import extract_embedding
    from core.model.bundle import load_bundle
    from core.runs.stored_models import read_snapshots

    path = store.bundle_path(record.id, encoding)
    if not (path / "model.keras").is_file():
        raise ConfigError(
            "runs",
            f"expected run {record.id} to have a saved {encoding} model, received "
            "none (is it finished?)",
        )
    bundle = load_bundle(path)
    initial = read_snapshots(store.snapshots_dir(record.id, encoding)).get(0, {})
    return {
        column: seed_vectors(
            extract_embedding(bundle.model, bundle.preprocessor, column),
            record.config.train.seed,
            initial.get(column),
        )
        for column in bundle.preprocessor.config.categorical_names
    }


def stability_of_runs(
    store: RunStore,
    run_ids: Sequence[str],
    k: int = DEFAULT_NEIGHBOURS,
    encoding: str = Arm.EMBEDDING,
) -> dict[str, ColumnStability]:
    """Stability of every categorical column over runs that differ by seed.

    Parameters
    ----------
    store : RunStore
        Where the runs are.
    run_ids : sequence of str
        Finished runs of one configuration, one per seed (a comparison's runs).
    k : int, default 5
        Neighbours per category.
    encoding : str, default "embedding"
        Which of the runs' models to read.

    Returns
    -------
    dict of str to ColumnStability
        Keyed by column, in the configuration's order.

    Raises
    ------
    ConfigError
        If fewer than two distinct finished runs are given, two share a seed,
        or their categorical columns differ.
    """
    records = [store.get(run_id) for run_id in dict.fromkeys(run_ids)]
    if len(records) < 2:
        raise ConfigError(
            "runs", f"expected at least 2 runs to compare, received {len(records)}"
        )
    for record in records:
        if record.status is not RunStatus.DONE:
            raise ConfigError(
                "runs",
                f"expected finished runs, received {record.id} ({record.status.value})",
            )
    seeds = [record.config.train.seed for record in records]
    if len(set(seeds)) < len(seeds):
        raise ConfigError(
            "runs", f"expected runs with different seeds, received seeds {seeds}"
        )
    vectors = [run_seed_vectors(store, record, encoding) for record in records]
    columns = list(vectors[0])
    if any(list(v) != columns for v in vectors[1:]):
        raise ConfigError(
            "runs",
            f"expected runs with the same categorical columns, received "
            f"{[list(v) for v in vectors]}",
        )
    return {
        column: column_stability(column, [v[column] for v in vectors], k)
        for column in columns
    }


def comparison_choices(store: RunStore) -> dict[str, list[RunRecord]]:
    """Comparisons with at least two finished seeds (one run each), for a picker."""
    identities = dict.fromkeys(
        record.comparison
        for record in store.records()
        if record.comparison and record.comparison.startswith("cmp-")
    )
    found = {}
    for identity in identities:
        finished = [
            record
            for record in comparison_runs(store, identity).values()
            if record.status is RunStatus.DONE and Arm.EMBEDDING in record.encodings
        ]
        if len(finished) >= 2:
            found[identity] = finished
    return found
