"""The tuner: search spaces, studies in the run store, and the Optuna driver.

The public names below load their module on first use (see
:mod:`core._exports`); :mod:`core.tuning.driver` imports Optuna.
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "driver": [
            "StudyDriver",
            "best_config",
            "distributions",
            "epoch_validation_losses",
            "make_pruner",
            "open_study",
            "run_study",
        ],
        "launch": ["launch_driver"],
        "report": [
            "best_trial",
            "final_board",
            "load_study",
            "search_cost",
            "study_report",
            "trials_table",
        ],
        "space": ["Parameter", "SearchSpace", "default_space"],
        "studies": [
            "PRUNERS",
            "StudyNotFoundError",
            "StudyRecord",
            "StudySettings",
            "StudyStore",
        ],
    },
)
