"""The run store and executor as the pages see them.

One :class:`~core.runs.executors.local.LocalExecutor` per server (it only launches and
watches training processes, so sharing it holds no user's state); each session
follows its own current run, whose id is kept in the page URL (``?run=ID``) so a
refresh or a bookmark comes back to it.

Every path from a page to a run goes through this module, and this module asks
:mod:`core.serve.access` whether the session's viewer may reach that run: in login
mode, another user's run is "not found" exactly like an id that does not exist.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

import streamlit as st

from core import runs as core_runs
from core.data.provenance import Provenance
from core.runs import executors
from core.serve.access import not_found_message, require_visible, visible_items
from ui import auth, state
from ui.text import literal

if TYPE_CHECKING:
    import pandas as pd

    from core.config import ExperimentConfig
    from core.runs.executors.base import Executor
    from core.runs.executors.detached import DetachedExecutor
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import DamagedRun, RunRecord, RunStore

# core.runs and its executors load lazily (pandas comes with the first name used):
# sync_with_url runs on every page, and on the landing page it has no run to open.

QUERY_KEY = "run"
#: Where a Ray cluster is configured for the app (besides ``$RAY_ADDRESS``).
RAY_SECRET = ("ray", "address")
#: The executor choices of the Train, Compare and Tune pages.
EXECUTOR_CHOICES = ("local", "ray")


@st.cache_resource(show_spinner=False)
def _executor(root: str, concurrency: int) -> LocalExecutor:
    # Warm workers (TensorFlow imported) make a Train click start in seconds;
    # capping each worker's threads at cores - 1 keeps a core for the pages.
    return executors.LocalExecutor(
        core_runs.RunStore(root),
        max_concurrent=concurrency,
        warm_workers=executors.default_warm_workers(concurrency),
        training_threads=executors.server_training_threads(),
    )


def executor() -> LocalExecutor:
    """The server's executor over the configured run store and slot count."""
    return _executor(str(core_runs.default_runs_dir()), executors.default_concurrency())


def ray_address() -> str | None:
    """The configured Ray cluster (``$RAY_ADDRESS`` or secrets ``[ray] address``)."""
    configured = os.environ.get("RAY_ADDRESS")
    if configured:
        return configured
    try:
        return st.secrets.get(RAY_SECRET[0], {}).get(RAY_SECRET[1])
    except (FileNotFoundError, KeyError, AttributeError):
        return None


@st.cache_resource(show_spinner=False)
def _ray_executor(root: str, address: str) -> DetachedExecutor:
    # Each run gets a launcher process that connects to the cluster: the
    # server itself never imports Ray (nor ties a run to its own life).
    return executors.DetachedExecutor(core_runs.RunStore(root), "ray", address)


def executor_for(kind: str) -> Executor:
    """The executor of a page's choice: this machine, or the configured cluster."""
    address = ray_address()
    if kind == "ray" and address:
        return _ray_executor(str(core_runs.default_runs_dir()), address)
    return executor()


def executor_choice(key: str, container: object = st) -> str:
    """ "Train on": this machine or the Ray cluster, when one is configured.

    Nothing is shown without a cluster. With one but without Ray installed
    on this server, the choice is shown disabled with the install command.
    """
    address = ray_address()
    if not address:
        return "local"
    installed = importlib.util.find_spec("ray") is not None
    choice = container.radio(  # type: ignore[attr-defined]
        "Train on",
        EXECUTOR_CHOICES,
        format_func={"local": "this machine", "ray": f"Ray at {address}"}.get,
        key=key,
        horizontal=True,
        disabled=not installed,
        help="Progress, cancel and ownership are the same on either.",
    )
    if not installed:
        container.caption(  # type: ignore[attr-defined]
            "Ray is not installed on this server: "
            "`pip install -r requirements-ray.txt`, then restart the app."
        )
        return "local"
    return str(choice)


def store() -> RunStore:
    """The run store."""
    return executor().store


def find(run_id: str) -> RunRecord:
    """A run's up-to-date record, if this session's viewer may see it.

    Raises
    ------
    RunNotFoundError
        The same for an unknown id and for another user's run.
    """
    server = executor()
    return server.refresh(require_visible(server.store, run_id, auth.viewer()))


def record(run_id: str | None) -> RunRecord | None:
    """A run's up-to-date record, or None when there is no such run (for you)."""
    if not run_id:
        return None
    try:
        return find(run_id)
    except core_runs.RunNotFoundError:
        return None


def visible_runs() -> list[RunRecord | DamagedRun]:
    """The runs this session's viewer may see, newest first, liveness checked."""
    server = executor()
    return [
        item if isinstance(item, core_runs.DamagedRun) else server.refresh(item)
        for item in visible_items(server.store.list(), auth.viewer())
    ]


def table_of(records: list[RunRecord], labelled: bool = False) -> pd.DataFrame:
    """The run list as the Runs page shows it: live progress in the status.

    ``labelled`` adds each run's label (a comparison's "seed 3").
    """
    server = executor()
    table = core_runs.runs_table(
        [core_runs.run_summary(server.store, record) for record in records]
    )
    progress = {
        record.id: core_runs.live_progress(
            record, server.store.progress(record.id), server.queue_position(record)
        )
        for record in records
        if not record.status.final
    }
    table["status"] = [
        f"{status} {progress[run_id].fraction:.0%}" if run_id in progress else status
        for run_id, status in zip(table["id"], table["status"], strict=True)
    ]
    if labelled:
        table.insert(1, "label", [record.label for record in records])
    return table


