"""Read-only views of runs for the app, the command line and notebooks.

Pure functions over run records, progress lines and metrics files: a summary
row per run, the live progress of a run, the difference of two configs and the
metrics of several runs side by side. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from core.model.arms import LSTM_ARMS
from core.model.metric_registry import headline_metric, summary_metrics
from core.model.skill import SKILL_METRIC, baseline_values, baselines_of, skill_score
from core.runs.store import RunRecord, RunStatus, RunStore

#: Share of the progress bar each phase ends at (training fills the middle).
PREPARED_SHARE = 0.05
TRAINING_SHARE = 0.95


def created_text(stamp: float) -> str:
    """A Unix time as ``YYYY-MM-DD HH:MM:SS`` UTC."""
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def run_summary(store: RunStore, record: RunRecord) -> dict[str, Any]:
    """One JSON-friendly row: id, status, data, target, encodings, test metrics."""
    results = store.results(record.id)
    return {
        "id": record.id,
        "status": record.status.value,
        "created": created_text(record.created),
        "data": record.data_name,
        "rows": record.rows,
        "target": record.config.data.target_column,
        "task": record.config.data.task,
        "encodings": list(record.encodings),
        "metrics": {
            encoding: results[encoding].get("test", {})
            for encoding in record.encodings
            if encoding in results
        },
        "seconds": None if record.seconds is None else round(record.seconds, 1),
        "peak_memory_bytes": record.peak_memory_bytes,
        "owner": record.owner,
        "label": record.label,
        "error": record.error,
    }


def runs_table(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    """The run list as a table: one headline test metric column per encoding."""
    rows = []
    for summary in summaries:
        metric = headline_metric(summary["task"])
        row = {
            "id": summary["id"],
            "status": summary["status"],
            "data": summary["data"],
            "target": summary["target"],
            "encodings": ", ".join(summary["encodings"]),
        }
        for encoding in LSTM_ARMS:
            value = summary["metrics"].get(encoding, {}).get(metric)
            row[f"{encoding} test {metric}"] = value
        row["seconds"] = summary["seconds"]
        row["created (UTC)"] = summary["created"]
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class LiveProgress:
    """Where a run stands, from its record and progress lines.

    Attributes
    ----------
    fraction : float
        0 to 1, for a progress bar (preparing, then epochs, then evaluation).
    text : str
        One line: phase, model, epoch and batch.
    elapsed : float or None
        Seconds since training started.
    remaining : float or None
        Estimated seconds left (an upper bound: early stopping may end sooner).
    batch_loss : float or None
        Latest training loss.
    curves : dict
        Encoding to ``{"loss": [...], "val_loss": [...]}`` per epoch so far.
    notes : list of str
        What preparation repaired or dropped.
    """

    fraction: float
    text: str
    elapsed: float | None
    remaining: float | None
    batch_loss: float | None
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def live_progress(
    record: RunRecord,
    events: list[dict[str, Any]],
    queue_position: int | None = None,
    now: float | None = None,
) -> LiveProgress:
    """Progress of a run for display (any status)."""
    now = now or time.time()
    curves: dict[str, dict[str, list[float]]] = {}
    notes: list[str] = []
    fraction, text, loss = 0.0, "waiting for a training slot", None
    if queue_position is not None:
        text = f"queued: position {queue_position} in the queue"
    for event in events:
        if event["kind"] == "phase":
            fraction, text = _phase_position(event, record, fraction, text)
            notes = event.get("notes", notes)
        else:
            fraction = _training_fraction(event)
            loss = event["logs"].get("loss", loss)
            text = (
                f"training {event['encoding']} model · epoch {event['epoch'] + 1}/"
                f"{event['epochs']} · batch {event['batch'] + 1}/{event['batches']}"
            )
            if event["kind"] == "epoch":
                history = curves.setdefault(event["encoding"], {})
                for key in ("loss", "val_loss"):
                    if key in event["logs"]:
                        history.setdefault(key, []).append(event["logs"][key])
    if record.status.final:
        fraction, text = 1.0, record.status.value
    elapsed = (
        None if record.started is None else (record.finished or now) - record.started
    )
    remaining = None
    if elapsed is not None and PREPARED_SHARE < fraction < 1.0:
        done = (fraction - PREPARED_SHARE) / (1 - PREPARED_SHARE)
        remaining = elapsed * (1 - done) / max(done, 1e-6)
    return LiveProgress(fraction, text, elapsed, remaining, loss, curves, notes)


def _phase_position(
    event: dict[str, Any], record: RunRecord, fraction: float, text: str
) -> tuple[float, str]:
    phase = event["phase"]
    count = max(len(record.encodings), 1)
    index = event.get("index", 0)
    span = (TRAINING_SHARE - PREPARED_SHARE) / count
    if phase == "starting":
        return 0.01, "starting the training process (loading TensorFlow)"
    if phase in ("loading", "preparing"):
        return 0.02, f"{phase} the data"
    if phase == "prepared":
        return PREPARED_SHARE, "prepared the data"
    if phase == "training":
        return PREPARED_SHARE + span * index, f"starting the {event['encoding']} model"
    if phase in ("evaluating", "saving"):
        return PREPARED_SHARE + span * (
            index + 1
        ), f"{phase} the {event['encoding']} model"
    if phase == "saved":
        return PREPARED_SHARE + span * (
            index + 1
        ), f"saved the {event['encoding']} model"
    return fraction, text


def _training_fraction(event: dict[str, Any]) -> float:
    count = max(event.get("count", 1), 1)
    span = (TRAINING_SHARE - PREPARED_SHARE) / count
    within = (event["epoch"] + (event["batch"] + 1) / max(event["batches"], 1)) / max(
        event["epochs"], 1
    )
    return PREPARED_SHARE + span * (event.get("index", 0) + min(within, 1.0))


def flatten(payload: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dict to dotted keys (lists stay values)."""
    flat: dict[str, Any] = {}
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def config_difference(first: RunRecord, second: RunRecord) -> pd.DataFrame:
    """The settings that differ between two runs (plus data and encodings)."""
    left = {**flatten(first.config.to_dict()), "data set": first.data_name}
    right = {**flatten(second.config.to_dict()), "data set": second.data_name}
    left["encodings"] = ", ".join(first.encodings)
    right["encodings"] = ", ".join(second.encodings)
    rows = [
        {"setting": key, first.id: str(left.get(key)), second.id: str(right.get(key))}
        for key in sorted(set(left) | set(right))
        if left.get(key) != right.get(key)
    ]
    return pd.DataFrame(rows, columns=["setting", first.id, second.id])


