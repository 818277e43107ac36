"""The study driver: Optuna asks, the executor trains, the run store remembers.

:func:`run_study` keeps up to ``parallel`` trials in flight. Each trial is a
run submitted through the executor (local processes or a Ray cluster), so it
has the run's progress, cancel, ownership and files. The driver follows each
run's per-epoch validation loss into Optuna (``trial.report``), cancels a run
the pruner gives up on, and tells Optuna the run's validation metric when it
finishes. It is a plain loop with no state of its own: killed at any moment,
:func:`run_study` on the same study picks up the trials in Optuna's database,
re-attaches to runs still training and starts what is missing.

When the search is done, the best configuration is trained again over
``final_seeds`` seeds by :mod:`core.analysis.comparison` against its one-hot
twin and (optionally) gradient boosting, with the naive and persistence
baselines in every run's report.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from core.analysis.comparison import ComparisonSpec, comparison_runs, start_comparison
from core.config import ExperimentConfig
from core.errors import CoreError
from core.model.arms import Arm
from core.runs.processes import process_started
from core.runs.progress import StepRecord, read_progress_line
from core.runs.store import RunRecord, RunStatus
from core.tuning.studies import DATABASE_FILE, StudyRecord, StudySettings, StudyStore

#: The arm a study tunes; its one-hot twin is compared after the search.
TUNED_ARM = Arm.EMBEDDING
RUN_ATTRIBUTE = "run_id"
ERROR_ATTRIBUTE = "error"
#: User attribute of the trial that is the study's base configuration.
ORIGIN_ATTRIBUTE = "origin"
BASE_ORIGIN = "the base configuration"
DEFAULT_POLL_SECONDS = 0.5


def make_pruner(settings: StudySettings) -> optuna.pruners.BasePruner:
    """The study's pruner, fed one validation loss per epoch."""
    if settings.pruner == "median":
        # Two finished trials before judging, and never before the 2nd epoch:
        # the first epoch's loss says little about where a model ends.
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if settings.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=settings.base.train.epochs
        )
    return optuna.pruners.NopPruner()


