"""The Train, Compare and Tune pages offer a configured Ray cluster as the executor.

Without a cluster nothing is shown; with one but without Ray on the server the
choice is disabled with the install command; with Ray, a run submitted "on Ray"
goes through a launcher process (``python -m core runs launch``), never through
Ray in the server. Here the launcher is pointed at the local executor (the
default suite has no cluster); ``tests/ray`` drives the same page against one.
"""

from __future__ import annotations

import importlib.util

import pytest

from core.runs.executors.detached import DetachedExecutor
from tests.support.app import (
    open_page,
    shown,
    wait_for_current_run,
)
from tests.support.configs import small_sample_config
from ui import state

ADDRESS = "127.0.0.1:6399"


def _ray_installed(monkeypatch, installed: bool) -> None:
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "ray":
            return real("json") if installed else None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize("page", ["train", "compare", "tune"])
def test_no_cluster_no_choice(page, sample_state, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    app = open_page(page, {**sample_state, state.CONFIG: small_sample_config()})
    assert not app.exception
    assert not [radio for radio in app.radio if radio.label == "Train on"]


@pytest.mark.parametrize("page", ["train", "compare", "tune"])
def test_a_cluster_without_ray_installed_is_shown_disabled_with_the_command(
    page, sample_state, monkeypatch
):
    monkeypatch.setenv("RAY_ADDRESS", ADDRESS)
    _ray_installed(monkeypatch, False)
    app = open_page(page, {**sample_state, state.CONFIG: small_sample_config()})
    assert not app.exception
    choice = [radio for radio in app.radio if radio.label == "Train on"]
    assert choice
    assert choice[0].disabled
    assert f"Ray at {ADDRESS}" in choice[0].options
    captions = " ".join(shown(caption.value) for caption in app.caption)
    assert "requirements-ray.txt" in captions


@pytest.mark.slow
def test_train_on_ray_goes_through_a_launcher_process(sample_state, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", ADDRESS)
    _ray_installed(monkeypatch, True)
    launched = []
    command = DetachedExecutor.command

    def local_launcher(self, run_id):
        launched.append(run_id)
        # No cluster here: the launcher trains with the local executor instead.
        return [part if part != "ray" else "local" for part in command(self, run_id)]

    monkeypatch.setattr(DetachedExecutor, "command", local_launcher)
    app = open_page("train", {**sample_state, state.CONFIG: small_sample_config()})
    app.radio(key="train_executor").set_value("ray").run()
    app.button(key="train_start").click().run()
    assert not app.exception
    record = wait_for_current_run(app)
    assert launched == [record.id]
    assert record.status.value == "done", record.error
    assert record.executor == "ray"  # the server treats its pid as a driver's
    app.run()
    assert not app.exception
