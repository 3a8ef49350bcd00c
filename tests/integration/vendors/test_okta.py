"""Okta through the local stack: a signed ticket or an Event Hook delivery → bus → unlock function → simulator.

Expected values come from Okta's pages: "User Lifecycle" (Unlock a user), "User" (List all users,
Retrieve a user), "Rate limit best practices" (``X-Rate-Limit-Reset``, no ``Retry-After``) and "Event
hooks" (https://developer.okta.com/use_cases/event_hooks). Writes are counted at the simulator.
"""

from __future__ import annotations

import json

import pytest

from local.okta_senders import (
    OKTA_SOURCE,
    configure_okta_source,
    okta_delivery,
    okta_event,
    okta_headers,
    okta_verification_headers,
)
from local.samples import OKTA_CONNECTION, ticket_body, unlock_requested
from local.signing import encode
from tests.integration.helpers import outcomes, pending_unlock_events, post_webhook, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def user(env):
    name = unique("jdoe")
    return env.okta.add_user(f"{name}@acme.example")


def writes(env, user) -> int:
    return env.okta.writes[("user.unlock", user.id)]


def ticket(env, user_ref: dict[str, str]) -> dict:
    status, _ = post_webhook(env, ticket_body(unique("INC"), user_ref, connection=OKTA_CONNECTION))
    assert status == 202
    [event] = outcomes(env)
    return event


def test_a_resolved_ticket_unlocks_the_okta_user(env, user):
    event = ticket(env, {"username": user.login})

    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["vendor"] == "okta"
    assert event["detail"]["vendor_reference"] == user.id
    assert event["detail"]["actions"] == ["user.unlock"]
    assert user.status == "ACTIVE"
    assert writes(env, user) == 1


def test_a_user_who_is_not_locked_out_is_already_unlocked_with_no_write(env, user):
    user.status = "ACTIVE"

    event = ticket(env, {"email": user.email})

    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["reason"] == "already_unlocked"
    assert env.okta.calls("POST", "/lifecycle/") == []


def test_an_unknown_user_is_a_permanent_failure(env):
    event = ticket(env, {"username": "ghost@acme.example"})

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "user_not_found"
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1


def test_rate_limited_then_the_window_resets_gives_one_write(env, user):
    env.okta.rate_limit(0, method="POST", path=f"/users/{user.id}/lifecycle/unlock$")

    event = ticket(env, {"id": user.id})

    assert event["detail-type"] == "Account Unlocked"
    assert [r.status for r in env.okta.calls("POST", "/lifecycle/")] == [429, 200]
    assert writes(env, user) == 1


def test_a_retry_after_okta_unlocked_writes_nothing_more(env, user):
    """Okta unlocks, then answers 500: Lambda's retry reads ACTIVE and sends no second unlock."""
    env.okta.fail(500, {"errorCode": "E0000009"}, method="POST", path="/lifecycle/unlock$", handled=True)

    env.stack.put_event("Unlock Requested", unlock_requested({"id": user.id}, connection=OKTA_CONNECTION))
    [event] = outcomes(env)

    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 2
    assert len(env.okta.calls("POST", "/lifecycle/")) == 1
    assert writes(env, user) == 1
    assert event["detail"]["reason"] == "already_unlocked"


def test_the_same_ticket_sent_again_is_not_a_second_write(env, user):
    body = ticket_body(unique("INC"), {"username": user.login}, connection=OKTA_CONNECTION)
    post_webhook(env, body)
    outcomes(env)
    user.status = "LOCKED_OUT"  # locked again meanwhile: the ticket is still the same request

    status, answer = post_webhook(env, body)
    outcomes(env)

    assert status == 202
    assert answer.get("duplicates")
    assert writes(env, user) == 1


@pytest.mark.parametrize(
    ("protected", "why"),
    [
        ({"usernames": ["*@acme.example"]}, "policy.protected.usernames"),
        ({"attributes": {"group_name": ["Okta Administrators"]}}, "policy.protected.attributes.group_name"),
    ],
)
def test_a_protected_account_is_refused_by_the_policy_with_no_write(env, user, protected, why):
    user.groups = [("00gadmins00000000001", "Okta Administrators")]
    name = unique("okta-policy")
    env.put_secret("connection", name, env.okta_connection(policy={"protected": protected}))

    env.stack.put_event("Unlock Requested", unlock_requested({"id": user.id}, connection=name))
    [event] = outcomes(env)

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "protected_account"
    assert why in event["detail"]["message"]
    assert user.locked
    assert env.okta.calls("POST", "/lifecycle/") == []


# the lockout event -------------------------------------------------------------------------------
@pytest.fixture
def okta_source(env):
    configure_okta_source(env)
    return OKTA_SOURCE


def deliver(env, source: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    status, _, payload = env.stack.api_request("POST", f"/webhooks/{source}", headers, raw)
    return status, json.loads(payload)


def test_the_lockout_event_unlocks_once_however_often_okta_sends_it(env, user, okta_source):
    env.okta.fail_sign_ins(user)
    raw = encode(okta_delivery(okta_event("user.account.lock", user.id, user.login)))

    status, answer = deliver(env, okta_source, raw, okta_headers())
    [event] = outcomes(env)
    again, _ = deliver(env, okta_source, raw, okta_headers())  # Okta's retry of the same delivery

    assert (status, again) == (200, 200)
    assert answer["status"] == "accepted"
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["origin"]["system"] == okta_source
    assert outcomes(env) == []
    assert writes(env, user) == 1
    assert user.status == "ACTIVE"


def test_an_event_type_that_is_not_opted_in_unlocks_nothing(env, user, okta_source):
    raw = encode(okta_delivery(okta_event("user.session.start", user.id, user.login)))

    status, answer = deliver(env, okta_source, raw, okta_headers())

    assert (status, answer["status"]) == (200, "ignored")
    assert outcomes(env) == []
    assert user.locked


def test_a_delivery_with_a_wrong_authentication_header_is_refused(env, user, okta_source):
    raw = encode(okta_delivery(okta_event("user.account.lock", user.id, user.login)))

    status, answer = deliver(env, okta_source, raw, okta_headers("guessed"))

    assert status == 401
    assert "verification failed" in answer["error"]
    assert outcomes(env) == []
    assert user.locked


# the one-time verification request ----------------------------------------------------------------
def verify(env, source: str, headers: dict[str, str]) -> tuple[int, dict]:
    status, _, payload = env.stack.api_request("GET", f"/webhooks/{source}", headers, b"")
    return status, json.loads(payload)


def test_the_verification_request_is_answered_with_its_challenge_and_puts_nothing_on_the_bus(env, okta_source):
    headers = okta_verification_headers()

    assert verify(env, okta_source, headers) == (200, {"verification": headers["X-Okta-Verification-Challenge"]})
    assert pending_unlock_events(env) == []


def test_a_verification_request_with_the_wrong_header_is_401_and_echoes_nothing(env, okta_source):
    headers = okta_verification_headers(secret="not-the-hook-secret")

    status, answer = verify(env, okta_source, headers)

    assert status == 401
    assert headers["X-Okta-Verification-Challenge"] not in json.dumps(answer)


@pytest.mark.parametrize("source", ["helpdesk", "no-such-source"])
def test_a_source_that_sends_no_verification_request_answers_404(env, source):
    status, answer = verify(env, source, okta_verification_headers())

    assert status == 404
    assert "verification" not in answer
