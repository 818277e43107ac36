"""The run store and executor as the pages see them.

One :class:`~core.executor.LocalExecutor` per server (it only launches and
watches training processes, so sharing it holds no user's state); each session
follows its own current run, whose id is kept in the page URL (``?run=ID``) so a
refresh or a bookmark comes back to it.
"""

from __future__ import annotations

import streamlit as st

from core.executor import LocalExecutor, default_concurrency
from core.runs import RunNotFoundError, RunRecord, RunStatus, RunStore, default_runs_dir
from ui import state

QUERY_KEY = "run"


@st.cache_resource(show_spinner=False)
def _executor(root: str, concurrency: int) -> LocalExecutor:
    return LocalExecutor(RunStore(root), max_concurrent=concurrency)


def executor() -> LocalExecutor:
    """The server's executor over the configured run store and slot count."""
    return _executor(str(default_runs_dir()), default_concurrency())


def store() -> RunStore:
    """The run store."""
    return executor().store


def record(run_id: str | None) -> RunRecord | None:
    """A run's up-to-date record, or None when there is no such run."""
    if not run_id:
        return None
    try:
        return executor().get(run_id)
    except RunNotFoundError:
        return None


def follow(run_id: str | None) -> None:
    """Make ``run_id`` this session's current run (and the URL's)."""
    if run_id is None:
        for key in (state.CURRENT_RUN, state.OPEN_RUN, state.ADOPTED_RUN):
            st.session_state.pop(key, None)
        st.query_params.pop(QUERY_KEY, None)
        return
    state.put(state.CURRENT_RUN, run_id)
    st.query_params[QUERY_KEY] = run_id


def open_run(run_id: str) -> None:
    """Follow a run and show its models on the result pages."""
    follow(run_id)
    state.put(state.OPEN_RUN, run_id)
    state.put(state.ADOPTED_RUN, run_id)


def sync_with_url() -> None:
    """Run on every page: adopt ``?run=ID``, keep it in the URL, open finished runs.

    Streamlit clears query parameters when the user changes page, so the current
    run's id is written back on every rerun.
    """
    asked = st.query_params.get(QUERY_KEY)
    current = state.get(state.CURRENT_RUN)
    if asked and asked != current and record(asked) is not None:
        follow(asked)
        current = asked
    elif current:
        st.query_params[QUERY_KEY] = current
    if current and state.get(state.ADOPTED_RUN) != current:
        followed = record(current)
        if followed is not None and followed.status is RunStatus.DONE:
            open_run(current)
