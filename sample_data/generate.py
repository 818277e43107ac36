"""Seeded generator of long-format predictive-maintenance data with planted structure.

One row per machine per day, from the first observed day until the machine fails or
observation stops (censoring). Every machine carries a hidden damage level that grows
each day, faster under high ``load`` and faster the more damaged it already is; the
daily failure hazard rises steeply with damage, and ``temperature``, ``vibration``
and ``pressure`` drift with ``damage**2`` plus noise. No failure happens before
``min_length`` days. Hidden factors set the pace, which is what embeddings should
recover:

* ``machine_type``: 12 types in 4 hidden *families* (3 types each, assigned by the
  seed). A family fixes the wear rate, the tolerance to damage (a log-hazard offset)
  and how loudly the sensors show wear; types within a family differ only slightly.
  Baselines and the shape of the drift are shared and the type names say nothing
  about the family, so the family can only be learned from behaviour: the same drift
  means much more risk in F1 than in F4. Type popularity is skewed (a few rare types).
* ``operator_id``: each operator has a hidden skill (standard normal). Low skill speeds
  up wear and adds failure risk on the days the operator works. Operators rotate in
  weekly shifts within a machine's crew of three, with occasional substitutes, so the
  operator changes along a history; crew members are drawn from a skewed (Zipf-like)
  popularity, substitutes uniformly, which leaves many operators rare.
* ``maintenance_plan`` and ``site``: modest effects on wear and risk; sites also shift
  the ambient temperature, so raw temperatures are not comparable across sites.

The exact hidden values are returned as a "truth" dictionary (written next to the CSV
as ``<name>_truth.json``). The same seed and parameters give byte-identical files.

Examples
--------
>>> frame, truth = generate(seed=1, n_machines=4, n_operators=10)
>>> frame["machine_id"].nunique(), list(truth["families"])
(4, ['F1', 'F2', 'F3', 'F4'])
>>> truth["machine_type_family"]["AX-100"] in truth["families"]
True

Command line (from the repository root)::

    python sample_data/generate.py --seed 0 --machines 200 --operators 300 \\
        --out sample_data
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_NAME = "predictive_maintenance"
MACHINE_TYPES = (
    *("AX-100", "BR-220", "CK-310", "DV-45", "EM-600", "FL-12"),
    *("GT-800", "HX-7", "JR-150", "KN-90", "LP-330", "MZ-25"),
)
SENSORS = ("temperature", "vibration", "pressure")
#: Sensor readings of a healthy machine at 70 % load and a site offset of 0.
BASELINE = {"temperature": 63.0, "vibration": 1.0, "pressure": 6.0}
#: Sensor change at damage 1 for a family with ``sensor_gain`` 1 (wear = damage**2).
WEAR_SIGNATURE = {"temperature": 6.0, "vibration": 0.6, "pressure": -0.8}
#: Hidden families, ordered from most to least risky for the same sensor drift. Each
#: sets a daily wear rate, an additive log-hazard (tolerance to damage) and how loudly
#: its sensors show wear. Baselines and the shape of the drift are shared, so only the
#: type (through what a model learns about it) tells the families apart.
FAMILIES: dict[str, dict[str, Any]] = {
    "F1": {
        "description": "fast wear, low tolerance, quiet sensors",
        "degradation_rate": 0.0060,
        "log_hazard": 1.2,
        "sensor_gain": 0.6,
    },
    "F2": {
        "description": "fast wear, average tolerance and sensors",
        "degradation_rate": 0.0050,
        "log_hazard": 0.4,
        "sensor_gain": 1.0,
    },
    "F3": {
        "description": "slow wear, high tolerance, average sensors",
        "degradation_rate": 0.0038,
        "log_hazard": -0.4,
        "sensor_gain": 1.0,
    },
    "F4": {
        "description": "slow wear, highest tolerance, loud sensors",
        "degradation_rate": 0.0032,
        "log_hazard": -1.2,
        "sensor_gain": 1.6,
    },
}
#: Plan -> (multiplier of the wear rate, additive log-hazard).
MAINTENANCE_PLANS = {
    "reactive": (1.25, 0.4),
    "scheduled": (1.0, 0.0),
    "condition_based": (0.8, -0.3),
}
PLAN_SHARES = (0.3, 0.45, 0.25)
#: Site -> (ambient temperature offset, multiplier of the wear rate).
SITES = {
    "north": (-4.0, 0.95),
    "central": (0.0, 1.0),
    "south": (5.0, 1.05),
    "coastal": (2.0, 1.15),
}
SENSOR_NOISE = {"temperature": 1.2, "vibration": 0.12, "pressure": 0.12}
OPERATOR_RATE_EFFECT = -0.2  # log wear-rate change per unit of skill
OPERATOR_HAZARD_EFFECT = -0.6  # log-hazard change per unit of skill
HAZARD_AT_FULL_WEAR = 0.3  # daily failure hazard when damage reaches 1
HAZARD_STEEPNESS = 10.0  # log-hazard increase per unit of damage
ACCELERATION = 1.0  # wear grows with damage: rate * (1 + ACCELERATION * damage)
CREW_SIZE = 3
SHIFT_DAYS = 7
SUBSTITUTE_SHARE = 0.08
POPULARITY_EXPONENT = 0.8
_STREAM_NAMES = (
    *("types", "machines", "operators", "load"),
    *("dynamics", "censoring", "sensors", "missing"),
)


def generate(
    seed: int = 0,
    n_machines: int = 200,
    n_operators: int = 300,
    min_length: int = 30,
    max_length: int = 200,
    censor_fraction: float = 0.3,
    missing_fraction: float = 0.01,
    start_date: str = "2023-01-01",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate predictive-maintenance histories with hidden, recoverable structure.

    Parameters
    ----------
    seed : int
        Seed of the numpy random generator; equal seeds give equal output.
    n_machines : int
        Number of machines (histories).
    n_operators : int
        Number of operators (cardinality of ``operator_id``, ids ``1..n_operators``).
    min_length, max_length : int
        Bounds on the number of days observed per machine.
    censor_fraction : float
        Share of machines whose observation stops at a random day before
        ``max_length``; machines still running at ``max_length`` are censored too.
    missing_fraction : float
        Share of ``vibration`` readings left empty; half that share of
        ``maintenance_plan`` entries is left empty too.
    start_date : str
        ISO date; machines start observation within a year after it.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``machine_id, timestamp, machine_type, operator_id,
        maintenance_plan, site, temperature, vibration, pressure, load, failure,
        rul``, sorted by machine and time.
    truth : dict
        The hidden families, type effects, operator skills, plan and site effects,
        the parameters and a summary; JSON-serialisable.

    Raises
    ------
    ValueError
        If a count or bound is out of range.
    """
    _check_arguments(n_machines, n_operators, min_length, max_length)
    rng = _streams(seed)
    types = _draw_types(rng["types"])
    machines = _draw_machines(rng["machines"], n_machines, types)
    # Simulated past max_length, so censored machines still have a true failure day.
    horizon = 3 * max_length
    skill = rng["operators"].normal(0.0, 1.0, n_operators)
    operators = _draw_operators(rng["operators"], n_machines, n_operators, horizon)
    daily_load = rng["load"].normal(0.0, 7.0, (n_machines, horizon))
    load = np.clip(machines["load"][:, None] + daily_load, 15.0, 100.0)
    damage, failure_day = _simulate(
        rng["dynamics"], machines, types, skill[operators - 1], load, min_length
    )
    censored = rng["censoring"].random(n_machines) < censor_fraction
    censor_day = np.where(
        censored,
        rng["censoring"].integers(min_length, max_length + 1, n_machines),
        max_length,
    )
    lengths = np.minimum(failure_day + 1, censor_day)
    arrays = {
        "load": load,
        "damage": damage,
        "operators": operators,
        "failure_day": failure_day,
    }
    frame = _assemble(rng["sensors"], machines, types, arrays, lengths, start_date)
    _blank_some(rng["missing"], frame, missing_fraction)
    parameters = {
        "seed": seed,
        "n_machines": n_machines,
        "n_operators": n_operators,
        "min_length": min_length,
        "max_length": max_length,
        "censor_fraction": censor_fraction,
        "missing_fraction": missing_fraction,
        "start_date": start_date,
    }
    truth = _truth(parameters, types, skill, frame, failure_day, lengths)
    return frame, truth


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per component of the simulation."""
    # Changing one size (say the number of operators) then leaves the draws of the
    # other components as they were: the same fleet, loads and sensor noise.
    children = np.random.SeedSequence(seed).spawn(len(_STREAM_NAMES))
    return {
        name: np.random.default_rng(child)
        for name, child in zip(_STREAM_NAMES, children, strict=True)
    }


def _check_arguments(
    n_machines: int, n_operators: int, min_length: int, max_length: int
) -> None:
    """Raise ValueError for counts or bounds the simulation cannot honour."""
    if n_machines < 1 or n_operators < 1:
        raise ValueError(
            "expected at least 1 machine and 1 operator, received "
            f"n_machines={n_machines}, n_operators={n_operators}"
        )
    if not 2 <= min_length <= max_length:
        raise ValueError(
            "expected 2 <= min_length <= max_length, received "
            f"min_length={min_length}, max_length={max_length}"
        )


def _draw_types(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Hidden per-type values, aligned with MACHINE_TYPES."""
    families = np.array(sorted(FAMILIES))
    per_family = len(MACHINE_TYPES) // len(families)
    family = np.repeat(families, per_family)[rng.permutation(len(MACHINE_TYPES))]
    # Geometric popularity in shuffled order: some types are common, a few rare.
    weight = 0.8 ** rng.permutation(len(MACHINE_TYPES)).astype(float)
    return {
        "family": family,
        "rate": np.exp(rng.normal(0.0, 0.06, len(MACHINE_TYPES))),
        "offset": rng.normal(0.0, 1.0, (len(MACHINE_TYPES), len(SENSORS)))
        * np.array([0.8, 0.04, 0.08]),
        "weight": weight / weight.sum(),
    }


