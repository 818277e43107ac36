"""Tiny seeded long-format tables with planted structure, built when a test asks."""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
#: Hidden group of each kind: kinds in group 1 drift upwards and fail.
KIND_GROUP = {"alpha": 0, "beta": 1, "gamma": 0, "delta": 1, "epsilon": 0, "zeta": 1}
#: Classes of :func:`forecast_table`'s ``grade`` column, from its ``level``.
GRADES = ("low", "mid", "high")


def make_long_table(
    seed: int = 0,
    entities: int = 40,
    min_length: int = 4,
    max_length: int = 12,
    missing_share: float = 0.05,
) -> pd.DataFrame:
    """Long-format table: one row per entity per step.

    Columns: ``entity`` (int id), ``step`` (int time), ``kind`` (string category
    whose hidden group decides the label), ``shift`` (integer category that
    includes a real category 0), ``reading`` (float with missing values),
    ``label`` (binary, constant per entity) and ``level`` (regression target).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for entity in range(entities):
        kind = KINDS[entity % len(KINDS)]
        group = KIND_GROUP[kind]
        length = int(rng.integers(min_length, max_length + 1))
        for step in range(length):
            reading = rng.normal(loc=group * 0.5 * step / length, scale=0.3)
            rows.append(
                {
                    "entity": entity + 1,
                    "step": step,
                    "kind": kind,
                    "shift": int(rng.integers(0, 3)),
                    "reading": reading,
                    "label": group,
                    "level": 2.0 * group + reading + rng.normal(scale=0.1),
                }
            )
    frame = pd.DataFrame(rows)
    missing = rng.random(len(frame)) < missing_share
    frame.loc[missing, "reading"] = np.nan
    frame["kind"] = frame["kind"].astype(object)
    frame.loc[rng.random(len(frame)) < missing_share, "kind"] = None
    return frame


def make_maintenance_table(
    seed: int = 0, machines: int = 5, steps: int = 10
) -> pd.DataFrame:
    """Predictive-maintenance-like long table, one row per machine per hour.

    Columns: ``machine_id`` (int), ``timestamp`` (date/time text),
    ``machine_type`` (text, 3 values), ``operator_id`` (int 1..40),
    ``temperature`` (float) and ``failure`` (0/1).
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = [
        {
            "machine_id": machine,
            "timestamp": str(start + pd.Timedelta(hours=step)),
            "machine_type": ("small", "medium", "large")[machine % 3],
            "operator_id": int(rng.integers(1, 41)),
            "temperature": float(rng.normal(70.0, 5.0)),
            "failure": int(step == steps - 1 and machine % 2 == 1),
        }
        for machine in range(1, machines + 1)
        for step in range(steps)
    ]
    return pd.DataFrame(rows)


def category_only_table(seed: int = 0, entities: int = 120) -> pd.DataFrame:
    """The label depends on the entity's category alone; ``noise`` carries nothing.

    Kinds ``a``, ``c`` and ``e`` are label 1, ``b``, ``d`` and ``f`` label 0.
    """
    rng = np.random.default_rng(seed)
    kinds = np.array(list("abcdef"))
    rows = []
    for entity in range(entities):
        kind = kinds[entity % 6]
        for step in range(6):
            rows.append(
                {
                    "entity": entity,
                    "step": step,
                    "kind": kind,
                    "noise": rng.normal(),
                    "label": int(kind in "ace"),
                }
            )
    return pd.DataFrame(rows)


def forecast_table(seed: int = 0, entities: int = 6, steps: int = 25) -> pd.DataFrame:
    """An autoregressive target per entity, with a driver and a category."""
    rng = np.random.default_rng(seed)
    rows = []
    for entity in range(entities):
        level = rng.normal()
        for step in range(steps):
            driver = rng.normal()
            level = 0.8 * level + 0.3 * driver + rng.normal(scale=0.1)
            rows.append(
                {
                    "entity": f"e{entity}",
                    "step": step,
                    "kind": "abc"[entity % 3],
                    "driver": driver,
                    "level": level,
                    "grade": GRADES[int(np.digitize(level, [-0.3, 0.3]))],
                }
            )
    return pd.DataFrame(rows)


#: How many steps back the planted signal of :func:`lagged_signal_table` lies.
PLANTED_LAG = 6


