"""PingOne subscriptions: the static ``Authorization`` header, event batches, the preset mapping."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.sources.pingone_subscription import MAX_EVENTS, PingOneSubscription
from local.identity_senders import PINGONE_SUBSCRIPTION_SECRET, pingone_activity
from local.signing import encode

KIND = PingOneSubscription()
USER_ID = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"


def delivery(raw: bytes, authorization: str | None = PINGONE_SUBSCRIPTION_SECRET) -> Delivery:
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    return Delivery("p1", headers, raw, 0.0)


def batch(*types: str) -> bytes:
    return encode([pingone_activity(kind, USER_ID, "dee.rao", moment=1_767_225_600) for kind in types])


def test_the_configured_header_value_authenticates_with_a_digest_of_the_body_as_delivery_id():
    raw = batch("PASSWORD.RECOVERY")
    found = KIND.authenticate(delivery(raw), [PINGONE_SUBSCRIPTION_SECRET])
    assert found is not None
    assert found.startswith("sha256:")
    assert found == KIND.authenticate(delivery(raw), [PINGONE_SUBSCRIPTION_SECRET])  # a re-send is the same delivery
    assert found != KIND.authenticate(delivery(batch("USER.UPDATED")), [PINGONE_SUBSCRIPTION_SECRET])


def test_every_active_secret_is_tried():
    assert KIND.authenticate(delivery(batch(), "Bearer next-token"), [PINGONE_SUBSCRIPTION_SECRET, "Bearer next-token"])


@pytest.mark.parametrize(
    ("authorization", "secrets", "message"),
    [
        (None, [PINGONE_SUBSCRIPTION_SECRET], "missing header authorization"),
        ("", [PINGONE_SUBSCRIPTION_SECRET], "missing header authorization"),
        ("Bearer guessed", [PINGONE_SUBSCRIPTION_SECRET], "secret verification failed"),
        (PINGONE_SUBSCRIPTION_SECRET.removeprefix("Bearer "), [PINGONE_SUBSCRIPTION_SECRET], "verification failed"),
        (PINGONE_SUBSCRIPTION_SECRET + " ", [PINGONE_SUBSCRIPTION_SECRET], "verification failed"),
        ("Bearer x", [""], "verification failed"),
    ],
)
def test_wrong_missing_or_unconfigured_header_is_refused(authorization, secrets, message):
    with pytest.raises(Unauthorized, match=message):
        KIND.authenticate(delivery(batch("PASSWORD.RECOVERY"), authorization), secrets)


def test_events_become_unlock_requested_events_in_batches():
    assert KIND.batched
    assert KIND.detail_type == UNLOCK_REQUESTED
    assert KIND.accepted_status == 200


def test_items_are_the_array_elements_even_beyond_500():
    events = [{"id": str(n)} for n in range(MAX_EVENTS + 1)]
    assert KIND.items(events) == events


def test_a_single_unwrapped_event_is_one_item():
    event = pingone_activity("USER.LOCKED", USER_ID, "dee.rao")
    assert KIND.items(event) == [event]


@pytest.mark.parametrize("payload", [{"events": []}, "x", 3, None])
def test_a_body_that_is_not_an_array_of_events_is_a_mapping_error(payload):
    with pytest.raises(MappingError, match="JSON array"):
        KIND.items(payload)


def test_no_event_type_unlocks_without_opt_in():
    for kind in ("USER.LOCKED", "PASSWORD.RECOVERY", "PASSWORD.CHECK_FAILED", "USER.UNLOCKED"):
        assert not extract(KIND.preset, pingone_activity(kind, USER_ID, "dee.rao")).resolved


def test_opted_in_event_maps_the_user_resource_and_the_event_id():
    event = pingone_activity("PASSWORD.RECOVERY", USER_ID, "dee.rao", event_id="ev-1")
    found = extract(KIND.preset, event, ["PASSWORD.RECOVERY"])
    assert found.resolved
    assert found.status == "PASSWORD.RECOVERY"
    assert found.user == {"id": USER_ID}
    assert (found.ticket_id, found.delivery_id) == ("ev-1", "ev-1")
    assert found.requested_by == "pingone:PASSWORD.RECOVERY"


def test_the_user_is_the_resource_of_type_user_not_the_first_resource():
    event = pingone_activity("PASSWORD.RECOVERY", USER_ID, "dee.rao")
    event["resources"].insert(0, {"type": "APPLICATION", "id": "app-1"})
    assert extract(KIND.preset, event, ["PASSWORD.RECOVERY"]).user == {"id": USER_ID}


def test_event_without_a_user_resource_is_a_mapping_error_naming_the_user():
    event = pingone_activity("PASSWORD.RECOVERY", USER_ID, "dee.rao") | {"resources": [{"type": "APPLICATION"}]}
    with pytest.raises(MappingError, match="field user needs exactly one"):
        extract(KIND.preset, event, ["PASSWORD.RECOVERY"])


@given(
    raw=st.binary(max_size=256),
    headers=st.dictionaries(
        st.sampled_from(["authorization", "content-type", "x-api-key"]), st.text(max_size=60), max_size=3
    ),
    secrets=st.lists(st.text(max_size=30), max_size=3),
)
def test_arbitrary_requests_are_refused_or_authenticated_never_crash(raw, headers, secrets):
    try:
        found = KIND.authenticate(Delivery("p1", headers, raw, 0.0), secrets)
    except Unauthorized:
        return
    assert isinstance(found, str)
    assert headers.get("authorization") in secrets


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(["id", "action", "type", "resources", "description"]), children, max_size=4
            )
        ),
        max_leaves=14,
    ),
    statuses=st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=2)),
)
def test_arbitrary_payloads_map_or_raise_mapping_error(payload, statuses):
    json.dumps(payload)
    try:
        events = KIND.items(payload)
    except MappingError:
        return
    for event in events:
        with contextlib.suppress(MappingError):
            extract(KIND.preset, event, statuses)
