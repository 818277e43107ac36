"""Serving to a network needs login: address checks, [auth] checks, the launcher."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.serve.serving import (
    ServingError,
    auth_problems,
    check_serving,
    is_loopback,
    providers,
    read_secrets,
)
from tests.support.paths import ROOT

COMPLETE = {
    "redirect_uri": "https://studio.example.com/oauth2callback",
    "cookie_secret": "x" * 64,
    "client_id": "studio",
    "client_secret": "s3cret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        (None, False),
        ("192.168.1.5", False),
        ("studio.example.com", False),
    ],
    ids=str,
)
def test_only_the_loopback_interface_counts_as_local(address, loopback):
    assert is_loopback(address) is loopback


def test_loopback_needs_no_login():
    check_serving("127.0.0.1", None, authlib_installed=False)


@pytest.mark.parametrize("address", ["0.0.0.0", "", None, "10.0.0.3"], ids=str)
def test_a_network_address_without_login_is_refused_with_how_to(address):
    with pytest.raises(ServingError, match="refusing to serve") as caught:
        check_serving(address, None, authlib_installed=True)
    assert "make app" in str(caught.value)
    assert "Team set-up" in str(caught.value)


def test_a_network_address_with_complete_login_is_allowed():
    check_serving("0.0.0.0", COMPLETE, authlib_installed=True)


def test_login_needs_authlib():
    with pytest.raises(ServingError, match="Authlib"):
        check_serving("0.0.0.0", COMPLETE, authlib_installed=False)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"cookie_secret": ""}, "no cookie_secret"),
        ({"cookie_secret": "short"}, "at least 32 characters"),
        ({"redirect_uri": "https://x/callback"}, "ending in /oauth2callback"),
        ({"client_secret": ""}, "no client_secret"),
    ],
    ids=["no-secret", "weak-secret", "bad-redirect", "no-client-secret"],
)
def test_incomplete_login_settings_are_named(change, problem):
    problems = auth_problems({**COMPLETE, **change})
    assert any(problem in text for text in problems), problems


def test_named_providers_are_found_and_checked():
    shared = {k: COMPLETE[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: COMPLETE[k] for k in ("client_id", "server_metadata_url")}
    auth = {**shared, "keycloak": provider}
    assert providers(auth) == ["keycloak"]
    assert auth_problems(auth) == ["[auth.keycloak] has no client_secret"]


def test_secrets_files_merge_and_a_broken_one_is_named(tmp_path):
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text('[auth]\nclient_id = "a"\n[other]\nx = 1\n')
    second.write_text('[auth]\nclient_id = "b"\n')
    merged = read_secrets([first, second, tmp_path / "missing.toml"])
    assert merged == {"auth": {"client_id": "b"}, "other": {"x": 1}}
    first.write_text("[auth\n")
    with pytest.raises(ServingError, match="a.toml"):
        read_secrets([first])


def _serve(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ui.serve", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_launcher_refuses_a_network_start_without_login(tmp_path):
    done = _serve("--address", "0.0.0.0", "--secrets", str(tmp_path / "none.toml"))
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without login" in done.stderr
    assert "Team set-up" in done.stderr


def test_the_launcher_accepts_a_network_start_with_login(tmp_path):
    pytest.importorskip("authlib", reason="pip install -r requirements.txt")
    secrets = tmp_path / "secrets.toml"
    lines = [f'{key} = "{value}"' for key, value in COMPLETE.items()]
    secrets.write_text("[auth]\n" + "\n".join(lines) + "\n")
    done = _serve("--address", "0.0.0.0", "--secrets", str(secrets), "--check-only")
    assert done.returncode == 0, done.stderr