def _draw_machines(
    rng: np.random.Generator, n_machines: int, types: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Static per-machine attributes (indices into the type, plan and site lists)."""
    type_index = rng.choice(len(MACHINE_TYPES), n_machines, p=types["weight"])
    # Every type appears at least once when there are enough machines.
    covered = min(n_machines, len(MACHINE_TYPES))
    type_index[:covered] = rng.permutation(len(MACHINE_TYPES))[:covered]
    return {
        "type": type_index,
        "plan": rng.choice(len(MAINTENANCE_PLANS), n_machines, p=PLAN_SHARES),
        "site": rng.integers(0, len(SITES), n_machines),
        "rate": np.exp(rng.normal(0.0, 0.15, n_machines)),
        "load": rng.uniform(45.0, 85.0, n_machines),
        "initial_damage": rng.uniform(0.0, 0.3, n_machines),
        "start_day": rng.integers(0, 365, n_machines),
    }


def _draw_operators(
    rng: np.random.Generator, n_machines: int, n_operators: int, horizon: int
) -> np.ndarray:
    """Operator ids (1-based) per machine and day: weekly shifts plus substitutes."""
    rank = rng.permutation(n_operators) + 1.0
    popularity = rank**-POPULARITY_EXPONENT
    popularity /= popularity.sum()
    crew_size = min(CREW_SIZE, n_operators)
    crews = np.stack(
        [
            rng.choice(n_operators, crew_size, replace=False, p=popularity)
            for _ in range(n_machines)
        ]
    )
    shift = np.arange(horizon)[None, :] // SHIFT_DAYS + rng.integers(
        0, crew_size, (n_machines, 1)
    )
    operators = np.take_along_axis(crews, shift % crew_size, axis=1)
    substitute = rng.random((n_machines, horizon)) < SUBSTITUTE_SHARE
    operators[substitute] = rng.integers(0, n_operators, int(substitute.sum()))
    return operators + 1


def _simulate(
    rng: np.random.Generator,
    machines: dict[str, np.ndarray],
    types: dict[str, np.ndarray],
    skill: np.ndarray,
    load: np.ndarray,
    min_length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily damage per machine and the (0-based) day of failure."""
    family_names = sorted(FAMILIES)
    family_rate = np.array(
        [FAMILIES[name]["degradation_rate"] for name in family_names]
    )
    family_hazard = np.array([FAMILIES[name]["log_hazard"] for name in family_names])
    family_index = np.searchsorted(family_names, types["family"])
    plans = np.array(list(MAINTENANCE_PLANS.values()))
    site_rate = np.array([effect for _, effect in SITES.values()])
    base_rate = (
        family_rate[family_index][machines["type"]]
        * types["rate"][machines["type"]]
        * plans[machines["plan"], 0]
        * site_rate[machines["site"]]
        * machines["rate"]
    )
    daily = (
        base_rate[:, None]
        * (load / 70.0) ** 1.5
        * np.exp(OPERATOR_RATE_EFFECT * skill + rng.normal(0.0, 0.25, load.shape))
    )
    # Damage grows as D' = rate * (1 + a * D): closed form by a cumulative product.
    growth = np.cumprod(1.0 + ACCELERATION * daily, axis=1)
    start = machines["initial_damage"][:, None] + 1.0 / ACCELERATION
    damage = np.concatenate([start, start * growth[:, :-1]], axis=1)
    # Far past any observed failure the damage is capped, which keeps exp() finite.
    damage = np.minimum(damage - 1.0 / ACCELERATION, 3.0)
    log_hazard = (
        np.log(HAZARD_AT_FULL_WEAR)
        + HAZARD_STEEPNESS * (damage - 1.0)
        + OPERATOR_HAZARD_EFFECT * skill
        + (family_hazard[family_index][machines["type"]] + plans[machines["plan"], 1])[
            :, None
        ]
    )
    fails = rng.random(load.shape) < -np.expm1(-np.exp(log_hazard))
    fails[:, : min_length - 1] = False  # every history lasts at least min_length days
    failure_day = np.where(fails.any(axis=1), fails.argmax(axis=1), load.shape[1])
    return damage, failure_day


def _assemble(
    rng: np.random.Generator,
    machines: dict[str, np.ndarray],
    types: dict[str, np.ndarray],
    arrays: dict[str, np.ndarray],
    lengths: np.ndarray,
    start_date: str,
) -> pd.DataFrame:
    """Observed rows, machine-major and day-ordered, with noisy sensor readings."""
    machine, day = np.nonzero(np.arange(arrays["load"].shape[1]) < lengths[:, None])
    type_index = machines["type"][machine]
    family = types["family"][type_index]
    gain = np.array([FAMILIES[name]["sensor_gain"] for name in family])
    wear = np.minimum(arrays["damage"][machine, day], 1.5) ** 2
    load = arrays["load"][machine, day]
    ambient = np.array([offset for offset, _ in SITES.values()])[machines["site"]]
    columns = {}
    for position, sensor in enumerate(SENSORS):
        columns[sensor] = (
            BASELINE[sensor]
            + types["offset"][type_index, position]
            + WEAR_SIGNATURE[sensor] * gain * wear
            + rng.normal(0.0, SENSOR_NOISE[sensor], machine.size)
        )
    columns["temperature"] += ambient[machine] + 0.12 * (load - 70.0)
    columns["vibration"] = np.maximum(
        columns["vibration"] + 0.004 * (load - 70.0), 0.05
    )
    dates = np.datetime64(start_date, "D") + (machines["start_day"][machine] + day)
    failed = (arrays["failure_day"][machine] == day).astype(np.int64)
    return pd.DataFrame(
        {
            "machine_id": machine + 1,
            "timestamp": np.datetime_as_string(dates, unit="D"),
            "machine_type": np.array(MACHINE_TYPES)[type_index],
            "operator_id": arrays["operators"][machine, day],
            "maintenance_plan": np.array(list(MAINTENANCE_PLANS), dtype=object)[
                machines["plan"][machine]
            ],
            "site": np.array(list(SITES))[machines["site"][machine]],
            "temperature": columns["temperature"].round(2),
            "vibration": columns["vibration"].round(3),
            "pressure": columns["pressure"].round(3),
            "load": load.round(1),
            "failure": failed,
            "rul": arrays["failure_day"][machine] - day,
        }
    )


def _blank_some(
    rng: np.random.Generator, frame: pd.DataFrame, missing_fraction: float
) -> None:
    """Sensor dropouts in ``vibration`` and unrecorded maintenance plans, in place."""
    dropout = rng.random(len(frame)) < missing_fraction
    frame.loc[dropout, "vibration"] = np.nan
    unrecorded = rng.random(len(frame)) < missing_fraction / 2
    frame.loc[unrecorded, "maintenance_plan"] = None


def _truth(
    parameters: dict[str, Any],
    types: dict[str, np.ndarray],
    skill: np.ndarray,
    frame: pd.DataFrame,
    failure_day: np.ndarray,
    lengths: np.ndarray,
) -> dict[str, Any]:
    """The hidden structure and a summary, as plain JSON-ready values."""
    failed = failure_day < lengths
    rows_per_operator = frame["operator_id"].value_counts()
    return {
        "generator": "sample_data/generate.py",
        "seed": parameters["seed"],
        "parameters": parameters,
        "families": FAMILIES,
        "machine_type_family": dict(
            zip(MACHINE_TYPES, types["family"].tolist(), strict=True)
        ),
        "machine_type_rate_multiplier": {
            name: round(float(value), 4)
            for name, value in zip(MACHINE_TYPES, types["rate"], strict=True)
        },
        "machine_type_sensor_offset": {
            name: dict(zip(SENSORS, offsets.round(4).tolist(), strict=True))
            for name, offsets in zip(MACHINE_TYPES, types["offset"], strict=True)
        },
        "operator_skill": {
            str(index + 1): round(float(value), 4) for index, value in enumerate(skill)
        },
        "operator_effects": {
            "log_rate_per_skill": OPERATOR_RATE_EFFECT,
            "log_hazard_per_skill": OPERATOR_HAZARD_EFFECT,
        },
        "maintenance_plan_effects": {
            plan: {"rate_multiplier": rate, "log_hazard": log_hazard}
            for plan, (rate, log_hazard) in MAINTENANCE_PLANS.items()
        },
        "site_effects": {
            site: {"temperature_offset": offset, "rate_multiplier": rate}
            for site, (offset, rate) in SITES.items()
        },
        "dynamics": {
            "baseline": BASELINE,
            "wear_signature": WEAR_SIGNATURE,
            "acceleration": ACCELERATION,
            "hazard_at_full_wear": HAZARD_AT_FULL_WEAR,
            "hazard_steepness": HAZARD_STEEPNESS,
            "sensor_noise": SENSOR_NOISE,
            "crew_size": CREW_SIZE,
            "shift_days": SHIFT_DAYS,
            "substitute_share": SUBSTITUTE_SHARE,
            "popularity_exponent": POPULARITY_EXPONENT,
        },
        "summary": {
            "rows": len(frame),
            "machines": len(lengths),
            "failed_machines": int(failed.sum()),
            "censored_machines": int((~failed).sum()),
            "length_min": int(lengths.min()),
            "length_mean": round(float(lengths.mean()), 2),
            "length_max": int(lengths.max()),
            "operators_seen": int(rows_per_operator.size),
            "operators_seen_under_10_rows": int((rows_per_operator < 10).sum()),
        },
    }


def write(frame: pd.DataFrame, truth: dict[str, Any], out: Path, name: str) -> Path:
    """Write ``<name>.csv`` and ``<name>_truth.json`` into ``out``.

    Parameters
    ----------
    frame, truth
        The output of :func:`generate`.
    out : pathlib.Path
        Target folder, created if missing.
    name : str
        File stem.

    Returns
    -------
    pathlib.Path
        The CSV path.
    """
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{name}.csv"
    frame.to_csv(csv_path, index=False, lineterminator="\n")
    text = json.dumps(truth, indent=2) + "\n"
    (out / f"{name}_truth.json").write_text(text, encoding="utf-8")
    return csv_path


def main(argv: list[str] | None = None) -> None:
    """Command line: generate and write the CSV and its truth JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--machines", type=int, default=200)
    parser.add_argument("--operators", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--name", default=DEFAULT_NAME, help="file stem")
    args = parser.parse_args(argv)
    frame, truth = generate(
        seed=args.seed, n_machines=args.machines, n_operators=args.operators
    )
    csv_path = write(frame, truth, args.out, args.name)
    summary = truth["summary"]
    print(
        f"wrote {csv_path} ({csv_path.stat().st_size:,} bytes, {summary['rows']:,} "
        f"rows, {summary['failed_machines']} of {summary['machines']} machines failed)"
    )


if __name__ == "__main__":
    main()
