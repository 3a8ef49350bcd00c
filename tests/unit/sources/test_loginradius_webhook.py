"""LoginRadius webhooks: the ``signature`` check, the ``Time`` window and the preset mapping."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.loginradius_webhook import LoginRadiusWebhook
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.sources.signatures import SIGNED_BODY_WINDOW_SECONDS
from local.identity_senders import LOGINRADIUS_WEBHOOK_SECRET, loginradius_event
from local.signing import encode, loginradius_signature

KIND = LoginRadiusWebhook()
NOW = 1_767_225_600.0
UID = "5f3c0b8e9a6d4c2e8b1a7f6e5d4c3b2a"


def body(hook_name: str = "ResetPassword", *, moment: float = NOW, hook_id: str = "hook-1") -> bytes:
    return encode(loginradius_event(hook_name, UID, "ann@example.com", hook_id=hook_id, moment=moment))


def delivery(raw: bytes, signature: str | None = None, *, received_at: float = NOW) -> Delivery:
    headers = {"content-type": "application/json"}
    if signature != "":
        headers["signature"] = signature or loginradius_signature(LOGINRADIUS_WEBHOOK_SECRET, raw)
    return Delivery("lr", headers, raw, received_at)


def test_signature_is_the_uppercase_hex_hmac_sha256_of_the_raw_body():
    raw = body()
    expected = hmac.new(LOGINRADIUS_WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest().upper()
    assert KIND.authenticate(delivery(raw, expected), [LOGINRADIUS_WEBHOOK_SECRET])
    assert loginradius_signature(LOGINRADIUS_WEBHOOK_SECRET, raw) == expected


def test_genuine_delivery_is_accepted_with_hookid_and_time_as_delivery_id():
    assert KIND.authenticate(delivery(body()), [LOGINRADIUS_WEBHOOK_SECRET]) == "hook-1:2026-01-01T00:00:00.000Z"


def test_a_rotated_secret_still_verifies():
    raw = body()
    assert KIND.authenticate(
        delivery(raw, loginradius_signature("new-secret", raw)), [LOGINRADIUS_WEBHOOK_SECRET, "new-secret"]
    )


def test_tampered_body_is_refused():
    raw = body()
    tampered = raw.replace(UID.encode(), b"0" * 32)
    with pytest.raises(Unauthorized, match="signature verification failed"):
        KIND.authenticate(
            delivery(tampered, loginradius_signature(LOGINRADIUS_WEBHOOK_SECRET, raw)), [LOGINRADIUS_WEBHOOK_SECRET]
        )


def test_body_signed_with_another_secret_is_refused():
    raw = body()
    with pytest.raises(Unauthorized, match="signature verification failed"):
        KIND.authenticate(delivery(raw, loginradius_signature("another-secret", raw)), [LOGINRADIUS_WEBHOOK_SECRET])


def test_unsigned_delivery_is_refused():
    with pytest.raises(Unauthorized, match="missing header signature"):
        KIND.authenticate(delivery(body(), ""), [LOGINRADIUS_WEBHOOK_SECRET])


def test_an_empty_secret_never_verifies():
    raw = body()
    signed_with_empty_key = hmac.new(b"", raw, hashlib.sha256).hexdigest().upper()
    with pytest.raises(Unauthorized, match="signature verification failed"):
        KIND.authenticate(delivery(raw, signed_with_empty_key), [""])


@pytest.mark.parametrize("age", [0, 3600, SIGNED_BODY_WINDOW_SECONDS - 60, -240])
def test_late_resends_inside_the_replay_window_are_accepted(age):
    assert KIND.authenticate(delivery(body(moment=NOW - age)), [LOGINRADIUS_WEBHOOK_SECRET])


@pytest.mark.parametrize("age", [SIGNED_BODY_WINDOW_SECONDS + 60, -360])
def test_stale_or_future_time_is_refused(age):
    with pytest.raises(Unauthorized, match="Time is outside the replay window"):
        KIND.authenticate(delivery(body(moment=NOW - age)), [LOGINRADIUS_WEBHOOK_SECRET])


@pytest.mark.parametrize("time", [None, "", "yesterday", True])
def test_signed_body_without_a_usable_time_is_refused(time):
    payload = loginradius_event("ResetPassword", UID, "ann@example.com", moment=NOW) | {"Time": time}
    with pytest.raises(Unauthorized, match="Time is missing"):
        KIND.authenticate(delivery(encode(payload)), [LOGINRADIUS_WEBHOOK_SECRET])


@pytest.mark.parametrize("raw", [b"HookName=Login", b"[1, 2]", b"\xff\xfe"])
def test_authentic_body_that_is_not_a_json_object_has_no_delivery_id(raw):
    assert KIND.authenticate(delivery(raw), [LOGINRADIUS_WEBHOOK_SECRET]) is None


def test_events_become_unlock_requested_events():
    assert KIND.detail_type == UNLOCK_REQUESTED
    assert not KIND.batched


def test_no_event_type_unlocks_without_opt_in():
    for hook in ("ResetPassword", "Login", "BlockAccount", "UpdateProfile", "true"):
        assert not extract(KIND.preset, loginradius_event(hook, UID, "a@b.c")).resolved


def test_opted_in_event_type_maps_to_the_profile_uid():
    found = extract(
        KIND.preset, loginradius_event("ResetPassword", UID, "a@b.c", hook_id="h", moment=NOW), ["ResetPassword"]
    )
    assert found.resolved
    assert found.status == "ResetPassword"
    assert found.user == {"id": UID}
    assert found.ticket_id == "h:2026-01-01T00:00:00.000Z"
    assert found.connection is None  # the source's default_connection
    assert found.requested_by == "loginradius:ResetPassword"
    assert not extract(KIND.preset, loginradius_event("Login", UID, "a@b.c"), ["ResetPassword"]).resolved


def test_uid_nested_under_profile_is_found_too():
    payload = {"HookName": "ResetPassword", "Time": "t", "HookId": "h", "Data": {"Profile": {"Uid": UID}}}
    assert extract(KIND.preset, payload, ["ResetPassword"]).user == {"id": UID}


def test_email_instead_of_uid_is_a_mapping_override():
    fields = KIND.preset.with_overrides({"user": "{email: Data.Email[?Type=='Primary'].Value | [0]}"})
    assert extract(fields, loginradius_event("ResetPassword", UID, "ann@example.com")).user == {
        "email": "ann@example.com"
    }


@pytest.mark.parametrize("missing", ["HookId", "Time", "HookName"])
def test_missing_fields_are_named(missing):
    payload = loginradius_event("ResetPassword", UID, "a@b.c")
    del payload[missing]
    with pytest.raises(MappingError, match="ticket_id" if missing != "HookName" else "status"):
        extract(KIND.preset, payload, ["ResetPassword"])


@given(
    raw=st.binary(max_size=256),
    headers=st.dictionaries(st.sampled_from(["signature", "content-type", "x"]), st.text(max_size=80), max_size=3),
    secrets=st.lists(st.text(max_size=20), max_size=3),
    received_at=st.floats(allow_nan=True, allow_infinity=True),
)
def test_arbitrary_requests_are_refused_or_authenticated_never_crash(raw, headers, secrets, received_at):
    try:
        found = KIND.authenticate(Delivery("lr", headers, raw, received_at), secrets)
    except Unauthorized:
        return
    assert found is None or isinstance(found, str)


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(["HookName", "Time", "HookId", "Data", "Uid", "Profile", "Email"]), children, max_size=4
            )
        ),
        max_leaves=12,
    ),
    statuses=st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=2)),
)
def test_arbitrary_payloads_map_or_raise_mapping_error(payload, statuses):
    for item in KIND.items(payload):
        with contextlib.suppress(MappingError):
            extract(KIND.preset, item, statuses)


@given(
    payload=st.dictionaries(
        st.sampled_from(["HookName", "Time", "HookId", "Data"]),
        st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none()),
        max_size=4,
    ),
    age=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_signed_arbitrary_bodies_are_refused_or_authenticated(payload, age):
    raw = encode(payload)
    found, refusal = None, ""
    try:
        found = KIND.authenticate(delivery(raw, received_at=NOW + age), [LOGINRADIUS_WEBHOOK_SECRET])
    except Unauthorized as exc:
        refusal = str(exc)
    assert refusal == "" or refusal.startswith("Time is")  # the signature is genuine: only Time can fail
    assert found is None or isinstance(found, str)
