"""Which server folders the app may read: the ``$SEQ_EMBED_DATA_ROOT`` policy."""

from __future__ import annotations

from pathlib import Path

from core.data.parquet import GLOB_CHARACTERS
from core.errors import DataValidationError

#: When set, server folders offered in the app must lie under this folder.
DATA_ROOT_VARIABLE = "SEQ_EMBED_DATA_ROOT"


def allowed_folder(text: str, root: str | None, shared: bool) -> Path:
    """The folder a web user asked for, if the server's policy allows it.

    Parameters
    ----------
    text : str
        A folder or glob typed by the user.
    root : str or None
        ``$SEQ_EMBED_DATA_ROOT``: only paths under it are served.
    shared : bool
        Whether the app serves several users (sign-in configured); then a root
        is required, so nobody lists another user's files.

    Raises
    ------
    DataValidationError
        If the path lies outside the root, or no root is set on a shared server.
    """
    path = Path(text.strip()).expanduser()
    if root is None:
        if shared:
            raise DataValidationError(
                None,
                f"expected ${DATA_ROOT_VARIABLE} set on a shared server before "
                "folders can be read, received none; ask the administrator",
            )
        return path
    base = Path(root).resolve()
    anchor = path if not any(c in str(path) for c in GLOB_CHARACTERS) else path.parent
    if not anchor.is_absolute():
        path, anchor = base / path, base / anchor
    if not anchor.resolve().is_relative_to(base):
        raise DataValidationError(
            None, f"expected a folder under {base}, received {text.strip()!r}"
        )
    return path
