"""When the studio may listen on a network: only with login configured.

Local mode binds to the loopback interface. Serving to a network is an explicit
choice and needs Streamlit's OpenID Connect login: an ``[auth]`` section in
``secrets.toml`` with ``redirect_uri``, ``cookie_secret`` and at least one
provider (``client_id``, ``client_secret``, ``server_metadata_url``). These
checks are plain functions over the address and the parsed secrets, used by the
launcher (``python -m ui.serve``, before Streamlit starts) and by the app (at
the top of every script run). Nothing here imports Streamlit.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.errors import CoreError

#: Keys every provider section needs (Streamlit's own check).
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
#: A cookie secret shorter than this is refused for a network server.
MIN_COOKIE_SECRET_CHARACTERS = 32
HOW_TO = (
    "serve locally with `make app` (127.0.0.1 only), or configure OpenID Connect "
    "login in .streamlit/secrets.toml as the README's 'Team set-up' shows"
)


class ServingError(CoreError):
    """The server would be reachable from a network without login."""


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` is the loopback interface (empty means every interface).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if not address or not address.strip():
        return False
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a network interface


def providers(auth: Mapping[str, Any]) -> list[str]:
    """Provider names of an ``[auth]`` section: ``"default"`` and named sections."""
    found = ["default"] if any(key in auth for key in PROVIDER_KEYS) else []
    found += [
        name
        for name, value in auth.items()
        if isinstance(value, Mapping) and any(key in value for key in PROVIDER_KEYS)
    ]
    return found


def auth_problems(auth: Mapping[str, Any] | None) -> list[str]:
    """What is missing from an ``[auth]`` section (empty when it is complete)."""
    if not auth:
        return ["no [auth] section"]
    problems = [
        f"[auth] has no {key}"
        for key in ("redirect_uri", "cookie_secret")
        if not str(auth.get(key) or "").strip()
    ]
    redirect = str(auth.get("redirect_uri") or "")
    if redirect and not redirect.rstrip("/").endswith("/oauth2callback"):
        problems.append(
            f"expected redirect_uri ending in /oauth2callback, received {redirect!r}"
        )
    secret = str(auth.get("cookie_secret") or "")
    if secret and len(secret) < MIN_COOKIE_SECRET_CHARACTERS:
        problems.append(
            f"expected a cookie_secret of at least {MIN_COOKIE_SECRET_CHARACTERS} "
            f"characters, received {len(secret)}"
        )
    names = providers(auth)
    if not names:
        problems.append("[auth] names no provider (client_id, ...)")
    for name in names:
        section = auth if name == "default" else auth[name]
        missing = [key for key in PROVIDER_KEYS if not section.get(key)]
        if missing:
            where = "[auth]" if name == "default" else f"[auth.{name}]"
            problems.append(f"{where} has no {', '.join(missing)}")
    return problems


def check_serving(
    address: str | None, auth: Mapping[str, Any] | None, authlib_installed: bool
) -> None:
    """Refuse a non-loopback address unless login is fully configured.

    Parameters
    ----------
    address : str or None
        The server address; empty or ``None`` means every network interface.
    auth : mapping or None
        The ``[auth]`` section of the secrets.
    authlib_installed : bool
        Streamlit's login needs Authlib.

    Raises
    ------
    ServingError
        Saying what is missing and how to fix it.
    """
    if is_loopback(address):
        return
    problems = auth_problems(auth)
    if not authlib_installed:
        problems.append("Authlib is not installed (pip install -r requirements.txt)")
    if problems:
        where = address or "every network interface"
        raise ServingError(
            f"refusing to serve on {where} without login: expected complete "
            f"OpenID Connect settings, received {'; '.join(problems)}. To fix it, "
            f"{HOW_TO}"
        )


def read_secrets(paths: Iterable[str | Path]) -> dict[str, Any]:
    """The secrets Streamlit would read: TOML files merged, later ones winning.

    Raises
    ------
    ServingError
        If a file exists but is not valid TOML.
    """
    merged: dict[str, Any] = {}
    for path in map(Path, paths):
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ServingError(
                f"expected valid TOML in {path}, received a file that fails to parse "
                f"({error})"
            ) from None
    return merged
