"""Ownership rules: who sees which run and data, fair-use limits, sessions."""

from __future__ import annotations

import os

import pytest

from core.runs.executors.local import LocalExecutor
from core.runs.processes import process_started
from core.runs.slots import waiting_ahead
from core.runs.store import DamagedRun, RunNotFoundError, RunStatus, RunStore
from core.serve.access import (
    LOCAL,
    AccessError,
    RunLimitError,
    UserLimits,
    Viewer,
    admins_from,
    check_run_limit,
    identity,
    not_found_message,
    require_visible,
    visible,
    visible_items,
    visible_records,
)
from core.serve.sessions import SignOuts, check_session
from tests.support.configs import store_config
from tests.support.tables import make_long_table

ALICE = Viewer("alice-sub", "alice@example.com")
BOB = Viewer("bob-sub", "bob@example.com")
ADMIN = Viewer("root-sub", "root@example.com", is_admin=True)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


@pytest.fixture
def owned(store):
    """One run each of alice, bob and nobody (a run from local mode)."""
    table = make_long_table()
    return {
        name: store.create(table, store_config(), ("embedding",), "t.csv", owner=owner)
        for name, owner in (("alice", ALICE.owner), ("bob", BOB.owner), ("none", None))
    }


def test_each_user_sees_only_their_own_runs(store, owned):
    assert [r.id for r in visible_records(store, ALICE)] == [owned["alice"].id]
    assert [r.id for r in visible_records(store, BOB)] == [owned["bob"].id]


def test_local_mode_and_administrators_see_every_run(store, owned):
    everything = {record.id for record in owned.values()}
    assert {r.id for r in visible_records(store, LOCAL)} == everything
    assert {r.id for r in visible_records(store, ADMIN)} == everything


def test_a_run_without_an_owner_is_visible_only_in_local_mode(owned):
    orphan = owned["none"]
    assert visible(orphan, LOCAL)
    assert not visible(orphan, ALICE)
    assert not visible(orphan, BOB)


def test_damaged_folders_are_shown_only_to_local_mode_and_administrators(tmp_path):
    damaged = DamagedRun("20200101-000000-abcdef", tmp_path, "run.json is missing")
    assert visible_items([damaged], LOCAL) == [damaged]
    assert visible_items([damaged], ADMIN) == [damaged]
    assert visible_items([damaged], ALICE) == []


@pytest.mark.parametrize(
    "run_id",
    ["bob", "20200101-000000-abcdef", "../../etc/passwd", "none"],
    ids=["other-users-run", "unknown-id", "path-trick", "ownerless-run"],
)
def test_someone_elses_run_reads_exactly_like_an_unknown_id(store, owned, run_id):
    run_id = owned[run_id].id if run_id in owned else run_id
    with pytest.raises(RunNotFoundError) as caught:
        require_visible(store, run_id, ALICE)
    assert str(caught.value) == not_found_message(run_id)


def test_the_owner_reaches_their_run(store, owned):
    assert require_visible(store, owned["alice"].id, ALICE) == owned["alice"]


def test_the_same_upload_is_stored_once_per_owner(store, owned):
    fingerprints = {name: record.data_fingerprint for name, record in owned.items()}
    assert len(set(fingerprints.values())) == 3
    again = store.create(
        make_long_table(), store_config(), ("embedding",), "t.csv", owner=ALICE.owner
    )
    assert again.data_fingerprint == fingerprints["alice"]


def test_deleting_a_users_last_run_deletes_their_data_only(store, owned):
    alice, bob = owned["alice"], owned["bob"]
    store.delete(alice.id)
    assert not store.data_path(alice.data_fingerprint).exists()
    assert store.data_path(bob.data_fingerprint).exists()
    assert store.load_data(bob).shape == make_long_table().shape


def test_identity_uses_the_subject_and_recognises_administrators():
    claims = {"sub": "s-1", "email": "Root@Example.com", "iat": 1}
    assert identity(claims) == Viewer("s-1", "Root@Example.com", False)
    assert identity(claims, ["root@example.com"]).is_admin
    assert identity(claims, ["s-1"]).is_admin
    assert not identity(claims, ["someone@else"]).is_admin


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 7}], ids=str)
def test_an_identity_without_a_subject_is_refused(claims):
    with pytest.raises(AccessError, match="expected an identity with a subject"):
        identity(claims)


def test_administrators_come_from_the_settings_and_the_environment(monkeypatch):
    monkeypatch.setenv("SEQ_EMBED_ADMINS", " b@x , c@x")
    assert admins_from(["a@x", "b@x"]) == ("a@x", "b@x", "c@x")
    assert admins_from("a@x,d@x") == ("a@x", "d@x", "b@x", "c@x")


