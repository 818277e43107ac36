"""Embedding-size sweeps: which width should one categorical column get?

For one column, each candidate size (by default the sizes the advisor's four
rules give) is trained with k seeds, next to the one-hot twin with the same
seeds, as one group of runs in the store. The report gives the metric per size
with a 95% t-interval over the seeds, the parameters and training time, the
best size, and the smallest size whose mean lies inside the best size's
interval (the cheapest choice the seeds cannot tell apart from the best).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.comparison import MAX_SEEDS
from core.analysis.verdict import t_interval
from core.config import ColumnSpec, ExperimentConfig
from core.errors import ConfigError
from core.features.embedding_sizes import RULES
from core.features.naming import embedding_layer_name
from core.model.arms import Arm
from core.model.metric_registry import headline_metric, lower_is_better
from core.runs.store import RunRecord, RunStatus, RunStore, data_fingerprint

ONEHOT_ROW = "one-hot"


@dataclass(frozen=True)
class SweepSpec:
    """One column, the sizes to try, and the seeds."""

    config: ExperimentConfig
    column: str
    sizes: tuple[int, ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        names = self.config.data.categorical_names
        if self.column not in names:
            raise ConfigError(
                "--column",
                f"expected one of the categorical columns {list(names)}, "
                f"received {self.column!r}",
            )
        if not self.sizes or min(self.sizes) < 1:
            raise ConfigError(
                "--sizes", f"expected sizes of 1 or more, received {self.sizes}"
            )
        if not 1 <= len(self.seeds) <= MAX_SEEDS:
            raise ConfigError(
                "--seeds",
                f"expected 1 to {MAX_SEEDS} seeds, received {len(self.seeds)}",
            )

    @classmethod
    def for_column(
        cls,
        config: ExperimentConfig,
        frame: pd.DataFrame,
        column: str,
        seeds: tuple[int, ...],
        sizes: tuple[int, ...] | None = None,
    ) -> SweepSpec:
        """A sweep whose default sizes are the advisor's rules for this column."""
        if sizes is None and column in frame.columns:
            categories = int(frame[column].nunique(dropna=False))
            sizes = tuple(sorted({rule(categories) for rule in RULES.values()}))
        return cls(config, column, tuple(sorted(set(sizes or ()))), tuple(seeds))

    def sized(self, size: int, seed: int) -> ExperimentConfig:
        """The config with ``size`` for the column and ``seed`` for training."""
        columns = tuple(
            ColumnSpec(spec.name, size) if spec.name == self.column else spec
            for spec in self.config.data.categorical_columns
        )
        data = replace(self.config.data, categorical_columns=columns)
        return self.config.replace(
            data=data, train=replace(self.config.train, seed=seed)
        )

    def identity(self, data_fingerprint: str) -> str:
        """The sweep's id: the same data, settings, sizes and seeds give the same id."""
        settings = self.config.identity_dict()
        settings["train"].pop("seed")
        payload = json.dumps(
            [data_fingerprint, settings, self.column, self.sizes, self.seeds],
            sort_keys=True,
        )
        return "swp-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def _key(record: RunRecord, column: str) -> tuple[str, int]:
    """(row name, seed) of one of the sweep's runs."""
    seed = record.config.train.seed
    if record.encodings == (Arm.ONEHOT,):
        return ONEHOT_ROW, seed
    dims = {
        spec.name: spec.embedding_dim for spec in record.config.data.categorical_columns
    }
    return str(dims[column]), seed


def sweep_runs(store: RunStore, sweep: str) -> list[RunRecord]:
    """The sweep's runs, one per (size, seed): a finished one where there is one."""
    chosen: dict[tuple[str, int], RunRecord] = {}
    for record in reversed(store.records()):
        if record.comparison != sweep:
            continue
        column = record.label.split(" | ")[0] if record.label else ""
        key = _key(record, column)
        if key not in chosen or chosen[key].status is not RunStatus.DONE:
            chosen[key] = record
    return list(chosen.values())


