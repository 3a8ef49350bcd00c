"""Zendesk webhooks: base64(HMAC-SHA256(secret, TIMESTAMP + BODY)), ±5 min, the recommended body template."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.base import Delivery, SourceConfig, Unauthorized
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.sources.zendesk import Zendesk
from account_unlock.webhook import build_request
from local.senders import ZENDESK_SECRET, zendesk_body, zendesk_headers
from local.signing import encode

KIND = Zendesk()
STAMP = "2021-03-25T05:09:27Z"  # the timestamp of Zendesk's documentation
AT = 1616648967  # STAMP in unix seconds
BODY = encode(zendesk_body("35436", "jdoe@example.com"))


def verify(headers: dict[str, str], body: bytes = BODY, secrets: list[str] | None = None, received_at: float = AT):
    delivery = Delivery("zendesk", {k.lower(): v for k, v in headers.items()}, body, received_at)
    return KIND.authenticate(delivery, [ZENDESK_SECRET] if secrets is None else secrets)


def signed(body: bytes = BODY, secret: str = ZENDESK_SECRET, **kwargs: str) -> dict[str, str]:
    return zendesk_headers(secret, body, timestamp=kwargs.pop("timestamp", STAMP), **kwargs)


def test_signed_with_the_documented_test_secret_is_accepted_and_names_the_invocation():
    assert verify(signed(invocation_id="8350205582")) == "8350205582"


def test_the_signature_is_the_base64_hmac_of_timestamp_then_body_keyed_with_the_secret_text():
    expected = base64.b64encode(hmac.new(ZENDESK_SECRET.encode(), STAMP.encode() + BODY, hashlib.sha256).digest())
    assert signed()["X-Zendesk-Webhook-Signature"] == expected.decode()
    assert verify(signed() | {"X-Zendesk-Webhook-Signature": expected.decode()})


def test_the_secret_is_not_base64_decoded():
    decoded_key = base64.b64decode(ZENDESK_SECRET)
    digest = hmac.new(decoded_key, STAMP.encode() + BODY, hashlib.sha256).digest()
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(signed() | {"X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode()})


def test_a_tampered_body_is_rejected():
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(signed(), BODY.replace(b"jdoe", b"root"))


def test_a_changed_timestamp_is_rejected():
    headers = signed() | {"X-Zendesk-Webhook-Signature-Timestamp": "2021-03-25T05:09:28Z"}
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(headers, received_at=AT + 1)


def test_another_secret_is_rejected_and_a_rotation_accepts_both():
    other = signed(secret="another-zendesk-signing-secret")
    with pytest.raises(Unauthorized):
        verify(other)
    assert verify(other, secrets=["another-zendesk-signing-secret", ZENDESK_SECRET]) is not None
    assert verify(signed(), secrets=["another-zendesk-signing-secret", ZENDESK_SECRET]) is not None


@pytest.mark.parametrize("offset", [301, 86400, -301])
def test_stale_replayed_or_future_deliveries_are_rejected(offset):
    with pytest.raises(Unauthorized, match="x-zendesk-webhook-signature-timestamp is outside the tolerance"):
        verify(signed(), received_at=AT + offset)


@pytest.mark.parametrize("offset", [300, -300])
def test_the_window_is_five_minutes_either_way(offset):
    assert verify(signed(), received_at=AT + offset)


@pytest.mark.parametrize("missing", ["X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"])
def test_unsigned_deliveries_are_rejected(missing):
    headers = {k: v for k, v in signed().items() if k != missing}
    with pytest.raises(Unauthorized, match=f"missing header {missing.lower()}"):
        verify(headers)


@pytest.mark.parametrize("stamp", ["1616648967", "2021-03-25T05:09:27", "yesterday", "2021-13-45T00:00:00Z", "Z"])
def test_timestamps_without_zone_or_not_iso_8601_are_rejected(stamp):
    with pytest.raises(Unauthorized, match="timestamp"):
        verify(signed(timestamp=stamp))


def test_an_offset_timestamp_counts_in_utc():
    assert verify(signed(timestamp="2021-03-25T07:09:27+02:00"))


def test_no_invocation_id_means_no_delivery_id():
    headers = {k: v for k, v in signed().items() if k != "X-Zendesk-Webhook-Invocation-Id"}
    assert verify(headers) is None


# mapping ---------------------------------------------------------------------------------------
def test_a_solved_ticket_unlocks_its_requester():
    found = extract(KIND.preset, zendesk_body("35436", "jdoe@example.com"))
    assert (found.ticket_id, found.status, found.resolved) == ("35436", "Solved", True)
    assert found.user == {"email": "jdoe@example.com"}
    assert found.connection == "pingone-workforce"
    assert found.ticket_url == "https://example.zendesk.com/agent/tickets/35436"
    assert found.requested_by == "agent@example.com"


def test_the_unlock_user_field_wins_over_the_requester():
    found = extract(KIND.preset, zendesk_body("1", "agent.created@example.com", unlock_user="locked@example.com"))
    assert found.user == {"email": "locked@example.com"}


@pytest.mark.parametrize("status", ["solved", "Solved"])
def test_solved_is_resolved(status):
    assert extract(KIND.preset, zendesk_body("1", "a@example.com", status=status)).resolved


@pytest.mark.parametrize("status", ["New", "Open", "Pending", "On-hold", "Closed", "Gelöst"])
def test_other_statuses_are_not_resolved(status):
    assert not extract(KIND.preset, zendesk_body("1", "a@example.com", status=status)).resolved


def test_resolved_statuses_replace_the_preset_test_for_localized_accounts():
    found = extract(KIND.preset, zendesk_body("1", "a@example.com", status="Gelöst"), ["Gelöst"])
    assert found.resolved


def test_a_ticket_without_any_user_is_a_bad_request_naming_the_user():
    config = SourceConfig(kind="zendesk", secrets=[ZENDESK_SECRET], connections=["pingone-workforce"])
    with pytest.raises(MappingError, match="field user needs exactly one"):
        build_request("zendesk", config, KIND.preset, zendesk_body("1", ""), "8350205582", 0)


# properties ------------------------------------------------------------------------------------
@given(body=st.text(max_size=200), offset=st.integers(min_value=-300, max_value=300), secret=st.text(min_size=1))
def test_any_body_signed_the_zendesk_way_is_accepted_within_the_window(body, offset, secret):
    raw = body.encode()
    assert verify(signed(raw, secret, invocation_id="1"), raw, [secret], received_at=AT + offset) == "1"
