"""The credential checks shared by the ticketing source kinds (sources/signatures.py)."""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.base import TIMESTAMP_TOLERANCE_SECONDS, Delivery, Unauthorized
from account_unlock.sources.signatures import active, check_window, verify_hex_hmac, verify_static

# RFC 4231, test case 2: HMAC-SHA256 with key "Jefe".
MESSAGE = b"what do ya want for nothing?"
JEFE = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def delivery(headers: dict[str, str], body: bytes = MESSAGE) -> Delivery:
    return Delivery("src", headers, body, 0.0)


@pytest.mark.parametrize("offset", [0, 1, -1, TIMESTAMP_TOLERANCE_SECONDS, -TIMESTAMP_TOLERANCE_SECONDS])
def test_window_accepts_five_minutes_either_way(offset):
    check_window(1000.0 + offset, 1000.0, "ts")


@pytest.mark.parametrize("sent_at", [1000.0 - 301, 1000.0 + 301, math.nan, math.inf, -math.inf])
def test_window_rejects_stale_future_and_non_finite_times(sent_at):
    with pytest.raises(Unauthorized, match="ts is outside the tolerance"):
        check_window(sent_at, 1000.0, "ts")


def test_hex_hmac_matches_rfc_4231():
    verify_hex_hmac(delivery({"sig": f"sha256={JEFE}"}), "sig", ["Jefe"])


@pytest.mark.parametrize("value", [f"SHA256={JEFE.upper()}", f"  sha256={JEFE}\n"])
def test_hex_hmac_ignores_case_and_surrounding_space(value):
    verify_hex_hmac(delivery({"sig": value}), "sig", ["Jefe"])


@pytest.mark.parametrize("value", [JEFE, f"sha1={JEFE}", "sha256=", f"sha256={JEFE[:-2]}", f"sha256={JEFE}00"])
def test_hex_hmac_rejects_other_schemes_and_truncated_or_padded_digests(value):
    with pytest.raises(Unauthorized):
        verify_hex_hmac(delivery({"sig": value}), "sig", ["Jefe"])


def test_hex_hmac_tries_every_active_secret_and_skips_empty_ones():
    verify_hex_hmac(delivery({"sig": f"sha256={JEFE}"}), "sig", ["", "old", "Jefe"])
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify_hex_hmac(delivery({"sig": f"sha256={JEFE}"}), "sig", ["old"])


def test_hex_hmac_covers_the_raw_body():
    with pytest.raises(Unauthorized):
        verify_hex_hmac(delivery({"sig": f"sha256={JEFE}"}, MESSAGE + b"\n"), "sig", ["Jefe"])


def test_hex_hmac_without_the_header_is_missing_credentials():
    with pytest.raises(Unauthorized, match="missing header sig"):
        verify_hex_hmac(delivery({}), "sig", ["Jefe"])


def test_no_secret_at_all_fails_closed():
    for secrets in ([], [""]):
        with pytest.raises(Unauthorized):
            verify_static("", secrets)
        with pytest.raises(Unauthorized):
            verify_hex_hmac(delivery({"sig": "sha256=" + "0" * 64}), "sig", secrets)


def test_static_secret_must_equal_one_active_secret_exactly():
    verify_static("s3cret", ["old", "s3cret"])
    for offered in ["s3cre", "s3cret ", "S3CRET", "s3cret\x00"]:
        with pytest.raises(Unauthorized, match="secret verification failed"):
            verify_static(offered, ["s3cret"])


def test_active_secrets_are_utf8_bytes_without_empty_ones():
    assert active(["", "a", "é"]) == [b"a", "é".encode()]


@given(value=st.text(max_size=120), body=st.binary(max_size=64), secrets=st.lists(st.text(max_size=20), max_size=3))
def test_arbitrary_credentials_verify_or_raise_unauthorized(value, body, secrets):
    for check in (
        lambda: verify_hex_hmac(delivery({"sig": value}, body), "sig", secrets),
        lambda: verify_static(value, secrets),
    ):
        with contextlib.suppress(Unauthorized):
            check()


@given(offered=st.text(min_size=1, max_size=40), secret=st.text(min_size=1, max_size=40))
def test_static_comparison_accepts_exactly_the_secret(offered, secret):
    if offered == secret:
        verify_static(offered, [secret])
    else:
        with pytest.raises(Unauthorized):
            verify_static(offered, [secret])
