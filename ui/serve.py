"""Start the studio for a team: ``python -m ui.serve [--address A] [--port P]``.

``make serve`` runs this. It refuses to start (exit status 2, before Streamlit
even starts) when the address is not loopback and OpenID Connect login is not
configured; otherwise it replaces itself with ``streamlit run app.py`` on that
address. Local use needs none of this: ``make app`` binds to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.serve.serving import ServingError, check_serving, read_secrets

ROOT = Path(__file__).resolve().parents[1]
#: Where Streamlit looks for secrets by default (user-wide, then the project).
DEFAULT_SECRETS = (
    Path.home() / ".streamlit" / "secrets.toml",
    ROOT / ".streamlit" / "secrets.toml",
)


def streamlit_command(args: argparse.Namespace, extra: Sequence[str]) -> list[str]:
    """The ``streamlit run`` command line for these arguments."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.address",
        args.address,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
    ]
    for path in args.secrets or ():
        command += ["--secrets.files", str(Path(path).resolve())]
    return command + list(extra)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the settings, then exec Streamlit; returns 2 when refused."""
    parser = argparse.ArgumentParser(prog="python -m ui.serve", description=__doc__)
    parser.add_argument("--address", default="0.0.0.0", help="default: 0.0.0.0")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument(
        "--secrets",
        action="append",
        help="a secrets.toml to use instead of Streamlit's default locations "
        "(repeatable)",
    )
    parser.add_argument(
        "--check-only", action="store_true", help="check the settings and exit"
    )
    args, extra = parser.parse_known_args(argv)
    paths = args.secrets or DEFAULT_SECRETS
    try:
        auth = read_secrets(paths).get("auth")
        check_serving(
            args.address, auth, importlib.util.find_spec("authlib") is not None
        )
    except ServingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check_only:
        print(f"ok: {args.address}:{args.port} may be served")
        return 0
    command = streamlit_command(args, extra)
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
