"""One leaderboard for runs of one data set and target: every arm against the
strongest baseline.

Wherever runs are compared (the Compare page, a study's result, ``python -m
core compare --json``) the same table: each arm's mean test metric over the
seeds with its t-interval, its parameters and training time, then the
baselines every run reports (the naive one; persistence when the target's past
is an input). Rows are best first. An arm that does not beat the strongest
baseline is labelled so in words, and so is the whole board when no arm does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.analysis.comparison import ComparisonResult, comparison_runs
from core.analysis.verdict import t_interval
from core.model.metric_registry import lower_is_better, metric_label
from core.model.skill import baseline_values
from core.runs.store import RunStatus, RunStore


@dataclass(frozen=True)
class BoardRow:
    """One arm or baseline of the leaderboard."""

    name: str
    kind: str  # "model" or "baseline"
    mean: float
    low: float | None
    high: float | None
    seeds: int
    parameters: float | None = None
    seconds: float | None = None
    beats_strongest_baseline: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly row."""
        return {
            "name": self.name,
            "kind": self.kind,
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "seeds": self.seeds,
            "parameters": self.parameters,
            "seconds": self.seconds,
            "beats_strongest_baseline": self.beats_strongest_baseline,
        }


@dataclass(frozen=True)
class Leaderboard:
    """Rows best first, the strongest baseline, and the board's verdict."""

    metric: str
    rows: tuple[BoardRow, ...]
    strongest_baseline: BoardRow | None
    verdict: str
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``leaderboard`` object of JSON reports."""
        return {
            "metric": self.metric,
            "rows": [row.to_dict() for row in self.rows],
            "strongest_baseline": None
            if self.strongest_baseline is None
            else self.strongest_baseline.name,
            "verdict": self.verdict,
            "settings": self.settings,
        }

    def table_rows(self) -> list[dict[str, Any]]:
        """Rows for a table: rank, name, mean, interval, parameters, time, note."""
        rows = []
        for rank, row in enumerate(self.rows, start=1):
            interval = f"{row.low:.4g} to {row.high:.4g}" if row.low is not None else ""
            note = ""
            if row.kind == "model" and row.beats_strongest_baseline is False:
                note = f"does not beat {self.strongest_baseline.name}"
            rows.append(
                {
                    "rank": rank,
                    "name": row.name,
                    "kind": row.kind,
                    metric_label(self.metric): row.mean,
                    "95% interval": interval,
                    "seeds": row.seeds,
                    "parameters": None
                    if row.parameters is None
                    else int(row.parameters),
                    "seconds": None if row.seconds is None else round(row.seconds, 1),
                    "note": note,
                }
            )
        return rows


def leaderboard(
    store: RunStore,
    result: ComparisonResult,
    settings: dict[str, Any] | None = None,
) -> Leaderboard:
    """The leaderboard of a summarised comparison (its test metric).

    Parameters
    ----------
    store : RunStore
        Where the comparison's runs are.
    result : ComparisonResult
        From :func:`core.analysis.comparison.summarize`.
    settings : dict or None
        Parameters to show beside the board (a study's best trial).
    """
    metric = result.metric
    lower = lower_is_better(metric)
    models = [
        _model_row(name, summary.per_seed, summary.parameters, summary.seconds)
        for name, summary in result.arms.items()
    ]
    baselines = _baseline_rows(store, result.comparison, metric)
    strongest = _best(baselines, lower)
    if strongest is not None:
        models = [_judged(row, strongest, lower) for row in models]
    rows = sorted(models + baselines, key=lambda row: row.mean * (1 if lower else -1))
    return Leaderboard(
        metric,
        tuple(rows),
        strongest,
        _verdict(models, strongest, metric, lower),
        settings or {},
    )


def _model_row(
    name: str,
    per_seed: dict[int, float],
    parameters: float | None,
    seconds: float | None,
) -> BoardRow:
    mean, low, high = t_interval(list(per_seed.values()))
    return BoardRow(name, "model", mean, low, high, len(per_seed), parameters, seconds)


def _baseline_rows(store: RunStore, comparison: str, metric: str) -> list[BoardRow]:
    """Each baseline's test metric over the comparison's finished runs."""
    values: dict[str, list[float]] = {}
    for record in comparison_runs(store, comparison).values():
        if record.status is not RunStatus.DONE:
            continue
        for results in store.results(record.id).values():
            found = _baselines_of(results, metric)
            if found:
                for name, value in found.items():
                    values.setdefault(name, []).append(value)
                break  # every arm of a run reports the same baselines
    rows = []
    for name, per_run in values.items():
        mean, low, high = t_interval(per_run)
        rows.append(BoardRow(name, "baseline", mean, low, high, len(per_run)))
    return rows


def _baselines_of(results: dict[str, Any], metric: str) -> dict[str, float]:
    """Baseline name to test metric, from one arm's report (either layout)."""
    return {
        name.replace("_", " "): value
        for name, value in baseline_values(results, metric).items()
        if np.isfinite(value)
    }


def _best(rows: list[BoardRow], lower: bool) -> BoardRow | None:
    if not rows:
        return None
    return (
        min(rows, key=lambda row: row.mean)
        if lower
        else max(rows, key=lambda row: row.mean)
    )


def _judged(row: BoardRow, strongest: BoardRow, lower: bool) -> BoardRow:
    beats = row.mean < strongest.mean if lower else row.mean > strongest.mean
    return BoardRow(**{**row.__dict__, "beats_strongest_baseline": beats})


def _verdict(
    models: list[BoardRow], strongest: BoardRow | None, metric: str, lower: bool
) -> str:
    label = metric_label(metric)
    if not models:
        return "No arm has a finished seed yet."
    best = _best(models, lower)
    if strongest is None:
        return f"Best: {best.name} ({label} {best.mean:.4g}); no baseline was reported."
    losers = [row.name for row in models if row.beats_strongest_baseline is False]
    if len(losers) == len(models):
        return (
            f"No model beats the {strongest.name} baseline ({label} "
            f"{strongest.mean:.4g}); the best model, {best.name}, scores "
            f"{best.mean:.4g}."
        )
    text = (
        f"Best: {best.name} ({label} {best.mean:.4g}) against the strongest "
        f"baseline, {strongest.name} ({strongest.mean:.4g})."
    )
    if losers:
        text += f" Not beating {strongest.name}: {', '.join(losers)}."
    return text