# -- fair use ------------------------------------------------------------------


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEQ_EMBED_MAX_RUNS_PER_USER", "2")
    monkeypatch.setenv("SEQ_EMBED_MAX_TRAINING_PER_USER", "3")
    assert UserLimits.from_environment(slots=8) == UserLimits(runs=2, training=3)


@pytest.mark.parametrize(
    ("slots", "training"), [(1, 1), (2, 1), (4, 2), (5, 2)], ids=str
)
def test_one_user_never_holds_every_slot_by_default(monkeypatch, slots, training):
    monkeypatch.delenv("SEQ_EMBED_MAX_TRAINING_PER_USER", raising=False)
    monkeypatch.setenv("SEQ_EMBED_MAX_RUNS_PER_USER", "nonsense")
    limits = UserLimits.from_environment(slots)
    assert limits.training == training
    assert limits.runs == 4


def test_the_run_limit_counts_only_the_users_unfinished_runs(store, owned):
    alice = owned["alice"]
    check_run_limit(store.records(), ALICE.owner, limit=2)
    with pytest.raises(RunLimitError, match="expected at most 1 queued or running"):
        check_run_limit(store.records(), ALICE.owner, limit=1)
    store.finish(alice.id, RunStatus.DONE)
    check_run_limit(store.records(), ALICE.owner, limit=1)
    check_run_limit(store.records(), None, limit=0)  # local mode: no limit


def test_submit_refuses_a_run_past_the_users_limit(store, monkeypatch):
    executor = LocalExecutor(store, max_concurrent=1, limits=UserLimits(runs=1))
    monkeypatch.setattr(executor, "launch", lambda run_id: None)
    table, config = make_long_table(), store_config()
    first = executor.submit(table, config, owner=ALICE.owner)
    with pytest.raises(RunLimitError, match=first.id):
        executor.submit(table, config, owner=ALICE.owner)
    executor.submit(table, config, owner=BOB.owner)  # another user is not held up
    executor.submit(table, config)  # nor local mode
    assert len(store.records()) == 3


def _running(store, record):
    pid = os.getpid()
    return store.update(
        record.id, status="running", pid=pid, pid_started=process_started(pid)
    )


def _queued_alive(store, record):
    pid = os.getpid()
    return store.update(record.id, pid=pid, pid_started=process_started(pid))


def test_a_user_at_the_training_limit_waits_and_does_not_block_others(store):
    table, config = make_long_table(), store_config()
    runs = {
        name: store.create(table, config, ("embedding",), "t", owner=owner)
        for name, owner in (
            ("alice_1", ALICE.owner),
            ("alice_2", ALICE.owner),
            ("bob_1", BOB.owner),
        )
    }
    _running(store, runs["alice_1"])
    alice_2 = _queued_alive(store, runs["alice_2"])
    bob_1 = _queued_alive(store, runs["bob_1"])
    assert waiting_ahead(store, alice_2, per_user=1)
    assert not waiting_ahead(store, bob_1, per_user=1)
    # Without a per-user limit the queue is plain FIFO: bob waits for alice.
    assert waiting_ahead(store, bob_1, per_user=None)
    assert not waiting_ahead(store, alice_2, per_user=2)


# -- sessions ------------------------------------------------------------------


def test_a_fresh_sign_in_is_accepted():
    check_session({"iat": 1_000}, now=1_000 + 3600, max_hours=24)


def test_an_old_sign_in_has_expired():
    with pytest.raises(AccessError, match="session expired"):
        check_session({"iat": 1_000}, now=1_000 + 25 * 3600, max_hours=24)


def test_a_sign_in_from_before_the_last_sign_out_is_refused():
    with pytest.raises(AccessError, match="after your last sign-out"):
        check_session({"iat": 1_000}, now=2_000, max_hours=24, signed_out_at=1_500)
    check_session({"iat": 1_600}, now=2_000, max_hours=24, signed_out_at=1_500)


@pytest.mark.parametrize("issued", [None, "yesterday", True], ids=str)
def test_a_sign_in_without_an_issue_time_is_refused(issued):
    with pytest.raises(AccessError, match="issue time"):
        check_session({"iat": issued}, now=2_000, max_hours=24)


def test_sign_outs_are_kept_per_user_and_only_move_forward(tmp_path):
    sign_outs = SignOuts(tmp_path)
    assert sign_outs.signed_out_at("alice") is None
    sign_outs.record("alice", 100.0)
    sign_outs.record("alice", 50.0)
    sign_outs.record("bob", 70.0)
    again = SignOuts(tmp_path)
    assert again.signed_out_at("alice") == 100.0
    assert again.signed_out_at("bob") == 70.0
