"""Who trains a run: child processes on this machine (local, with a spare worker
or warm workers started ahead), tasks on a Ray cluster, or either through a
launcher process of its own (detached: how the app reaches Ray).

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "base": ["Executor"],
        "detached": ["DetachedExecutor"],
        "factory": ["make_executor"],
        "local": ["LocalExecutor", "default_concurrency"],
        "ray_cluster": ["RayExecutor", "RayUnavailableError", "receive_files"],
        "spare": [
            "NICENESS_VARIABLE",
            "PREPARED_HEADER",
            "SPARE_RUN_ID",
            "SpareWorker",
            "start_spare_worker",
        ],
        "warm": [
            "THREADS_VARIABLE",
            "WARM_WORKERS_VARIABLE",
            "WarmPool",
            "default_warm_workers",
            "server_training_threads",
            "thread_environment",
        ],
    },
)
