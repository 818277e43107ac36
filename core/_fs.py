"""Atomic file changes and file locks: the one place core writes files safely.

Every record, table and folder a reader may see is written under a hidden
temporary name next to its target and renamed into place, so a reader finds
either the old content or the new one, never half of either. Locks are
:mod:`filelock` locks (``flock`` on Unix, ``LockFileEx`` on Windows): the
operating system releases them when their process dies, however it dies.
Nothing here is specific to one platform.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

#: ``renameat2``'s flag that swaps two names in one step (Linux 3.15+).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def temporary_sibling(path: Path) -> Path:
    """A hidden, unique name in ``path``'s folder (same file system: renames work)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}")


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary)``, then move the temporary file over ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to create or replace.
    write : callable
        Writes the complete content to the path it is given (for example
        ``frame.to_parquet``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    temporary = temporary_sibling(target)
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(path: str | Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` atomically."""
    return atomic_write(path, lambda temporary: temporary.write_bytes(content))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write(
        path, lambda temporary: temporary.write_text(text, encoding="utf-8")
    )


def atomic_write_json(path: str | Path, payload: Any) -> Path:
    """Write ``payload`` as indented JSON atomically (unknown types as text)."""
    return atomic_write_text(path, json.dumps(payload, indent=2, default=str))


@contextlib.contextmanager
def staged_directory(target: str | Path) -> Iterator[Path]:
    """Yield an empty hidden folder next to ``target``; on success it replaces it.

    Whatever the block writes into the yielded folder appears at ``target``
    in one rename; if the block raises, the folder is removed and ``target``
    is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with staged_directory(root / "bundle") as staging:
    ...     _ = (staging / "a.txt").write_text("new")
    >>> (root / "bundle" / "a.txt").read_text()
    'new'
    """
    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent)
    )
    try:
        yield staging
        replace_directory(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_directory(staging: str | Path, target: str | Path) -> None:
    """Rename the folder ``staging`` to ``target``, replacing a folder there.

    Where the system can swap two names in one step (Linux), there is never
    a moment without a complete ``target``; elsewhere the old folder is
    renamed aside just before, so the gap is two renames long. The old
    folder is deleted afterwards; if the final rename fails it is put back.
    """
    staging, target = Path(staging), Path(target)
    if not target.exists():
        os.replace(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old content
        return
    old = temporary_sibling(target)
    os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(old, target)  # never lose what the user already has
        raise
    shutil.rmtree(old, ignore_errors=True)


def move_into_place(source: str | Path, target: str | Path) -> None:
    """Rename a file or folder over ``target`` (:func:`replace_directory` for a
    folder): ``target`` is always either the old or the new one."""
    if Path(source).is_dir():
        replace_directory(source, target)
    else:
        os.replace(source, target)


def remove_directory(path: str | Path) -> None:
    """Delete a folder so that no reader ever sees it half deleted.

    It is renamed to a hidden sibling first (one step), then deleted.
    """
    folder = Path(path)
    trash = temporary_sibling(folder)
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step with Linux's ``renameat2``; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        rename = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False  # a C library without renameat2 (older glibc, musl)
    result = rename(
        _AT_FDCWD,
        os.fsencode(first),
        _AT_FDCWD,
        os.fsencode(second),
        _RENAME_EXCHANGE,
    )
    return result == 0


def file_lock(path: str | Path) -> FileLock:
    """An exclusive lock on the file ``path`` (created if missing); use with ``with``.

    Each call returns a new lock object, so two callers in one process
    exclude each other exactly as two processes do.
    """
    return FileLock(path, thread_local=False)


def try_lock(path: str | Path) -> FileLock | None:
    """The lock on ``path`` if it is free now (held until released), else None."""
    lock = file_lock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock
