"""Standard Webhooks, checked against the spec's reference library (``standardwebhooks`` on PyPI) as signer."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.standard_webhooks import StandardWebhooks, sign
from local.samples import WEBHOOK_SECRET, ticket_body
from local.signing import encode

KIND = StandardWebhooks()
NOW = 1_767_225_600
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()
BODY = encode(ticket_body("INC-1", {"username": "jdoe"}))


def reference_headers(secret: str, body: bytes, *, msg_id: str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at: int = NOW):
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


def verify(headers: dict[str, str], body: bytes = BODY, secrets: list[str] | None = None, received_at: float = NOW):
    delivery = Delivery("helpdesk", headers, body, received_at)
    return KIND.authenticate(delivery, [WEBHOOK_SECRET] if secrets is None else secrets)


def test_a_reference_library_signature_is_accepted_and_names_the_delivery():
    assert verify(reference_headers(WEBHOOK_SECRET, BODY)) == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


def test_the_local_signer_agrees_with_the_reference_library():
    expected = reference_headers(WEBHOOK_SECRET, BODY, msg_id="msg_1")["webhook-signature"]
    assert sign(WEBHOOK_SECRET, "msg_1", str(NOW), BODY) == expected


def test_a_tampered_body_is_rejected():
    headers = reference_headers(WEBHOOK_SECRET, BODY)
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(headers, BODY.replace(b"jdoe", b"root"))


def test_a_changed_message_id_is_rejected():
    headers = reference_headers(WEBHOOK_SECRET, BODY) | {"webhook-id": "msg_other"}
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(headers)


def test_a_signature_made_with_another_secret_is_rejected():
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(reference_headers(OTHER_SECRET, BODY))


@pytest.mark.parametrize("offset", [301, 3600, -301, -3600])
def test_stale_or_future_timestamps_are_rejected_even_when_correctly_signed(offset):
    headers = reference_headers(WEBHOOK_SECRET, BODY, at=NOW)
    with pytest.raises(Unauthorized, match="webhook-timestamp is outside the tolerance"):
        verify(headers, received_at=NOW + offset)


@pytest.mark.parametrize("offset", [300, -300, 0])
def test_timestamps_at_the_edge_of_five_minutes_are_accepted(offset):
    assert verify(reference_headers(WEBHOOK_SECRET, BODY), received_at=NOW + offset)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_rejected(missing):
    headers = {k: v for k, v in reference_headers(WEBHOOK_SECRET, BODY).items() if k != missing}
    with pytest.raises(Unauthorized, match=f"missing header {missing}"):
        verify(headers)


def test_any_of_several_signatures_in_the_header_may_match():
    good = reference_headers(WEBHOOK_SECRET, BODY)
    bogus = "v1," + base64.b64encode(b"x" * 32).decode()
    other = reference_headers(OTHER_SECRET, BODY)["webhook-signature"]
    headers = good | {"webhook-signature": f"{bogus} {other} {good['webhook-signature']}"}
    assert verify(headers) == good["webhook-id"]


def test_only_v1_signatures_count():
    good = reference_headers(WEBHOOK_SECRET, BODY)
    headers = good | {"webhook-signature": good["webhook-signature"].replace("v1,", "v1a,")}
    with pytest.raises(Unauthorized):
        verify(headers)


def test_several_active_secrets_allow_a_rotation():
    rotating = [OTHER_SECRET, WEBHOOK_SECRET]
    assert verify(reference_headers(WEBHOOK_SECRET, BODY), secrets=rotating)
    assert verify(reference_headers(OTHER_SECRET, BODY), secrets=rotating)
    with pytest.raises(Unauthorized):
        verify(reference_headers(OTHER_SECRET, BODY), secrets=[WEBHOOK_SECRET])


def test_a_secret_configured_without_the_whsec_prefix_is_the_same_key():
    bare = WEBHOOK_SECRET.removeprefix("whsec_")
    assert verify(reference_headers(WEBHOOK_SECRET, BODY), secrets=[bare])
    assert verify(reference_headers(bare, BODY), secrets=[WEBHOOK_SECRET])


@pytest.mark.parametrize("unusable", ["", "whsec_", "whsec_not base64!", "%%%"])
def test_unusable_secrets_never_verify_and_are_skipped_in_a_rotation(unusable):
    headers = reference_headers(WEBHOOK_SECRET, BODY)
    # Anyone can compute an HMAC under an empty key: a source configured with one must fail closed.
    empty_key = headers | {"webhook-signature": sign("whsec_", headers["webhook-id"], str(NOW), BODY)}
    with pytest.raises(Unauthorized):
        verify(empty_key, secrets=[unusable])
    assert verify(headers, secrets=[unusable, WEBHOOK_SECRET])


@pytest.mark.parametrize("timestamp", ["", "abc", "1.5e9", "-1767225600", "١٧٦٧٢٢٥٦٠٠", "9" * 5000, " 1767225600"])
def test_malformed_timestamps_are_rejected_not_crashed_on(timestamp):
    headers = reference_headers(WEBHOOK_SECRET, BODY) | {"webhook-timestamp": timestamp}
    with pytest.raises(Unauthorized):
        verify(headers)


@given(
    key=st.binary(min_size=1, max_size=64),
    msg_id=st.text(min_size=1, max_size=40).filter(str.strip),
    body=st.text(max_size=200),
    offset=st.integers(min_value=-300, max_value=300),
    prefixed=st.booleans(),
)
def test_any_reference_signature_within_the_window_is_accepted(key, msg_id, body, offset, prefixed):
    secret = ("whsec_" if prefixed else "") + base64.b64encode(key).decode()
    headers = reference_headers(secret, body.encode(), msg_id=msg_id, at=NOW + offset)
    assert verify(headers, body.encode(), secrets=[secret]) == msg_id
    with pytest.raises(Unauthorized):
        verify(headers, body.encode() + b" ", secrets=[secret])


@given(
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x"]), st.text(max_size=60), max_size=4
    ),
    body=st.binary(max_size=100),
    received_at=st.floats(allow_nan=True, allow_infinity=True),
)
def test_arbitrary_headers_are_rejected_with_unauthorized_and_nothing_else(headers, body, received_at):
    with pytest.raises(Unauthorized):
        verify(headers, body, received_at=received_at)
