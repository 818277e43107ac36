"""Who may see which run: the ownership rules of a shared studio.

Authentication itself is Streamlit's (``st.login`` with an OpenID Connect
provider); this module only decides, for an identity it is given, which runs
and which stored data that identity may reach. Every path of the app that
reaches a run goes through it, so the rules live in one place and are tested
without a browser.

- **Local mode** (no login configured): the viewer has no owner id and sees
  every run, as a single user at their own machine does.
- **Login mode**: a signed-in user sees only runs whose ``owner`` is their
  stable subject (the identity token's ``sub``). A run without an owner is
  visible only in local mode; administrators see every run.
- An id that exists but belongs to someone else gives exactly the same
  "not found" as an id that does not exist, so ids cannot be probed.

Nothing here imports Streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# The run store's names load on first use (with pandas): ui.runs imports this
# module on every page, the landing page included.
from core import runs as run_store
from core.errors import CoreError

if TYPE_CHECKING:
    from core.runs.store import DamagedRun, RunRecord, RunStore

#: Comma-separated subjects or e-mail addresses of administrators.
ADMINS_VARIABLE = "SEQ_EMBED_ADMINS"
#: Queued plus running runs one user may have at once.
RUNS_PER_USER_VARIABLE = "SEQ_EMBED_MAX_RUNS_PER_USER"
#: Training slots one user may hold at once.
TRAINING_PER_USER_VARIABLE = "SEQ_EMBED_MAX_TRAINING_PER_USER"
DEFAULT_RUNS_PER_USER = 4


class AccessError(CoreError):
    """An identity the studio cannot accept (no subject, expired, signed out).

    Session rules (expiry, sign-out) are in :mod:`core.serve.sessions`.
    """


class RunLimitError(CoreError):
    """A user asked for more runs than the per-user limit allows."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an owner id in login mode, nobody in particular locally.

    Attributes
    ----------
    owner : str or None
        The signed-in identity's stable subject; ``None`` in local mode.
    name : str or None
        What to show for the identity (e-mail or name).
    is_admin : bool
        Administrators see every run.
    """

    owner: str | None = None
    name: str | None = None
    is_admin: bool = False

    @property
    def local(self) -> bool:
        """Whether this is local mode (no login configured)."""
        return self.owner is None

    @property
    def sees_everything(self) -> bool:
        """Local mode and administrators see every run."""
        return self.local or self.is_admin


#: The viewer of a studio without login.
LOCAL = Viewer()


def identity(claims: Mapping[str, Any], admins: Collection[str] = ()) -> Viewer:
    """The viewer of a signed-in identity, from its identity-token claims.

    Parameters
    ----------
    claims : mapping
        ``st.user`` as a dict: ``sub`` is required, ``email``/``name`` optional.
    admins : collection of str
        Subjects or e-mail addresses (case-insensitive) of administrators.

    Returns
    -------
    Viewer

    Raises
    ------
    AccessError
        If the claims have no usable subject.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise AccessError(
            f"expected an identity with a subject ('sub' claim), received "
            f"claims {sorted(claims)}"
        )
    email = claims.get("email")
    wanted = {admin.strip().casefold() for admin in admins if admin.strip()}
    known = {subject.casefold()}
    if isinstance(email, str):
        known.add(email.casefold())
    name = email if isinstance(email, str) else claims.get("name")
    return Viewer(
        owner=subject,
        name=str(name) if name else subject,
        is_admin=bool(wanted & known),
    )


def admins_from(configured: Iterable[str] | str | None = None) -> tuple[str, ...]:
    """Administrators: a configured list plus ``$SEQ_EMBED_ADMINS`` (commas)."""
    if isinstance(configured, str):
        configured = configured.split(",")
    found = [*(configured or ()), *os.environ.get(ADMINS_VARIABLE, "").split(",")]
    return tuple(dict.fromkeys(name.strip() for name in found if name.strip()))


def visible(item: RunRecord | DamagedRun, viewer: Viewer) -> bool:
    """Whether ``viewer`` may see this run (damaged folders: only local/admins)."""
    # core.runs.store is imported where used: it brings pandas, which the sign-in
    # check of every page (the landing page first) does not need.
    if viewer.sees_everything:
        return True
    return isinstance(item, run_store.RunRecord) and item.owner == viewer.owner


def visible_items(
    items: Iterable[RunRecord | DamagedRun], viewer: Viewer
) -> list[RunRecord | DamagedRun]:
    """The items of a listing that ``viewer`` may see, in their order."""
    return [item for item in items if visible(item, viewer)]


def visible_records(store: RunStore, viewer: Viewer) -> list[RunRecord]:
    """The readable runs ``viewer`` may see, newest first."""
    return [record for record in store.records() if visible(record, viewer)]


def not_found_message(run_id: object) -> str:
    """The one message for an unknown id and for someone else's run."""
    return f"run not found: expected the id of a run you can open, received {run_id!r}"


def require_visible(store: RunStore, run_id: str, viewer: Viewer) -> RunRecord:
    """The record of a run ``viewer`` may see.

    Raises
    ------
    RunNotFoundError
        With the same message whether the id is malformed, unknown, damaged or
        someone else's.
    """
    try:
        record = store.get(run_id)
    except run_store.RunNotFoundError:
        raise run_store.RunNotFoundError(not_found_message(run_id)) from None
    if not visible(record, viewer):
        raise run_store.RunNotFoundError(not_found_message(run_id))
    return record


# -- fair use ----------------------------------------------------------------


@dataclass(frozen=True)
class UserLimits:
    """Per-user limits of the executor's queue (login mode only).

    Attributes
    ----------
    runs : int
        Queued plus running runs one user may have at once.
    training : int
        Training slots one user may hold at once; the user's further runs
        wait while other users' runs start.
    """

    runs: int = DEFAULT_RUNS_PER_USER
    training: int = 1

    @classmethod
    def from_environment(cls, slots: int) -> UserLimits:
        """``$SEQ_EMBED_MAX_RUNS_PER_USER`` and ``$SEQ_EMBED_MAX_TRAINING_PER_USER``.

        The training default is half the slots (at least one), so one user never
        holds every slot of a machine that has more than one.
        """
        return cls(
            runs=_positive_int(RUNS_PER_USER_VARIABLE, DEFAULT_RUNS_PER_USER),
            training=_positive_int(TRAINING_PER_USER_VARIABLE, max(1, slots // 2)),
        )


def _positive_int(variable: str, default: int) -> int:
    """A positive integer from the environment; anything else is the default."""
    configured = os.environ.get(variable, "").strip()
    return int(configured) if configured.isdigit() and int(configured) > 0 else default


def check_run_limit(active: Iterable[RunRecord], owner: str | None, limit: int) -> None:
    """Refuse a new run when ``owner`` already has ``limit`` unfinished ones.

    Parameters
    ----------
    active : iterable of RunRecord
        Runs of the store (final ones are ignored).
    owner : str or None
        Who asks; ``None`` (local mode) is never limited.
    limit : int
        Queued plus running runs allowed per user.

    Raises
    ------
    RunLimitError
        If the limit is reached.
    """
    if owner is None:
        return
    mine = [r.id for r in active if r.owner == owner and not r.status.final]
    if len(mine) >= limit:
        raise RunLimitError(
            f"expected at most {limit} queued or running runs per user, received "
            f"a new one while you have {len(mine)} ({', '.join(mine)}); wait for "
            "one to finish or cancel it"
        )
