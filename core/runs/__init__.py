"""The run store and its processes: run records, progress, the worker, the
streamed runner and read-only views. Imports without Keras.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "dataset_run": ["create_dataset_run"],
        "jobs": [],
        "new_data": [
            "IN_TRAINING",
            "NewDataReport",
            "report_new_data",
            "table_metrics",
            "training_entities",
        ],
        "outputs": ["read_predictions"],
        "processes": ["process_alive", "process_started"],
        "progress": [
            "BATCH_LINE_SECONDS",
            "CancelToken",
            "FileCancelToken",
            "Phase",
            "PhaseRecord",
            "ProgressEvent",
            "ProgressKind",
            "ProgressWriter",
            "StepRecord",
            "read_progress_line",
        ],
        "remote": ["ModelWorker", "RemoteError"],
        "slots": ["waiting_ahead"],
        "store": [
            "DamagedRun",
            "RUNS_DIR_VARIABLE",
            "RUN_FORMAT_VERSION",
            "RunNotFoundError",
            "RunRecord",
            "RunStatus",
            "RunStore",
            "data_fingerprint",
            "default_runs_dir",
            "frame_fingerprint",
        ],
        "stored_models": [
            "StoredModel",
            "read_snapshots",
            "read_stored_model",
            "stored_embedding_weights",
        ],
        "views": [
            "GROUP_KINDS",
            "config_difference",
            "deletion_warning",
            "flatten",
            "group_kind",
            "group_runs",
            "group_title",
            "live_progress",
            "metrics_side_by_side",
            "run_summary",
            "runs_table",
            "validation_curves",
        ],
        "worker": ["wait_for_run"],
    },
)
