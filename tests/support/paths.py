"""Where the checkout is, for tests that read its files or start its programs."""

from __future__ import annotations

from pathlib import Path

#: The repository root (this file is tests/support/paths.py).
ROOT = Path(__file__).resolve().parents[2]
