"""Login mode through the app: sign-in gate, own runs only, forged ?run=, refusals.

``AppTest`` seeds ``st.user`` and ``st.secrets`` directly (no identity provider
here; the browser test signs in through a real one). The runs are created in
the store with an owner and marked finished: nothing trains.
"""

from __future__ import annotations

import os
import time

import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from core.runs.store import RunStatus, RunStore
from core.serve.sessions import SignOuts
from tests.support.app import APP, ROOT, TIMEOUT, errors_of, shown
from tests.support.configs import small_window_config
from ui import state

SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 64,
        "client_id": "studio",
        "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    },
    "studio": {"admins": ["root@example.com"]},
}


def _user(name: str, issued: float | None = None) -> dict:
    return {
        "is_logged_in": True,
        "sub": f"{name}-sub",
        "email": f"{name}@example.com",
        "iat": int(issued or time.time()),
    }


def signed_in(user: dict | None, page: str = "home", query: dict | None = None):
    """The app in login mode for ``user`` (None: nobody signed in), on ``page``."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.secrets = SECRETS
    app.user = user or {"is_logged_in": False}
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    if page != "home":
        app.switch_page(f"pages/{page}.py").run()
    return app


@pytest.fixture(scope="module", autouse=True)
def _own_store(tmp_path_factory):
    """This module's runs stay out of the session's store (other tests list it)."""
    previous = os.environ["SEQ_EMBED_RUNS_DIR"]
    os.environ["SEQ_EMBED_RUNS_DIR"] = str(tmp_path_factory.mktemp("auth_store"))
    yield
    os.environ["SEQ_EMBED_RUNS_DIR"] = previous


@pytest.fixture(scope="module")
def owned_runs():
    """A finished (cancelled, untrained) run of alice and one of bob, in the store."""
    from ui.data import dataset_from_bundled

    frame = dataset_from_bundled("predictive_maintenance").frame.head(2000)
    store = RunStore()
    config = small_window_config(frame.columns)
    made = {}
    for name in ("alice", "bob"):
        record = store.create(
            frame, config, ("embedding",), f"{name}.csv", f"{name}-sub"
        )
        made[name] = store.finish(record.id, RunStatus.CANCELLED)
    return made


def _listed(app) -> set[str]:
    return set(app.dataframe[0].value["id"]) if app.dataframe else set()


def test_nobody_signed_in_sees_only_the_sign_in_screen():
    app = signed_in(None, page="home")
    assert not app.exception
    assert app.button(key="auth_login_default").label == "Sign in"
    assert [shown(t.value) for t in app.title] == ["Sequence Embedding Studio"]


@pytest.mark.parametrize("page", ["runs", "train", "predictions", "embeddings"])
def test_no_page_shows_anything_before_sign_in(page, owned_runs):
    app = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT)
    app.secrets = SECRETS
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception
    assert app.button(key="auth_login_default")
    assert not app.dataframe


def test_each_user_lists_only_their_own_runs(owned_runs):
    alice, bob = owned_runs["alice"], owned_runs["bob"]
    listed = _listed(signed_in(_user("alice"), page="runs"))
    assert alice.id in listed
    assert bob.id not in listed
    listed = _listed(signed_in(_user("bob"), page="runs"))
    assert bob.id in listed
    assert alice.id not in listed


def test_an_administrator_lists_every_run(owned_runs):
    listed = _listed(signed_in(_user("root"), page="runs"))
    assert {run.id for run in owned_runs.values()} <= listed


def test_another_users_run_in_the_url_is_not_found(owned_runs):
    bob = owned_runs["bob"]
    app = signed_in(_user("alice"), page="home", query={"run": bob.id})
    assert not app.exception
    assert any("run not found" in error for error in errors_of(app))
    assert "run" not in app.query_params
    app.switch_page("pages/train.py").run()
    assert state.CURRENT_RUN not in app.session_state
    assert state.OPEN_RUN not in app.session_state
    assert "Test metrics, side by side" not in [s.value for s in app.subheader]


def test_an_unknown_id_reads_exactly_like_another_users(owned_runs):
    bob = owned_runs["bob"]
    unknown = bob.id[:-6] + "000000"
    messages = []
    for run_id in (bob.id, unknown):
        app = signed_in(_user("alice"), page="home", query={"run": run_id})
        messages.append([e.replace(run_id, "ID") for e in errors_of(app)])
    assert messages[0] == messages[1] != []


def test_the_owner_opens_their_run_from_its_link(owned_runs):
    alice = owned_runs["alice"]
    app = signed_in(_user("alice"), page="train", query={"run": alice.id})
    assert not app.exception
    assert app.session_state[state.CURRENT_RUN] == alice.id


def test_an_expired_sign_in_must_sign_in_again(owned_runs):
    old = _user("alice", issued=time.time() - 48 * 3600)
    app = signed_in(old, page="runs")
    assert not app.exception
    assert any("session expired" in shown(w.value) for w in app.warning)
    assert not app.dataframe


def test_signing_out_ends_every_session_of_that_user(owned_runs):
    user = _user("carol", issued=time.time() - 60)
    app = signed_in(user, page="home")
    assert app.sidebar.button(key="auth_logout").label == "Sign out"
    # AppTest reruns only the page after the first run, so app.py's sidebar
    # button cannot be clicked here (the browser test clicks it): record the
    # sign-out as the button does.
    SignOuts(RunStore().root).record(user["sub"], time.time())
    app = signed_in(user, page="runs")  # the same identity, e.g. a copied cookie
    assert any("last sign-out" in shown(w.value) for w in app.warning)
    assert not app.dataframe


def test_the_app_refuses_a_network_address_without_login():
    previous = streamlit_config.get_option("server.address")
    streamlit_config.set_option("server.address", "0.0.0.0")
    try:
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        app.run()
    finally:
        streamlit_config.set_option("server.address", previous)
    assert not app.exception
    assert any("refusing to serve on 0.0.0.0" in e for e in errors_of(app))
    assert not app.button


def test_the_train_page_refuses_a_run_past_the_users_limit(sample_state):
    from core.serve.access import DEFAULT_RUNS_PER_USER

    user = _user("dave")
    frame = sample_state[state.DATA].head(500)
    config = small_window_config(frame.columns)
    store = RunStore()
    held = [
        store.create(frame, config, ("embedding",), "d.csv", owner=user["sub"])
        for _ in range(DEFAULT_RUNS_PER_USER)
    ]
    try:
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        app.secrets, app.user = SECRETS, user
        for key, value in {**sample_state, state.CONFIG: config}.items():
            app.session_state[key] = value
        app.run()
        app.switch_page("pages/train.py").run()
        app.button(key="train_start").click().run()
        assert not app.exception
        assert any("expected at most 4 queued or running" in e for e in errors_of(app))
        assert len([r for r in store.records() if r.owner == user["sub"]]) == 4
    finally:
        for record in held:
            store.finish(record.id, RunStatus.CANCELLED)