def lagged_signal_table(
    seed: int = 0, entities: int = 60, steps: int = 30
) -> pd.DataFrame:
    """A label that only a window reaching ``PLANTED_LAG`` steps back can see.

    Columns ``entity``, ``step``, ``x`` (standard normal noise) and ``y``: 1
    when ``x`` was positive ``PLANTED_LAG`` steps earlier (0 before that), so
    windows shorter than ``PLANTED_LAG + 1`` steps score at chance.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for entity in range(entities):
        x = rng.normal(size=steps)
        y = np.zeros(steps, dtype=int)
        y[PLANTED_LAG:] = (x[:-PLANTED_LAG] > 0).astype(int)
        frames.append(
            pd.DataFrame({"entity": entity, "step": np.arange(steps), "x": x, "y": y})
        )
    return pd.concat(frames, ignore_index=True)


def irregular_visits_table(
    seed: int = 0, patients: int = 12, visits: tuple[int, int] = (4, 9)
) -> pd.DataFrame:
    """Clinical-visit-like rows: irregular days between visits, an event target.

    Columns ``patient`` (text id), ``visit_date`` (date text; 1 to 60 days
    between a patient's visits, patients start on different days), ``clinic``
    (text, 3 values), ``marker`` (float) and ``event`` (0/1; likelier after a
    high marker), so "event within 90 days" labels differ from "within the
    next 3 visits" ones.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for patient in range(patients):
        day = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 30)))
        risk = rng.normal()
        for _ in range(int(rng.integers(visits[0], visits[1] + 1))):
            marker = float(risk + rng.normal(scale=0.5))
            rows.append(
                {
                    "patient": f"p{patient:02d}",
                    "visit_date": day.strftime("%Y-%m-%d"),
                    "clinic": "abc"[patient % 3],
                    "marker": marker,
                    "event": int(rng.random() < 0.15 + 0.25 * (marker > 0.5)),
                }
            )
            day += pd.Timedelta(days=int(rng.integers(1, 61)))
    return pd.DataFrame(rows)


def monthly_table(
    seed: int = 0, stores: int = 6, months: int = 24, month_as: str = "period"
) -> pd.DataFrame:
    """One row per store per month from January 2023, with a ``month`` category.

    Columns ``store``, ``date`` (ISO date text), ``month`` (``"2023-01"`` with
    ``month_as="period"``, the month number 1-12 with ``"number"``), ``promo``
    (a category of 2 values every store has in every part of a split) and
    ``sales`` (a seasonal level per store).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=months, freq="MS")
    month = dates.strftime("%Y-%m") if month_as == "period" else dates.month
    frames = [
        pd.DataFrame(
            {
                "store": f"s{store}",
                "date": dates.strftime("%Y-%m-%d"),
                "month": month,
                "promo": np.arange(months) % 2,
                "sales": 10.0
                + store
                + 3.0 * np.sin(2 * np.pi * dates.month / 12)
                + rng.normal(scale=0.5, size=months),
            }
        )
        for store in range(stores)
    ]
    return pd.concat(frames, ignore_index=True)


def follow_up_table(seed: int = 0, patients: int = 40) -> pd.DataFrame:
    """A survival-like table: visits per patient, ``died`` set on the last visit.

    ``follow_up_days`` is constant per patient and decides the outcome (patients
    followed for under a year died), as a follow-up time recorded at the end of
    a study does; ``clinic`` (a category) and ``age`` are constant per patient
    and unrelated to it; ``heart_rate`` varies per visit. ``patient_code`` is a
    category unique per patient.
    """
    rng = np.random.default_rng(seed)
    clinics = np.array(["north", "south", "east", "west"])
    rows = []
    for patient in range(patients):
        follow_up = int(rng.integers(30, 1000))
        clinic, age = clinics[rng.integers(4)], float(rng.integers(20, 90))
        visits = int(rng.integers(3, 8))
        rows += [
            {
                "patient": patient,
                "visit": visit,
                "patient_code": f"p{patient:03d}",
                "clinic": clinic,
                "age": age,
                "follow_up_days": follow_up,
                "heart_rate": float(rng.normal(75.0, 8.0)),
                "died": int(follow_up < 365 and visit == visits - 1),
            }
            for visit in range(visits)
        ]
    return pd.DataFrame(rows)
