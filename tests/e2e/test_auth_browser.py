"""Two users sign in through a real OpenID Connect provider; each reaches only
their own runs.

The provider is ``oidc-provider-mock`` on a free 127.0.0.1 port (its login form
asks for a subject); the app is started with a temporary secrets file naming it.
Alice's run is trained by the executor before the browsers start (nothing is
trained in the browser); Bob then tries her ``?run=`` link, her files' direct
paths and the delete path, and gets nothing. Signing out ends the session,
even for a copy of the identity cookie.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from core.serve.live_app import free_port, running_app, stop
from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ALICE, BOB = "alice-sub", "bob-sub"


def _get(url: str, body: bytes | None = None, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """``python -m oidc_provider_mock`` on 127.0.0.1; yields its issuer URL."""
    for module in ("oidc_provider_mock", "authlib"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} missing: pip install -r requirements-dev.txt")
    port = free_port()
    log = (tmp_path_factory.mktemp("provider") / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _ready(issuer) is False:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the mock OpenID provider did not start")
            time.sleep(0.1)
        for subject in (ALICE, BOB):
            email = subject.replace("-sub", "@example.com")
            status, _ = _get(
                f"{issuer}/users/{subject}",
                json.dumps({"email": email, "name": email}).encode(),
                "PUT",
            )
            assert status == 204
        yield issuer
    finally:
        stop(process)
        log.close()


def _ready(issuer: str) -> bool:
    try:
        return _get(f"{issuer}/.well-known/openid-configuration")[0] == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def alices_run(tmp_path_factory):
    """A finished run of Alice's (trained by the executor) in a fresh store."""
    from core.runs.executors.local import LocalExecutor
    from core.runs.store import RunStatus, RunStore
    from tests.support.configs import small_window_config
    from ui.data import dataset_from_bundled

    store = RunStore(tmp_path_factory.mktemp("auth_runs"))
    frame = dataset_from_bundled("predictive_maintenance").frame.head(3000)
    config = small_window_config(frame.columns)
    config = config.replace(train=replace(config.train, epochs=1))
    executor = LocalExecutor(store, max_concurrent=1)
    record = executor.submit(frame, config, ("embedding",), "alice.csv", owner=ALICE)
    done = executor.wait(record.id, timeout=TRAINING_MILLISECONDS / 1000)
    assert done.status is RunStatus.DONE, done.error
    return done


@pytest.fixture(scope="module")
def auth_app(provider, alices_run, tmp_path_factory):
    """The app in login mode against the mock provider; yields its URL."""
    folder = tmp_path_factory.mktemp("auth_app")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "studio"\n'
        'client_secret = "studio-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    log_path = folder / "streamlit.log"
    try:
        with running_app(
            log_path,
            options=["--secrets.files", str(secrets_file)],
            environment={"SEQ_EMBED_RUNS_DIR": str(alices_run.path.parent)},
            port=port,
        ) as url:
            yield url
    finally:
        if log_path.exists():
            print(log_path.read_text()[-5000:])


def _sign_in(browser, url: str, subject: str):
    """A fresh browser context signed in as ``subject`` through the provider."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name='sub']").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.get_by_text(subject.replace("-sub", "@example.com")).first.wait_for()
    no_exception(page)
    return context, page


def _open_runs_page(page) -> None:
    page.get_by_role("link", name="Runs").click()
    page.get_by_role("heading", name="Runs", exact=True).wait_for()


def test_two_users_see_only_their_own_runs(browser, auth_app, alices_run):
    run_id = alices_run.id
    # Nobody signed in: the sign-in screen, and no page of the studio.
    anonymous = browser.new_page()
    anonymous.goto(f"{auth_app}/runs?run={run_id}")
    anonymous.get_by_role("button", name="Sign in").wait_for()
    assert anonymous.get_by_text(run_id).count() == 0
    anonymous.close()

    # Alice: her run is listed and her link opens it.
    alice, alice_page = _sign_in(browser, auth_app, ALICE)
    _open_runs_page(alice_page)
    # The run table draws on a canvas; its cells are in the DOM, hidden.
    alice_page.get_by_text(run_id).first.wait_for(state="attached")
    alice_page.goto(f"{auth_app}/embeddings?run={run_id}")
    alice_page.locator(".js-plotly-plot").first.wait_for()
    no_exception(alice_page)

    # Bob: no run listed, Alice's link is "not found", nothing of hers shows.
    bob, bob_page = _sign_in(browser, auth_app, BOB)
    _open_runs_page(bob_page)
    bob_page.get_by_text("No runs yet").wait_for()
    assert bob_page.get_by_text(run_id).count() == 0
    for page_name in ("runs", "train", "predictions", "embeddings"):
        bob_page.goto(f"{auth_app}/{page_name}?run={run_id}")
        bob_page.get_by_text("run not found").first.wait_for()
        bob_page.wait_for_url(lambda url: "run=" not in url)  # the id leaves the URL
        assert bob_page.locator(".js-plotly-plot").count() == 0
        assert bob_page.get_by_role("button", name="Delete").count() == 0
        no_exception(bob_page)
    # A guessed id reads exactly the same.
    bob_page.goto(f"{auth_app}/train?run={run_id[:-6]}abcdef")
    bob_page.get_by_text("run not found").first.wait_for()
    assert alices_run.path.is_dir(), "Bob's attempts left Alice's run alone"

    # Direct paths to Alice's files serve none of their bytes.
    fingerprint = alices_run.data_fingerprint
    for path in (
        f"{run_id}/run.json",
        f"runs/{run_id}/run.json",
        f"{run_id}/models/embedding/model.keras",
        f"_data/{fingerprint}.parquet",
        f"app/static/../{run_id}/run.json",
        f"media/{fingerprint}.parquet",
    ):
        status, body = _get(f"{auth_app}/{path}")
        assert run_id.encode() not in body, path
        assert not body.startswith(b"PAR1"), path
        assert status in (200, 400, 403, 404), (path, status)  # 200: the app shell

    # Alice signs out; a copy of her identity cookie no longer lets anyone in.
    cookies = alice.cookies()
    assert any(cookie["name"].startswith("_streamlit_user") for cookie in cookies)
    alice_page.get_by_role("button", name="Sign out").click()
    end_session = alice_page.get_by_role("button", name="End session")
    end_session.wait_for()
    end_session.click()
    alice_page.get_by_role("button", name="Sign in").wait_for()
    replay = browser.new_context()
    replay.add_cookies(cookies)
    replayed = replay.new_page()
    replayed.set_default_timeout(ELEMENT_MILLISECONDS)
    replayed.goto(f"{auth_app}/runs")
    replayed.get_by_text("last sign-out").wait_for()
    assert replayed.get_by_text(run_id).count() == 0
    for context in (alice, bob, replay):
        context.close()


def test_a_network_start_without_login_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ui.serve", "--address", "0.0.0.0"]
        + ["--secrets", str(tmp_path / "no-secrets.toml")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without login" in done.stderr
