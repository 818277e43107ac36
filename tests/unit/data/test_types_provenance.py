"""Typed data provenance: today's fingerprint strings, written and read back."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.data.provenance import Provenance, SourceKind

CONTENT = b"entity,step\n1,2\n"
DIGEST = hashlib.sha256(CONTENT).hexdigest()[:16]


@pytest.mark.parametrize(
    ("provenance", "fingerprint"),
    [
        (
            Provenance.bundled("predictive_maintenance"),
            "bundled:predictive_maintenance",
        ),
        (Provenance.upload("a.csv", CONTENT), f"upload:a.csv:{len(CONTENT)}:{DIGEST}"),
        (
            Provenance.upload("a:b|c.csv", CONTENT)
            .with_repair("timestamp(year,month)")
            .with_repair("numbers(x,y)"),
            f"upload:a:b|c.csv:{len(CONTENT)}:{DIGEST}|timestamp(year,month)"
            "|numbers(x,y)",
        ),
        (
            Provenance.bundled("cmapss").with_repair("numbers(a)"),
            "bundled:cmapss|numbers(a)",
        ),
        (Provenance.folder("/data/events", "0abc"), "folder:/data/events:0abc"),
        (Provenance(SourceKind.OTHER, "test:category"), "test:category"),
    ],
    ids=["bundled", "upload", "upload-repaired", "bundled-repaired", "folder", "other"],
)
def test_fingerprints_are_todays_strings_and_parse_back(provenance, fingerprint):
    assert provenance.fingerprint == fingerprint
    assert Provenance.parse(fingerprint) == provenance


def test_only_an_unchanged_bundled_set_has_a_bundled_name():
    assert Provenance.bundled("sample").bundled_name == "sample"
    assert Provenance.bundled("sample").with_repair("numbers(a)").bundled_name is None
    assert Provenance.upload("sample", CONTENT).bundled_name is None
    assert Provenance.parse("bundled:sample|numbers(a)").bundled_name is None
    assert Provenance.parse("test:bundled:sample").kind is SourceKind.OTHER


def test_an_upload_name_ends_at_a_size_and_hash_followed_by_a_repair_or_the_end():
    tricky = f"upload:x:5:{DIGEST}0:7:{DIGEST}"
    parsed = Provenance.parse(tricky)
    assert (parsed.kind, parsed.name, parsed.size) == (
        SourceKind.UPLOAD, f"x:5:{DIGEST}0", 7,
    )  # fmt: skip
    assert parsed.repairs == ()


@given(st.text())
def test_every_string_parses_to_a_provenance_with_the_same_fingerprint(text):
    assert Provenance.parse(text).fingerprint == text


@given(
    st.sampled_from(["bundled", "upload"]),
    st.text().filter(lambda name: "|" not in name),
    st.lists(st.text().filter(lambda repair: "|" not in repair), max_size=3),
)
def test_written_provenances_parse_back_equal(kind, name, repairs):
    provenance = (
        Provenance.bundled(name) if kind == "bundled" else Provenance.upload(name, b"x")
    )
    for repair in repairs:
        provenance = provenance.with_repair(repair)
    assert Provenance.parse(provenance.fingerprint) == provenance
