"""A bundle as files: its required names, atomic replacement and copying.

Kept apart from :mod:`core.model.bundle` because nothing here needs Keras: the command
line copies a finished run's bundle without importing TensorFlow (seconds).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from core._fs import staged_directory
from core.errors import BundleError

REQUIRED_FILES = (
    "bundle.json",
    "model.keras",
    "preprocessor.json",
    "config.json",
    "metrics.json",
    "history.json",
)


def copy_bundle(source: str | Path, directory: str | Path) -> Path:
    """Copy a saved bundle to ``directory`` atomically (same rules as saving).

    Raises
    ------
    BundleError
        If ``directory`` is a file or a non-empty folder that is not a bundle.
    """
    target = Path(directory).resolve()
    require_replaceable(target)
    with staged_directory(target) as staging:
        for name in REQUIRED_FILES:
            shutil.copy2(Path(source) / name, staging / name)
    return target


def bundle_zip_bytes(directory: str | Path) -> bytes:
    """The bundle directory as zip bytes (for a download button)."""
    path = Path(directory)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in REQUIRED_FILES:
            zipped.write(path / name, f"bundle/{name}")
    return buffer.getvalue()


def require_replaceable(target: Path) -> None:
    """Refuse to overwrite anything but a bundle or an empty folder."""
    if not target.exists() and not target.is_symlink():
        return
    if target.is_dir() and not target.is_symlink():
        if (target / "bundle.json").is_file() or not any(target.iterdir()):
            return
        received = "a folder with other files"
    else:
        received = "a file"
    raise BundleError(
        f"expected a new folder or an existing model bundle at {str(target)!r}, "
        f"received {received}; choose another output folder"
    )
