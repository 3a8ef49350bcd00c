"""The HMAC, timestamp and delivery-id helpers shared by the identity-event source kinds."""

from __future__ import annotations

import base64
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.signatures import (
    body_digest,
    check_recent,
    epoch_seconds,
    verify_body_hmac,
)

# RFC 4231 test case 2 (HMAC-SHA256) and RFC 2202 test case 2 (HMAC-SHA1): key "Jefe".
MESSAGE = b"what do ya want for nothing?"
SHA256_JEFE = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
SHA1_JEFE = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
JEFE_BASE64 = base64.b64encode(b"Jefe").decode()


def delivery(headers: dict[str, str], body: bytes = MESSAGE) -> Delivery:
    return Delivery("src", headers, body, 0.0)


def test_base64_sha1_keyed_with_decoded_secret_matches_rfc_2202():
    expected = base64.b64encode(bytes.fromhex(SHA1_JEFE)).decode()
    verify_body_hmac(
        delivery({"sig": expected}), "sig", [JEFE_BASE64], digest="sha1", key_format="base64", encoding="base64"
    )


def test_a_secret_that_is_not_base64_verifies_nothing():
    expected = base64.b64encode(bytes.fromhex(SHA1_JEFE)).decode()
    with pytest.raises(Unauthorized):
        verify_body_hmac(
            delivery({"sig": expected}), "sig", ["not base64!"], digest="sha1", key_format="base64", encoding="base64"
        )


@pytest.mark.parametrize("offered", [SHA256_JEFE.upper(), SHA256_JEFE, f"  {SHA256_JEFE.upper()}\n"])
def test_hex_signature_is_accepted_in_either_case(offered):
    verify_body_hmac(
        delivery({"signature": offered}),
        "signature",
        ["Jefe"],
        digest="sha256",
        key_format="utf-8",
        encoding="hex-upper",
    )


def test_any_active_secret_verifies_and_others_are_skipped():
    signature = base64.b64encode(bytes.fromhex(SHA1_JEFE)).decode()
    verify_body_hmac(
        delivery({"sig": signature}),
        "sig",
        ["", "%%%", base64.b64encode(b"old").decode(), JEFE_BASE64],
        digest="sha1",
        key_format="base64",
        encoding="base64",
    )


@pytest.mark.parametrize(
    ("secrets", "headers", "message"),
    [
        (["Jefe"], {}, "missing header signature"),
        (["Jefe"], {"signature": ""}, "missing header signature"),
        (["jefe"], {"signature": SHA256_JEFE}, "signature verification failed"),
        ([""], {"signature": SHA256_JEFE}, "signature verification failed"),
        ([], {"signature": SHA256_JEFE}, "signature verification failed"),
        (["Jefe"], {"signature": SHA256_JEFE[:-2]}, "signature verification failed"),
    ],
)
def test_missing_wrong_or_unconfigured_is_unauthorized(secrets, headers, message):
    with pytest.raises(Unauthorized, match=message):
        verify_body_hmac(
            delivery(headers), "signature", secrets, digest="sha256", key_format="utf-8", encoding="hex-upper"
        )


def test_tampered_body_is_unauthorized():
    with pytest.raises(Unauthorized):
        verify_body_hmac(
            delivery({"signature": SHA256_JEFE}, MESSAGE + b" "),
            "signature",
            ["Jefe"],
            digest="sha256",
            key_format="utf-8",
            encoding="hex-upper",
        )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1450011477, 1450011477.0),
        (1450011477.5, 1450011477.5),
        ("1450011477", 1450011477.0),
        (1450011477123, 1450011477.123),
        ("2015-12-13T12:57:57Z", 1450011477.0),
        ("2015-12-13T12:57:57.2345678Z", 1450011477.234567),
        ("2015-12-13T13:57:57+01:00", 1450011477.0),
        ("2015-12-13T12:57:57", 1450011477.0),
        ("/Date(1450011477000)/", 1450011477.0),
    ],
)
def test_epoch_seconds_reads_the_usual_forms(value, seconds):
    assert epoch_seconds(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, True, "", "yesterday", math.nan, math.inf, "NaN", [1], {"t": 1}, "9" * 40])
def test_epoch_seconds_refuses_what_is_not_a_time(value):
    assert epoch_seconds(value) is None


@given(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40), st.lists(st.integers(), max_size=2)
    )
)
def test_epoch_seconds_is_none_or_finite(value):
    seconds = epoch_seconds(value)
    assert seconds is None or math.isfinite(seconds)


@pytest.mark.parametrize("age", [0, 60, 3600, 47 * 3600, -299])
def test_check_recent_accepts_times_inside_the_window(age):
    check_recent(1_000_000.0 - age, 1_000_000.0, "Time", past=48 * 3600)


@pytest.mark.parametrize(
    ("sent_at", "message"),
    [(1_000_000.0 - 48 * 3600 - 1, "outside"), (1_000_301.0, "outside"), (None, "missing"), (math.nan, "missing")],
)
def test_check_recent_refuses_old_future_and_missing_times(sent_at, message):
    with pytest.raises(Unauthorized, match=f"Time is {message}"):
        check_recent(sent_at, 1_000_000.0, "Time", past=48 * 3600)


def test_body_digest_is_stable_and_distinguishes_bodies():
    assert body_digest(b"[1]") == body_digest(b"[1]")
    assert body_digest(b"[1]") != body_digest(b"[1] ")
    assert body_digest(b"").startswith("sha256:")
