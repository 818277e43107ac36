"""Build ``sample_data/cmapss_fd004.csv``, a small long-format extract of NASA C-MAPSS.

The source is the FD004 training set (six operating conditions, two fault modes,
249 engines run to failure) in ``shared/data/cmapss/`` next to this repository. A
seeded random subset of engines is kept, unchanged, with:

* ``unit`` and ``cycle`` as in the source (engine id and time in cycles);
* ``operating_condition``: the three operational settings snapped to the nearest of
  the six known flight conditions, labelled ``OC1`` .. ``OC6`` by altitude;
* the 14 informative sensors ``s2, s3, s4, s7, s8, s9, s11, s12, s13, s14, s15, s17,
  s20, s21`` (``s1, s5, s6, s10, s16, s18, s19`` are constant, or nearly so, within
  each operating condition, so they only repeat the condition);
* ``rul``: remaining useful life, ``max(cycle of the unit) - cycle``, uncapped.

When the source folder is absent the script prints why and exits without writing.

Command line (from the repository root)::

    python sample_data/make_cmapss_extract.py --units 80 --seed 0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "data" / "cmapss"
DEFAULT_OUT = HERE / "cmapss_fd004.csv"
RAW_COLUMNS = ["unit", "cycle", "op1", "op2", "op3"] + [f"s{i}" for i in range(1, 22)]
SENSORS = tuple(f"s{i}" for i in (2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21))
#: The six flight conditions as (altitude-like op1, Mach-like op2, throttle op3).
CONDITIONS = np.array(
    [
        [0.0, 0.0, 100.0],
        [10.0, 0.25, 100.0],
        [20.0, 0.70, 100.0],
        [25.0, 0.62, 60.0],
        [35.0, 0.84, 100.0],
        [42.0, 0.84, 100.0],
    ]
)
#: Settings scale per column, so each contributes comparably to the distance.
_SETTING_SCALE = np.array([1.0, 0.01, 1.0])
_MAX_DISTANCE = 1.0


def read_raw(path: Path) -> pd.DataFrame:
    """Read one whitespace-separated C-MAPSS text file (optionally gzipped).

    Parameters
    ----------
    path : pathlib.Path
        ``train_FD00x.txt`` or ``train_FD00x.txt.gz``.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, cycle, op1, op2, op3, s1 .. s21``.
    """
    return pd.read_csv(path, sep=r"\s+", header=None, names=RAW_COLUMNS)


def operating_condition(settings: np.ndarray) -> np.ndarray:
    """Label rows ``OC1`` .. ``OC6`` by the nearest known flight condition.

    Parameters
    ----------
    settings : numpy.ndarray
        Shape ``(rows, 3)``: ``op1, op2, op3``.

    Returns
    -------
    numpy.ndarray
        One label per row.

    Raises
    ------
    ValueError
        If a row is not close to any known condition.
    """
    scaled = (settings[:, None, :] - CONDITIONS[None, :, :]) / _SETTING_SCALE
    distance = np.sqrt((scaled**2).sum(axis=2))
    nearest = distance.argmin(axis=1)
    worst = distance[np.arange(len(settings)), nearest].max(initial=0.0)
    if worst > _MAX_DISTANCE:
        raise ValueError(
            f"expected settings near the six FD002/FD004 conditions, received a row "
            f"{worst:.2f} (scaled) from the nearest one"
        )
    return np.array([f"OC{index + 1}" for index in range(len(CONDITIONS))])[nearest]


def build_extract(raw: pd.DataFrame, units: int, seed: int) -> pd.DataFrame:
    """Subsample engines and derive the condition label and the RUL target.

    Parameters
    ----------
    raw : pandas.DataFrame
        Output of :func:`read_raw` for a training file.
    units : int
        Number of engines to keep (all of them when larger than available).
    seed : int
        Seed of the engine sample.

    Returns
    -------
    pandas.DataFrame
        ``unit, cycle, operating_condition, s2 .. s21, rul``, by unit and cycle.
    """
    available = np.sort(raw["unit"].unique())
    keep = np.random.default_rng(seed).choice(
        available, min(units, available.size), replace=False
    )
    frame = raw[raw["unit"].isin(keep)].sort_values(["unit", "cycle"])
    condition = operating_condition(frame[["op1", "op2", "op3"]].to_numpy())
    extract = frame[["unit", "cycle"]].copy()
    extract["operating_condition"] = condition
    extract[list(SENSORS)] = frame[list(SENSORS)]
    extract["rul"] = frame.groupby("unit")["cycle"].transform("max") - frame["cycle"]
    return extract.reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: write the extract, or explain why it was skipped."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--subset", default="FD004", choices=("FD002", "FD004"))
    parser.add_argument("--units", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    source = args.source / f"train_{args.subset}.txt.gz"
    if not source.is_file():
        print(
            f"skipped: C-MAPSS source {source} not found (expected the NASA files "
            "in shared/data/cmapss/ next to the repository); nothing written",
            file=sys.stderr,
        )
        return 0
    extract = build_extract(read_raw(source), args.units, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    extract.to_csv(args.out, index=False, lineterminator="\n")
    print(
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {len(extract):,} rows, "
        f"{extract['unit'].nunique()} engines)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
