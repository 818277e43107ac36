"""How long a sign-in lasts, and sign-outs that end every session of a user.

Streamlit keeps the signed-in identity in a signed cookie for 30 days and does
not check the identity token's times; ``st.logout`` deletes the cookie in one
browser only. These rules close both gaps: a sign-in older than
``$SEQ_EMBED_SESSION_HOURS`` is refused, and so is any identity issued before its
user's last sign-out (another tab, another browser, a copied cookie). Nothing
here imports Streamlit.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core._fs import atomic_write_json, file_lock
from core.serve.access import AccessError

#: Hours a sign-in stays valid, counted from the identity token's issue time.
SESSION_HOURS_VARIABLE = "SEQ_EMBED_SESSION_HOURS"
DEFAULT_SESSION_HOURS = 24.0
SESSIONS_FOLDER = "_sessions"


def session_hours() -> float:
    """``$SEQ_EMBED_SESSION_HOURS``, else 24: how long a sign-in stays valid."""
    try:
        hours = float(os.environ.get(SESSION_HOURS_VARIABLE, DEFAULT_SESSION_HOURS))
    except ValueError:
        return DEFAULT_SESSION_HOURS
    return hours if math.isfinite(hours) and hours > 0 else DEFAULT_SESSION_HOURS


class SignOuts:
    """When each user last signed out, kept next to the runs.

    Streamlit's identity cookie is self-contained and valid for 30 days, and
    ``st.logout`` only deletes it from the one browser. Recording the time of a
    sign-out lets the studio refuse every identity issued before it: a copied
    cookie, another tab, another browser of the same user.

    Parameters
    ----------
    root : str or pathlib.Path
        The run store's folder; the record is ``_sessions/signed_out.json``.
    """

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / SESSIONS_FOLDER / "signed_out.json"

    def record(self, owner: str, when: float) -> None:
        """Note that ``owner`` signed out at ``when`` (Unix time)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self.path.with_name(".lock")):
            times = self._read()
            times[owner] = max(when, float(times.get(owner, 0.0)))
            atomic_write_json(self.path, times)

    def signed_out_at(self, owner: str) -> float | None:
        """The last sign-out of ``owner``, or ``None``."""
        value = self._read().get(owner)
        return float(value) if isinstance(value, int | float) else None

    def _read(self) -> dict[str, Any]:
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return payload if isinstance(payload, dict) else {}


def check_session(
    claims: Mapping[str, Any],
    now: float,
    max_hours: float,
    signed_out_at: float | None = None,
) -> None:
    """Refuse an identity that is too old or issued before its user signed out.

    Streamlit does not check the identity token's times itself; this does.

    Parameters
    ----------
    claims : mapping
        The identity-token claims (``st.user``); ``iat`` is the issue time.
    now : float
        Unix time.
    max_hours : float
        How long after its issue a sign-in stays valid.
    signed_out_at : float or None
        When this user last signed out.

    Raises
    ------
    AccessError
        If the sign-in expired, was ended by a sign-out, or has no issue time.
    """
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise AccessError(
            f"expected an identity with an issue time ('iat' claim), received "
            f"{issued!r}; sign in again"
        )
    if signed_out_at is not None and issued <= signed_out_at:
        raise AccessError(
            "expected a sign-in after your last sign-out, received one from "
            "before it; sign in again"
        )
    age_hours = (now - issued) / 3600
    if age_hours > max_hours:
        raise AccessError(
            f"expected a sign-in at most {max_hours:g} hours old, received one "
            f"{age_hours:.1f} hours old; your session expired, sign in again"
        )
