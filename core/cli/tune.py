"""``python -m core tune``: an Optuna study of trials trained as runs of the store.

``--data`` and the experiment flags give the base configuration (as for
``train``); ``--space FILE`` a search space (JSON list, see
:mod:`core.tuning.space`; default: :func:`core.tuning.space.default_space`).
``--resume STUDY`` continues a study whose driver stopped, ``--show STUDY``
prints its report. Ctrl-C stops the study and cancels its runs in flight; it
can be resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from core.cli.experiment import build_config
from core.cli.options import (
    add_executor_flags,
    add_experiment_flags,
    executor_from_args,
    print_report,
    read_data,
    store_from_args,
)
from core.errors import ConfigError
from core.tuning.space import SearchSpace, default_space
from core.tuning.studies import PRUNERS, StudySettings, StudyStore


def add_tune_command(commands: Any, store: argparse.ArgumentParser) -> None:
    """Register ``tune`` on the main parser."""
    tune = commands.add_parser(
        "tune",
        parents=[store],
        help="search configurations with Optuna (each trial a run of the store)",
    )
    add_experiment_flags(tune, data_required=False)
    add_executor_flags(tune)
    study = tune.add_argument_group("study")
    study.add_argument("--trials", type=int, default=20, help="trials to finish")
    study.add_argument(
        "--parallel", type=int, default=1, help="trials training at once"
    )
    study.add_argument("--pruner", choices=PRUNERS, default="median")
    study.add_argument("--space", help="search space JSON (default: a standard one)")
    study.add_argument(
        "--sampler-seed", type=int, default=0, help="seed of the TPE sampler"
    )
    study.add_argument(
        "--objective", help="validation metric to optimise (default: the headline)"
    )
    study.add_argument(
        "--final-seeds",
        type=int,
        default=3,
        help="seeds of the closing comparison of the best configuration (0: none)",
    )
    study.add_argument(
        "--no-gbm",
        action="store_true",
        help="leave gradient boosting out of the closing comparison",
    )
    study.add_argument(
        "--start-from-base",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="trial 0 is the configuration given (--config and flags), so the "
        "best trial is never worse on validation than it (default: on)",
    )
    study.add_argument("--resume", metavar="STUDY", help="continue a stopped study")
    study.add_argument("--show", metavar="STUDY", help="print a study's report")
    study.add_argument("--print-space", action="store_true", help="print the space")
    study.add_argument("--json", help="write the report to this file")
    tune.set_defaults(handler=command_tune)


def command_tune(args: argparse.Namespace) -> int:
    """Create (or resume) a study, drive it to its end and print its report."""
    studies = StudyStore(store_from_args(args))
    if args.show:
        return _print(studies, args.show, args.json)
    if args.resume:
        study_id = args.resume
        studies.get(study_id)  # fail now on an unknown id
    else:
        if not args.data:
            raise ConfigError(
                "--data",
                "expected a data file (or --resume/--show STUDY), received none",
            )
        frame = read_data(args.data)
        base = build_config(args, frame)
        space = _space(args.space, base)
        if args.print_space:
            print(json.dumps(space.to_list(), indent=2))
            return 0
        settings = StudySettings(
            base,
            space,
            trials=args.trials,
            parallel=args.parallel,
            pruner=args.pruner,
            sampler_seed=args.sampler_seed,
            metric=args.objective,
            final_seeds=args.final_seeds,
            baseline_arm=not args.no_gbm,
            start_from_base=args.start_from_base,
        )
        record = studies.create(
            frame, settings, Path(args.data).name, executor=args.executor
        )
        study_id = record.id
    print(f"study {study_id} in {studies.root}", file=sys.stderr)
    _drive(executor_from_args(args), study_id)
    return _print(studies, study_id, args.json)


def _space(path: str | None, base: Any) -> SearchSpace:
    if path is None:
        return default_space(base)
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(
            "--space", f"expected a JSON list of parameters, received {error}"
        ) from error
    space = SearchSpace.from_list(payload)
    space.check(base)
    return space


def _drive(executor: Any, study_id: str) -> None:
    """Run the study; Ctrl-C stops it and cancels its runs in flight."""
    # Optuna (and SQLAlchemy) load only when a study runs, not for --help.
    from core.tuning.driver import RUN_ATTRIBUTE, run_study

    stop = threading.Event()
    seen: set[int] = set()

    def progress(study: Any) -> None:
        for trial in study.get_trials(deepcopy=False):
            if trial.state.is_finished() and trial.number not in seen:
                seen.add(trial.number)
                value = "" if trial.value is None else f" {trial.value:.5g}"
                print(
                    f"trial {trial.number}: {trial.state.name.lower()}{value}",
                    file=sys.stderr,
                )

    try:
        run_study(executor, study_id, stop=stop, on_update=progress)
    except KeyboardInterrupt:
        stop.set()
        # Optuna (and SQLAlchemy) load only when a study runs, not for --help.
        from core.tuning.report import load_study

        study = load_study(StudyStore(executor.store).get(study_id))
        for trial in study.get_trials(deepcopy=False) if study else []:
            run_id = trial.user_attrs.get(RUN_ATTRIBUTE)
            if run_id and not trial.state.is_finished():
                executor.cancel(run_id)
        StudyStore(executor.store).update(study_id, status="stopped")
        print(
            f"stopped; continue with: python -m core tune --resume {study_id}",
            file=sys.stderr,
        )
        raise


def _print(studies: StudyStore, study_id: str, path: str | None) -> int:
    # Optuna (and SQLAlchemy) load only when a report is asked for.
    from core.tuning.report import study_report

    report = study_report(studies.store, studies.get(study_id))
    board = report.get("leaderboard")
    if board:
        print(f"leaderboard: {board['verdict']}", file=sys.stderr)
    print_report(report, path)
    return 0
