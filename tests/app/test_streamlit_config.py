"""The server's own settings (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib

from streamlit import config as streamlit_config

from tests.support.app import ROOT


def _settings() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_the_file_watcher_does_not_walk_the_checkout():
    server = _settings()["server"]
    assert server["fileWatcherType"] == "none"
    # Should a developer turn polling on, the virtual environment stays out.
    assert ".venv" in server["folderWatchBlacklist"]


def test_every_setting_is_one_streamlit_knows():
    known = set(streamlit_config.get_config_options())
    for section, values in _settings().items():
        for name in values:
            assert f"{section}.{name}" in known
