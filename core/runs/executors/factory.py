"""The executor a command or page asks for by name."""

from __future__ import annotations

from core.errors import ConfigError
from core.runs.executors.base import Executor
from core.runs.executors.local import LocalExecutor
from core.runs.executors.ray_cluster import RayExecutor, import_ray
from core.runs.store import RunStore

EXECUTORS = ("local", "ray")


def make_executor(
    kind: str,
    store: RunStore,
    *,
    ray_address: str | None = None,
    num_cpus: float = 1.0,
    num_gpus: float = 0.0,
    **options: object,
) -> Executor:
    """``"local"`` (child processes, the default) or ``"ray"`` (a Ray cluster).

    Raises
    ------
    ConfigError
        For another kind.
    RayUnavailableError
        For ``"ray"`` without Ray installed (with how to install it).
    """
    if kind == "local":
        return LocalExecutor(store, **options)  # type: ignore[arg-type]
    if kind == "ray":
        import_ray()  # fail now, with the install hint, not at the first run
        return RayExecutor(
            store,
            address=ray_address,
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            **options,  # type: ignore[arg-type]
        )
    raise ConfigError(
        "--executor", f"expected one of {list(EXECUTORS)}, received {kind!r}"
    )