def scope_text() -> str:
    """Whose runs the Runs page lists, in words."""
    viewer = auth.viewer()
    if viewer.local:
        return "Every training run on this server"
    if viewer.is_admin:
        return "Every user's runs (you are an administrator)"
    return f"Your runs ({viewer.name})"


def submit(
    frame: pd.DataFrame,
    config: ExperimentConfig,
    encodings: tuple[str, ...],
    data_name: str,
    kind: str = "local",
) -> RunRecord:
    """Start a run owned by the viewer on ``kind`` (raises RunLimitError past
    the limit)."""
    owner = auth.viewer().owner
    return executor_for(kind).submit(frame, config, encodings, data_name, owner=owner)


def cancel(run_id: str) -> None:
    """Cancel one of the viewer's runs."""
    executor().cancel(find(run_id).id)


def delete(run_id: str) -> None:
    """Delete one of the viewer's runs (cancelling it first) and, unless another
    of the owner's runs uses it, its stored data."""
    doomed = find(run_id)
    server = executor()
    if not doomed.status.final:
        server.cancel(doomed.id)
        server.wait(doomed.id, timeout=server.cancel_grace_seconds + 5)
    server.store.delete(doomed.id)
    if doomed.id in (state.get(state.CURRENT_RUN), state.get(state.OPEN_RUN)):
        follow(None)


def follow(run_id: str | None) -> None:
    """Make ``run_id`` this session's current run (and the URL's)."""
    if run_id is None:
        for key in (state.CURRENT_RUN, state.OPEN_RUN, state.ADOPTED_RUN):
            st.session_state.pop(key, None)
        st.query_params.pop(QUERY_KEY, None)
        return
    find(run_id)  # never follow a run the viewer may not see
    state.put(state.CURRENT_RUN, run_id)
    st.query_params[QUERY_KEY] = run_id


def open_run(run_id: str) -> None:
    """Follow a run and show its models on the result pages."""
    follow(run_id)
    state.put(state.OPEN_RUN, run_id)
    state.put(state.ADOPTED_RUN, run_id)


#: The provenance name of a table read back from the run store.
STORED_DATA_PREFIX = "stored:"


def restore_inputs(run: RunRecord) -> bool:
    """Make a run's table and configuration this session's data and config.

    The table comes from the run store (which keeps every run's data); when the
    session already holds that very table, it stays, with its name and repairs.
    The configure form then shows the run's configuration. Returns False when
    the table could not be restored (a streamed run trains on a folder by
    reference; a stored table removed by hand): only the config is then set.
    """
    current = state.dataset()
    same = (
        current is not None
        and core_runs.data_fingerprint(current.frame, run.owner) == run.data_fingerprint
    )
    restored = same
    if not same and not run.streamed:
        try:
            frame = store().load_data(run)
        except core_runs.RunNotFoundError:
            frame = None
        if frame is not None:
            provenance = Provenance.parse(STORED_DATA_PREFIX + run.data_fingerprint)
            # A session without data computed nothing from it: the models it
            # has open stay open.
            kept = (state.OPEN_RUN, state.ADOPTED_RUN) if current is None else ()
            opened = {key: state.get(key) for key in kept}
            state.set_dataset(state.Dataset(frame, run.data_name, provenance))
            for key, value in opened.items():
                if value is not None:
                    state.put(key, value)
            restored = True
    state.put(state.CONFIG, run.config)
    state.put(state.TRAIN_TWIN, "onehot" in run.encodings)
    state.forget_config_widgets()
    return restored


def train_again(run: RunRecord) -> RunRecord | None:
    """Restore a run's data and config and start a new run with them.

    Returns None when its table cannot be restored (nothing is started).
    Raises RunLimitError past the viewer's limit of runs.
    """
    if not restore_inputs(run):
        return None
    dataset = state.dataset()
    started = submit(dataset.frame, run.config, run.encodings, dataset.name)
    follow(started.id)
    return started


def sync_with_url() -> None:
    """Run on every page: adopt ``?run=ID``, keep it in the URL, open finished runs.

    Streamlit clears query parameters when the user changes page, so the current
    run's id is written back on every rerun. In login mode it also stops the
    page at the sign-in screen when nobody (valid) is signed in.
    """
    auth.viewer()
    asked = st.query_params.get(QUERY_KEY)
    current = state.get(state.CURRENT_RUN)
    if asked and asked != current:
        adopted = record(asked)
        if adopted is not None:
            # A refresh or a bookmark starts an empty session: bring back the
            # run's data and configuration, so every page can be used.
            if state.dataset() is None:
                restore_inputs(adopted)
            follow(asked)
            current = asked
        else:
            # Unknown and someone else's read the same; the id leaves the URL.
            st.error(literal(not_found_message(asked)))
            st.query_params.pop(QUERY_KEY, None)
    if current:
        st.query_params[QUERY_KEY] = current
    if current and state.get(state.ADOPTED_RUN) != current:
        followed = record(current)
        if followed is not None and followed.status is core_runs.RunStatus.DONE:
            open_run(current)
