"""The pre-flight epoch-time estimate against measured epochs, on the bundled sample.

Issue 23 item 10: the estimate used to be 6-24x too high. The Configure page
now calibrates it from this machine's finished runs
(:func:`core.examples.advisor.epoch_seconds_range`). This script trains one
calibration run, then for each other configuration compares the uncalibrated
rule and the calibrated estimate (and its range) with the measured seconds per
epoch (training seconds / epochs run) of the same configuration, trained next.
The ratios are the result (estimate / measured, 1.0 = exact); the machine is
shared, so absolute seconds move between runs.

Run ``python -m bench.epoch_estimate`` (``--quick``: two small configs). The
table goes to docs/performance.md, section ``epoch_estimate``.
"""

from __future__ import annotations

import argparse

from bench.common import DOCS, log, markdown_table, quiet_tensorflow, write_section
from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from core.data.bundled import load_bundled

#: (window, LSTM units) of the calibration run and of the runs estimated.
CALIBRATION = (10, 8)
ESTIMATED = ((20, 16), (30, 32), (50, 64))


def sample_config(window: int, units: int, epochs: int) -> ExperimentConfig:
    """The sample's event-within-10-days task with this window and width."""
    return ExperimentConfig(
        data=DataConfig(
            target_column="failure",
            id_column="machine_id",
            time_column="timestamp",
            categorical_columns=(ColumnSpec("machine_type", 3),),
            numeric_columns=("temperature", "vibration", "pressure", "load"),
            framing="window",
            window=window,
            stride=5,
            horizon=10,
        ),
        model=ModelConfig(lstm_units=(units,), dense_units=0),
        train=TrainConfig(epochs=epochs, batch_size=128, patience=epochs),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="two small configs")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    from core.examples.advisor import epoch_sample, preflight
    from core.model.experiment import run_experiment

    frame = load_bundled("predictive_maintenance")
    estimated = ESTIMATED[:1] if args.quick else ESTIMATED
    first = sample_config(*CALIBRATION, args.epochs)
    calibration = epoch_sample(first, run_experiment(frame, first).metrics)
    log(f"calibration run: {calibration.seconds_per_epoch:.2f} s per epoch")
    rows = []
    for window, units in estimated:
        config = sample_config(window, units, args.epochs)
        plain = preflight(frame, config)
        calibrated = preflight(frame, config, samples=[calibration])
        measured = epoch_sample(config, run_experiment(frame, config).metrics)
        seconds = measured.seconds_per_epoch
        low, high = calibrated.epoch_seconds_range
        log(f"window {window}, units {units}: measured {seconds:.2f} s per epoch")
        rows.append(
            [
                f"window {window}, LSTM {units}",
                f"{seconds:.2f}",
                f"{plain.rough_epoch_seconds:.2f} "
                f"({plain.rough_epoch_seconds / seconds:.1f}x)",
                f"{calibrated.rough_epoch_seconds:.2f} "
                f"({calibrated.rough_epoch_seconds / seconds:.2f}x)",
                f"{low:.2f}-{high:.2f}",
                "yes" if low <= seconds <= high else "no",
            ]
        )
    table = markdown_table(
        [
            "Configuration (sample, stride 5)",
            "Measured s/epoch",
            "Uncalibrated rule (ratio)",
            "Calibrated estimate (ratio)",
            "Shown range",
            "Measured inside",
        ],
        rows,
    )
    body = (
        f"One calibration run (window {CALIBRATION[0]}, LSTM {CALIBRATION[1]}, "
        f"{calibration.seconds_per_epoch:.2f} s per epoch) calibrates the rest; "
        f"each row then trains {args.epochs} epochs. Ratio = estimate / measured.\n\n"
        + table
    )
    print(body)
    write_section(
        "epoch_estimate",
        "Pre-flight epoch time against measured epochs",
        body,
        args.quick,
        DOCS / "performance.md",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