def open_study(record: StudyRecord) -> optuna.Study:
    """The Optuna study of a record (created on first use)."""
    settings = record.settings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        study_name=record.id,
        storage=_storage(record),
        direction=settings.direction,
        sampler=optuna.samplers.TPESampler(
            seed=settings.sampler_seed,
            n_startup_trials=max(2, min(10, settings.trials // 3)),
        ),
        pruner=make_pruner(settings),
        load_if_exists=True,
    )


def _storage(record: StudyRecord) -> optuna.storages.RDBStorage:
    database = record.path / DATABASE_FILE
    if not database.is_file():
        _create_database(database)
    # SQLite waits for a lock instead of failing when the page reads as the
    # driver writes.
    return optuna.storages.RDBStorage(
        record.database_url, engine_kwargs={"connect_args": {"timeout": 30}}
    )


def _create_database(database: Path) -> None:
    # Optuna writes its schema in several transactions; a reader that opened the
    # file half-way would try to write the schema too and fail on a duplicate
    # version row. The schema is built under another name and renamed in one step.
    # A hard link, unlike a rename, never replaces a database another driver
    # finished first.
    partial = database.with_name(f"{database.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    storage = optuna.storages.RDBStorage(f"sqlite:///{partial}")
    storage.engine.dispose()
    with contextlib.suppress(FileExistsError):
        os.link(partial, database)
    partial.unlink()


def distributions(settings: StudySettings) -> dict[str, Any]:
    """Optuna distributions of the search space, by parameter name."""
    result: dict[str, Any] = {}
    for parameter in settings.space.parameters:
        if parameter.kind == "categorical":
            result[parameter.name] = optuna.distributions.CategoricalDistribution(
                parameter.choices
            )
        elif parameter.kind == "int":
            result[parameter.name] = optuna.distributions.IntDistribution(
                int(parameter.low),
                int(parameter.high),
                log=parameter.log,
                step=1 if parameter.log else int(parameter.step or 1),
            )
        else:
            result[parameter.name] = optuna.distributions.FloatDistribution(
                float(parameter.low), float(parameter.high), log=parameter.log
            )
    return result


@dataclass
class _InFlight:
    """A trial whose run is queued or training, and the epochs reported so far."""

    trial: optuna.Trial
    run_id: str
    reported: int = 0


class StudyDriver:
    """Runs one study to its end; see :func:`run_study`."""

    def __init__(
        self,
        executor: Any,
        record: StudyRecord,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        stop: threading.Event | None = None,
        on_update: Callable[[optuna.Study], None] | None = None,
    ) -> None:
        self.executor = executor
        self.studies = StudyStore(executor.store)
        self.record = record
        self.settings = record.settings
        self.poll_seconds = poll_seconds
        self.stop = stop or threading.Event()
        self.on_update = on_update
        self.study = open_study(record)
        self.frame = self.studies.load_data(record)
        self.in_flight: dict[int, _InFlight] = {}

    # -- the search --------------------------------------------------------------

    def search(self) -> None:
        """Ask, train and tell until the study has its trials (or is stopped)."""
        queue_base_trial(self.study, self.settings)
        self._reattach()
        while not self.stop.is_set():
            if self.studies.stop_requested(self.record.id):
                self.cancel_in_flight()
                self.stop.set()
                return
            finished = self._finished_count()
            if finished >= self.settings.trials and not self.in_flight:
                return
            while (
                finished + len(self.in_flight) < self.settings.trials
                and len(self.in_flight) < self.settings.parallel
            ):
                self._start_trial()
            self._follow()
            if self.on_update is not None:
                self.on_update(self.study)
            time.sleep(self.poll_seconds)

    def cancel_in_flight(self) -> None:
        """Cancel the runs of the trials in flight (their trials then fail)."""
        for flight in self.in_flight.values():
            self.executor.cancel(flight.run_id)

    def _finished_count(self) -> int:
        states = (
            optuna.trial.TrialState.COMPLETE,
            optuna.trial.TrialState.PRUNED,
            optuna.trial.TrialState.FAIL,
        )
        return len(self.study.get_trials(deepcopy=False, states=states))

    def _reattach(self) -> None:
        """Follow trials left running by a driver that stopped."""
        running = self.study.get_trials(
            deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)
        )
        for frozen in running:
            # Optuna hands out no live Trial for a stored one; its id is the
            # documented constructor argument.
            trial = optuna.Trial(self.study, frozen._trial_id)
            run_id = frozen.user_attrs.get(RUN_ATTRIBUTE)
            if run_id is None:
                # Asked but never submitted: the driver died in between.
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            reported = len(frozen.intermediate_values)
            self.in_flight[frozen.number] = _InFlight(trial, run_id, reported)

    def _start_trial(self) -> None:
        trial = self.study.ask(distributions(self.settings))
        try:
            config = self.settings.space.apply(self.settings.base, trial.params)
            record = self.executor.submit(
                self.frame,
                config,
                (TUNED_ARM,),
                self.record.data_name,
                owner=self.record.owner,
                label=f"trial {trial.number}",
                comparison=self.record.id,
            )
        except CoreError as error:
            # A combination the config refuses (or the user's run limit): the
            # trial fails with the reason, and the search goes on.
            trial.set_user_attr(ERROR_ATTRIBUTE, str(error))
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        trial.set_user_attr(RUN_ATTRIBUTE, record.id)
        self.in_flight[trial.number] = _InFlight(trial, record.id)

    def _follow(self) -> None:
        for number, flight in list(self.in_flight.items()):
            record = self.executor.get(flight.run_id)
            if self._report_epochs(flight, record):
                continue
            if record.status.final:
                self._tell_final(flight, record)
                del self.in_flight[number]

    def _report_epochs(self, flight: _InFlight, record: RunRecord) -> bool:
        """Report new epochs' validation loss; True when the trial was pruned."""
        losses = epoch_validation_losses(self.executor.store.progress(flight.run_id))
        # Pruners compare intermediate values in the study's direction: a loss
        # is negated when the objective (ROC AUC, say) is maximised.
        sign = 1.0 if self.settings.direction == "minimize" else -1.0
        for epoch, loss in enumerate(losses[flight.reported :], start=flight.reported):
            flight.trial.report(sign * loss, epoch)
            flight.reported = epoch + 1
            if not record.status.final and flight.trial.should_prune():
                self.executor.cancel(flight.run_id)
                flight.trial.set_user_attr("pruned_at_epoch", epoch + 1)
                self.study.tell(flight.trial, state=optuna.trial.TrialState.PRUNED)
                del self.in_flight[flight.trial.number]
                return True
        return False

    def _tell_final(self, flight: _InFlight, record: RunRecord) -> None:
        value = None
        if record.status is RunStatus.DONE:
            results = self.executor.store.results(record.id).get(TUNED_ARM, {})
            value = results.get("validation", {}).get(self.settings.objective)
        if value is None or value != value:  # missing or NaN
            reason = record.error or (
                f"run {record.id} ended {record.status}: no validation "
                f"{self.settings.objective}"
            )
            flight.trial.set_user_attr(ERROR_ATTRIBUTE, reason)
            self.study.tell(flight.trial, state=optuna.trial.TrialState.FAIL)
            return
        self.study.tell(flight.trial, float(value))

    # -- after the search --------------------------------------------------------

    def best_config(self) -> ExperimentConfig | None:
        """The best completed trial's configuration (None before any)."""
        return best_config(self.study, self.settings)

    def compare_best(self) -> str | None:
        """Start (or resume) the closing comparison; returns its id."""
        config = self.best_config()
        if config is None or self.settings.final_seeds == 0:
            return None
        spec = ComparisonSpec(
            config,
            tuple(range(self.settings.final_seeds)),
            baseline_arm=self.settings.baseline_arm,
        )
        return start_comparison(
            self.executor,
            self.frame,
            spec,
            self.record.data_name,
            owner=self.record.owner,
        )

    def wait_for(self, comparison: str) -> None:
        """Block until every run of the comparison is final (or stopped)."""
        while not self.stop.is_set():
            runs = comparison_runs(self.executor.store, comparison)
            if all(self.executor.get(r.id).status.final for r in runs.values()):
                return
            time.sleep(self.poll_seconds)


def queue_base_trial(study: optuna.Study, settings: StudySettings) -> bool:
    """Queue ``settings.base`` as the first trial of a study that has none.

    Its values of the searched parameters (:meth:`SearchSpace.values_of`) are
    fixed and the rest drawn, so the study's best is never worse on validation
    than the configuration it started from. Returns False, queueing nothing,
    when ``settings.start_from_base`` is off or the study already has trials (a
    resumed one, or trials queued by hand keep their order).
    """
    if not settings.start_from_base or study.get_trials(deepcopy=False):
        return False
    values = settings.space.values_of(settings.base)
    if not values:
        return False
    study.enqueue_trial(values, user_attrs={ORIGIN_ATTRIBUTE: BASE_ORIGIN})
    return True


def epoch_validation_losses(lines: list[dict[str, Any]]) -> list[float]:
    """The tuned arm's validation loss per finished epoch, from progress lines."""
    losses = []
    for line in lines:
        record = read_progress_line(line)
        if (
            isinstance(record, StepRecord)
            and record.kind == "epoch"
            and record.encoding == TUNED_ARM
            and "val_loss" in record.event.logs
        ):
            losses.append(record.event.logs["val_loss"])
    return losses


def best_config(
    study: optuna.Study, settings: StudySettings
) -> ExperimentConfig | None:
    """The configuration of the study's best completed trial, or None."""
    try:
        best = study.best_trial
    except ValueError:
        return None  # no completed trial yet
    return settings.space.apply(settings.base, best.params)


def run_study(
    executor: Any,
    study_id: str,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    stop: threading.Event | None = None,
    on_update: Callable[[optuna.Study], None] | None = None,
) -> StudyRecord:
    """Drive a study to its end: the search, then the closing comparison.

    Safe to call again on a study whose driver was killed: it resumes.

    Parameters
    ----------
    executor : Executor
        Trains the trials (:class:`~core.runs.executors.local.LocalExecutor`
        or :class:`~core.runs.executors.ray_cluster.RayExecutor`).
    study_id : str
        A study of the executor's run store (:class:`StudyStore`).
    poll_seconds : float
        How often runs are looked at.
    stop : threading.Event or None
        Set it to stop driving (trials in flight keep training and are picked
        up on resume); the study is then ``stopped``.
    on_update : callable or None
        Called with the Optuna study after each look at the runs.

    Returns
    -------
    StudyRecord
        The study's final record.
    """
    studies = StudyStore(executor.store)
    studies.clear_stop(study_id)
    record = studies.update(
        study_id,
        status="searching",
        driver_pid=os.getpid(),
        driver_started=process_started(os.getpid()),
        error=None,
    )
    driver = StudyDriver(executor, record, poll_seconds, stop, on_update)
    try:
        driver.search()
        if driver.stop.is_set():
            return studies.update(study_id, status="stopped")
        comparison = driver.compare_best()
        if comparison is not None:
            studies.update(study_id, status="comparing", final_comparison=comparison)
            driver.wait_for(comparison)
        if driver.stop.is_set():
            return studies.update(study_id, status="stopped")
        return studies.update(study_id, status="done", finished=time.time())
    except CoreError as error:
        studies.update(study_id, status="failed", error=str(error))
        raise
    finally:
        with contextlib.suppress(CoreError):
            studies.update(study_id, driver_pid=None, driver_started=None)
