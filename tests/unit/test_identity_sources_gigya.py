"""Gigya webhooks: ``X-Gigya-Sig-Hmac-Sha1``, the body ``timestamp`` window, batched events."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.gigya_webhook import GigyaWebhook, sign
from account_unlock.sources.mapping import MappingError, extract
from local.signing import encode
from local.story_identity_events import GIGYA_WEBHOOK_SECRET, gigya_notification

KIND = GigyaWebhook()
NOW = 1_767_225_600
# The example notification of Gigya's documentation (two accountRegistered events).
DOCUMENTED = {
    "events": [
        {
            "type": "accountRegistered",
            "id": "b3e95b42-5788-49a7-842a-90c0f183d653",
            "timestamp": 1450011476,
            "data": {"uid": "1"},
        },
        {
            "type": "accountRegistered",
            "id": "c3e95b42-5788-49a7-842a-90c0f183d664",
            "timestamp": 1450011477,
            "data": {"uid": "2"},
        },
    ],
    "nonce": "8693aa10-9c75-48c9-a959-6ef1ae2b6b54",
    "timestamp": 1450011477,
}


def delivery(raw: bytes, signature: str | None = None, *, received_at: float = NOW) -> Delivery:
    headers = {"content-type": "application/json"}
    if signature != "":
        headers["x-gigya-sig-hmac-sha1"] = signature or sign(GIGYA_WEBHOOK_SECRET, raw)
    return Delivery("gigya", headers, raw, received_at)


def notification(*events: tuple[str, str], moment: int = NOW, nonce: str = "nonce-1") -> bytes:
    return encode(gigya_notification(list(events), nonce=nonce, moment=moment))


def test_signature_is_base64_hmac_sha1_keyed_with_the_decoded_secret():
    raw = encode(DOCUMENTED)
    digest = hmac.new(base64.b64decode(GIGYA_WEBHOOK_SECRET), raw, hashlib.sha1).digest()
    assert sign(GIGYA_WEBHOOK_SECRET, raw) == base64.b64encode(digest).decode()


def test_documented_notification_is_accepted_at_its_time_with_the_nonce_as_delivery_id():
    raw = encode(DOCUMENTED)
    found = KIND.authenticate(delivery(raw, received_at=DOCUMENTED["timestamp"] + 30), [GIGYA_WEBHOOK_SECRET])
    assert found == DOCUMENTED["nonce"]


def test_a_rotated_secret_still_verifies():
    raw = notification(("accountUpdated", "u1"))
    other = base64.b64encode(b"the-next-gigya-secret").decode()
    assert KIND.authenticate(delivery(raw, sign(other, raw)), ["not base64 at all", GIGYA_WEBHOOK_SECRET, other])


def test_tampered_body_is_refused():
    raw = notification(("accountUpdated", "victim"))
    with pytest.raises(Unauthorized, match="signature verification failed"):
        KIND.authenticate(
            delivery(raw.replace(b"victim", b"attack"), sign(GIGYA_WEBHOOK_SECRET, raw)), [GIGYA_WEBHOOK_SECRET]
        )


def test_body_signed_with_another_secret_is_refused():
    raw = notification(("accountUpdated", "u1"))
    with pytest.raises(Unauthorized, match="signature verification failed"):
        KIND.authenticate(delivery(raw, sign(base64.b64encode(b"guess").decode(), raw)), [GIGYA_WEBHOOK_SECRET])


def test_secret_used_as_text_instead_of_decoded_does_not_verify():
    raw = notification(("accountUpdated", "u1"))
    as_text = base64.b64encode(hmac.new(GIGYA_WEBHOOK_SECRET.encode(), raw, hashlib.sha1).digest()).decode()
    with pytest.raises(Unauthorized):
        KIND.authenticate(delivery(raw, as_text), [GIGYA_WEBHOOK_SECRET])


def test_unsigned_delivery_is_refused():
    with pytest.raises(Unauthorized, match="missing header x-gigya-sig-hmac-sha1"):
        KIND.authenticate(delivery(notification(), ""), [GIGYA_WEBHOOK_SECRET])


@pytest.mark.parametrize("offset", [-310, 310, -3600])
def test_timestamp_outside_five_minutes_is_refused(offset):
    raw = notification(("accountUpdated", "u1"), moment=NOW + offset)
    with pytest.raises(Unauthorized, match="timestamp is outside the tolerance"):
        KIND.authenticate(delivery(raw), [GIGYA_WEBHOOK_SECRET])


@pytest.mark.parametrize("timestamp", [None, "soon", True, [NOW]])
def test_signed_body_without_a_usable_timestamp_is_refused(timestamp):
    raw = encode(gigya_notification([], moment=NOW) | {"timestamp": timestamp})
    with pytest.raises(Unauthorized, match="timestamp is missing"):
        KIND.authenticate(delivery(raw), [GIGYA_WEBHOOK_SECRET])


def test_millisecond_timestamp_is_read_as_such():
    raw = encode(gigya_notification([], moment=NOW) | {"timestamp": NOW * 1000 + 250})
    assert KIND.authenticate(delivery(raw), [GIGYA_WEBHOOK_SECRET])


def test_no_nonce_means_no_delivery_id():
    payload = gigya_notification([], moment=NOW)
    del payload["nonce"]
    assert KIND.authenticate(delivery(encode(payload)), [GIGYA_WEBHOOK_SECRET]) is None


def test_events_are_the_items_of_a_batch():
    assert KIND.batched
    assert KIND.detail_type == UNLOCK_REQUESTED
    assert KIND.items(DOCUMENTED) == DOCUMENTED["events"]
    assert KIND.items({"events": [], "nonce": "n"}) == []


@pytest.mark.parametrize("payload", [{}, {"events": {"type": "x"}}, [DOCUMENTED], "events"])
def test_a_body_without_an_events_list_is_a_mapping_error(payload):
    with pytest.raises(MappingError, match="events"):
        KIND.items(payload)


def test_no_event_type_unlocks_without_opt_in():
    for event in KIND.items(json.loads(notification(("accountUpdated", "u"), ("accountLoggedIn", "v")))):
        assert not extract(KIND.preset, event).resolved


def test_opted_in_events_map_uid_and_event_id():
    found = extract(KIND.preset, DOCUMENTED["events"][0], ["accountRegistered"])
    assert found.resolved
    assert (found.ticket_id, found.delivery_id) == (DOCUMENTED["events"][0]["id"],) * 2
    assert found.user == {"id": "1"}
    assert found.requested_by == "gigya:accountRegistered"
    assert not extract(KIND.preset, DOCUMENTED["events"][0], ["accountUpdated"]).resolved


def test_event_without_uid_is_a_mapping_error_naming_the_user():
    event = {"type": "accountUpdated", "id": "e1", "data": {}}
    with pytest.raises(MappingError, match="field user needs exactly one"):
        extract(KIND.preset, event, ["accountUpdated"])


@given(
    raw=st.binary(max_size=256),
    headers=st.dictionaries(
        st.sampled_from(["x-gigya-sig-hmac-sha1", "content-type"]), st.text(max_size=60), max_size=2
    ),
    secrets=st.lists(st.text(max_size=24), max_size=3),
    received_at=st.floats(allow_nan=True, allow_infinity=True),
)
def test_arbitrary_requests_are_refused_or_authenticated_never_crash(raw, headers, secrets, received_at):
    try:
        found = KIND.authenticate(Delivery("gigya", headers, raw, received_at), secrets)
    except Unauthorized:
        return
    assert found is None or isinstance(found, str)


@given(
    payload=st.dictionaries(
        st.sampled_from(["events", "nonce", "timestamp"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.floats(),
            st.lists(
                st.dictionaries(
                    st.sampled_from(["type", "id", "data", "uid"]),
                    st.one_of(
                        st.text(max_size=8),
                        st.integers(),
                        st.none(),
                        st.dictionaries(st.just("uid"), st.text(max_size=8)),
                    ),
                    max_size=4,
                ),
                max_size=3,
            ),
        ),
        max_size=3,
    ),
    offset=st.integers(min_value=-1000, max_value=1000),
    statuses=st.one_of(st.none(), st.lists(st.text(max_size=10), max_size=2)),
)
def test_signed_arbitrary_notifications_authenticate_map_or_fail_cleanly(payload, offset, statuses):
    raw = encode(payload)
    try:
        KIND.authenticate(delivery(raw, received_at=NOW + offset), [GIGYA_WEBHOOK_SECRET])
        refusal = ""
    except Unauthorized as exc:
        refusal = str(exc)
    assert refusal == "" or "timestamp" in refusal
    try:
        events = KIND.items(payload)
    except MappingError:
        return
    for event in events:
        with contextlib.suppress(MappingError):
            extract(KIND.preset, event, statuses)