def start_sweep(
    executor: Any,
    frame: pd.DataFrame,
    spec: SweepSpec,
    data_name: str,
    owner: str | None = None,
) -> str:
    """Submit each (size, seed) and one-hot seed lacking a usable run; returns id."""
    sweep = spec.identity(data_fingerprint(frame, owner))
    existing = {
        _key(record, spec.column): executor.refresh(record)
        for record in sweep_runs(executor.store, sweep)
    }
    jobs = [(str(size), seed) for size in spec.sizes for seed in spec.seeds]
    jobs += [(ONEHOT_ROW, seed) for seed in spec.seeds]
    for row, seed in jobs:
        record = existing.get((row, seed))
        if record is not None and record.status in (
            RunStatus.DONE,
            RunStatus.QUEUED,
            RunStatus.RUNNING,
        ):
            continue
        size = spec.sizes[0] if row == ONEHOT_ROW else int(row)
        executor.submit(
            frame,
            spec.sized(size, seed),
            (Arm.ONEHOT,) if row == ONEHOT_ROW else (Arm.EMBEDDING,),
            data_name,
            owner=owner,
            label=f"{spec.column} | {row} | seed {seed}",
            comparison=sweep,
        )
    return sweep


@dataclass(frozen=True)
class SweepResult:
    """The sweep's report."""

    sweep: str
    column: str
    metric: str
    table: pd.DataFrame
    best: int | None
    recommended: int | None
    reason: str
    pending: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "sweep": self.sweep,
            "column": self.column,
            "metric": self.metric,
            "rows": json.loads(self.table.to_json(orient="records")),
            "best": self.best,
            "recommended": self.recommended,
            "reason": self.reason,
            "pending": self.pending,
        }


def summarize_sweep(
    store: RunStore, sweep: str, metric: str | None = None
) -> SweepResult:
    """Metric per size (and one-hot) with intervals, and the recommended size."""
    runs = sweep_runs(store, sweep)
    if not runs:
        raise ConfigError("sweep", f"expected a sweep id, received {sweep!r}")
    column = runs[0].label.split(" | ")[0]
    metric = metric or headline_metric(runs[0].config.data.task)
    groups: dict[str, list[tuple[float, dict]]] = {}
    for record in runs:
        row, _ = _key(record, column)
        encoding = record.encodings[0]
        results = store.results(record.id).get(encoding)
        if record.status is RunStatus.DONE and results is not None:
            value = results["test"].get(metric)
            if value is not None:
                groups.setdefault(row, []).append((float(value), results))
    table = pd.DataFrame([_row(row, items, column) for row, items in groups.items()])
    if not table.empty:
        order = table["size"].map(lambda s: math.inf if s == ONEHOT_ROW else int(s))
        table = table.assign(_order=order).sort_values("_order").drop(columns="_order")
    best, recommended, reason = _recommend(table, metric)
    pending = sum(1 for record in runs if not record.status.final)
    return SweepResult(sweep, column, metric, table, best, recommended, reason, pending)


def _row(row: str, items: list[tuple[float, dict]], column: str) -> dict[str, Any]:
    mean, low, high = t_interval([value for value, _ in items])
    parameters = items[0][1].get("parameters", {})
    return {
        "size": row,
        "seeds": len(items),
        "mean": mean,
        "low": low,
        "high": high,
        "column parameters": parameters.get(embedding_layer_name(column)),
        "total parameters": parameters.get("total"),
        "seconds": float(np.mean([r["training"]["seconds"] for _, r in items])),
    }


def _recommend(table: pd.DataFrame, metric: str) -> tuple[int | None, int | None, str]:
    sized = table[table["size"] != ONEHOT_ROW] if not table.empty else table
    if sized.empty:
        return None, None, "no finished size yet"
    lower = lower_is_better(metric)
    best_row = sized.loc[sized["mean"].idxmin() if lower else sized["mean"].idxmax()]
    best = int(best_row["size"])
    if best_row["low"] is None or pd.isna(best_row["low"]):
        return best, best, "best mean (one seed: no interval)"
    inside = sized[
        (sized["mean"] >= best_row["low"]) & (sized["mean"] <= best_row["high"])
    ]
    smallest = int(min(int(size) for size in inside["size"]))
    if smallest == best:
        return best, best, f"best mean {metric}"
    return best, smallest, f"smallest size inside the best size's ({best}) 95% interval"
