"""Local mode or login mode, and who the viewer is.

Login is Streamlit's own (``st.login`` / ``st.user`` / ``st.logout`` with an
OpenID Connect provider set up in the ``[auth]`` section of
``.streamlit/secrets.toml``). Without that section the studio is in local mode
and behaves as a single-user tool. With it, every script run needs a signed-in,
unexpired identity that has not signed out since; the ownership rules of
:mod:`core.serve.access` then decide which runs that identity reaches.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.serve.access import LOCAL, AccessError, Viewer, admins_from, identity
from core.serve.serving import ServingError, auth_problems, check_serving, providers
from core.serve.sessions import SignOuts, check_session, session_hours
from ui.text import literal


def auth_section() -> Mapping[str, Any] | None:
    """The ``[auth]`` section of the secrets, or None (local mode)."""
    if not st.secrets.load_if_toml_exists():
        return None
    section = st.secrets.get("auth")
    return section if isinstance(section, Mapping) else None


def login_configured() -> bool:
    """Whether any ``[auth]`` section exists (then login is required: fail closed)."""
    return bool(auth_section())


def address_refusal() -> str | None:
    """Why this server must not serve (non-loopback without login), or None."""
    try:
        check_serving(
            st.get_option("server.address"),
            auth_section(),
            importlib.util.find_spec("authlib") is not None,
        )
    except ServingError as error:
        return str(error)
    return None


@dataclass(frozen=True)
class Admission:
    """The outcome of the sign-in check: a viewer, or why there is none."""

    viewer: Viewer | None
    reason: str | None = None


def _admins() -> tuple[str, ...]:
    studio = st.secrets.get("studio") if st.secrets.load_if_toml_exists() else None
    return admins_from((studio or {}).get("admins") or ())


def admission() -> Admission:
    """Local mode, a valid signed-in identity, or the reason to sign in (again)."""
    section = auth_section()
    if not section:
        return Admission(LOCAL)
    problems = auth_problems(section)
    if problems:
        return Admission(None, "Login is not fully configured: " + "; ".join(problems))
    if not st.user.get("is_logged_in"):
        return Admission(None)
    claims = st.user.to_dict()
    try:
        viewer = identity(claims, _admins())
        check_session(
            claims,
            time.time(),
            session_hours(),
            SignOuts(_runs_dir()).signed_out_at(viewer.owner),
        )
    except AccessError as error:
        return Admission(None, str(error))
    return Admission(viewer)


def viewer() -> Viewer:
    """The viewer of this script run; shows the sign-in screen and stops if none."""
    admitted = admission()
    if admitted.viewer is None:
        sign_in_screen(admitted.reason)
        st.stop()
    return admitted.viewer


def sign_in_screen(reason: str | None) -> None:
    """A sign-in button per configured provider (nothing else of the studio)."""
    st.title("Sequence Embedding Studio")
    st.info("This studio is shared: sign in to see your runs and data.")
    if reason:
        st.warning(literal(reason))
    section = auth_section() or {}
    if auth_problems(section):
        return
    for name in providers(section):
        label = "Sign in" if name == "default" else f"Sign in with {name}"
        if st.button(label, key=f"auth_login_{name}", type="primary"):
            st.login(None if name == "default" else name)


def sidebar(current: Viewer) -> None:
    """Who is signed in, and a sign-out that ends every session of that user."""
    if current.local:
        return
    role = " (administrator)" if current.is_admin else ""
    st.sidebar.caption(f"Signed in as **{literal(current.name)}**{role}")
    if st.sidebar.button("Sign out", key="auth_logout"):
        SignOuts(_runs_dir()).record(current.owner, time.time())
        st.logout()


def _runs_dir() -> Any:
    """The run store's folder (core.runs.store, with pandas, imported when needed)."""
    # Start-up cost: the store brings pandas; sign-in runs on the landing page.
    from core.runs.store import default_runs_dir

    return default_runs_dir()