def metrics_side_by_side(store: RunStore, records: list[RunRecord]) -> pd.DataFrame:
    """Test metrics of every encoding of every run, and each run's baselines.

    A regression forecast's rows also carry ``skill`` (``1 − RMSE /
    RMSE_persistence``).
    """
    rows = []
    for record in records:
        results = store.results(record.id)
        names = summary_metrics(record.config.data.task)
        first = next(iter(results.values()), {})
        reference = baseline_values(first, SKILL_METRIC).get("persistence")
        for encoding, metrics in results.items():
            row = {"run": record.id, "model": f"{encoding} LSTM"}
            row.update({name: metrics.get("test", {}).get(name) for name in names})
            _add_skill(row, reference)
            row["parameters"] = metrics.get("parameters", {}).get("total")
            row["epochs"] = metrics.get("training", {}).get("epochs_run")
            row["seconds"] = metrics.get("training", {}).get("seconds")
            rows.append(row)
        for name, baseline in baselines_of(first).items():
            label = BASELINE_ROW_LABELS.get(name) or baseline["strategy"]
            if baseline.get("season"):
                label = f"{label}, season {baseline['season']}"
            row = {"run": record.id, "model": f"baseline ({label})"}
            row.update({name: baseline["test"].get(name) for name in names})
            _add_skill(row, reference)
            rows.append(row)
    return pd.DataFrame(rows)


#: How the runs table names a baseline (the naive one by its strategy).
BASELINE_ROW_LABELS = {
    "persistence": "last observed",
    "seasonal_naive": "seasonal naive",
}


def _add_skill(row: dict[str, Any], reference: float | None) -> None:
    """Put the RMSE skill against persistence right after RMSE, when there is one."""
    if reference is None or SKILL_METRIC not in row:
        return
    items = list(row.items())
    at = [key for key, _ in items].index(SKILL_METRIC) + 1
    items.insert(at, ("skill", skill_score(row[SKILL_METRIC], reference)))
    row.clear()
    row.update(items)


def validation_curves(
    store: RunStore, records: list[RunRecord]
) -> dict[str, list[float]]:
    """``"<run> <encoding>"`` to its per-epoch validation loss."""
    curves = {}
    for record in records:
        for encoding, history in store.histories(record.id).items():
            if history.get("val_loss"):
                curves[f"{record.id} {encoding}"] = history["val_loss"]
    return curves


def is_active(record: RunRecord) -> bool:
    """Queued or running."""
    return record.status in (RunStatus.QUEUED, RunStatus.RUNNING)


#: What a group of runs is, by the prefix of its id (``RunRecord.comparison``).
GROUP_KINDS = {"cmp-": "comparison", "swp-": "size sweep"}


def group_kind(group: str) -> str:
    """``"comparison"`` or ``"size sweep"`` for a group id (``"group"`` otherwise)."""
    for prefix, kind in GROUP_KINDS.items():
        if group.startswith(prefix):
            return kind
    return "group"


def group_runs(
    records: list[RunRecord],
) -> tuple[list[RunRecord], dict[str, list[RunRecord]]]:
    """Runs on their own, and the runs of each comparison or sweep together.

    Order is kept: newest first within each, groups by their newest run.
    """
    alone: list[RunRecord] = []
    groups: dict[str, list[RunRecord]] = {}
    for record in records:
        if record.comparison is None:
            alone.append(record)
        else:
            groups.setdefault(record.comparison, []).append(record)
    return alone, groups


def group_title(group: str, members: list[RunRecord]) -> str:
    """An expander title: kind, id, run count, data, target and how many finished."""
    first = members[0]
    done = sum(record.status is RunStatus.DONE for record in members)
    return (
        f"{group_kind(group).capitalize()} {group} · {len(members)} runs "
        f"({done} done) · {first.data_name} · {first.config.data.target_column}"
    )


def deletion_warning(record: RunRecord, records: list[RunRecord]) -> str | None:
    """What deleting ``record`` does to its comparison or sweep (None if alone).

    A comparison reports over the seeds it finds: without a warning, deleting
    one seed quietly leaves fewer seeds and a wider interval.
    """
    if record.comparison is None:
        return None
    group = record.comparison
    members = [other for other in records if other.comparison == group]
    others = [other for other in members if other.id != record.id]
    kind = group_kind(group)
    if kind == "comparison":
        seeds = len({other.config.train.seed for other in others})
        effect = (
            f"leaves it {seeds} seeds: its report then quietly covers fewer "
            "seeds, with a wider interval"
        )
    else:
        effect = f"leaves it {len(others)} runs: its intervals widen"
    return (
        f"Run {record.id} ({record.label or 'no label'}) is one of the "
        f"{len(members)} runs of {kind} {group}. Deleting it {effect}."
    )
