"""Auth0 through the local stack: signed ticket or log-stream event → bus → unlock function → simulator.

Expected values come from Auth0's pages: "Unblock a user" / "Unblock by identifier"
(https://auth0.com/docs/api/management/v2/user-blocks/delete-user-blocks-by-id), "Rate Limit Policy"
(https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy) and
"Create Custom Log Streams Using Webhooks" (https://auth0.com/docs/customize/log-streams/custom-log-streams).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.auth0_senders import AUTH0_SOURCE, auth0_headers, configure_auth0_source
from local.samples import AUTH0_CONNECTION, ticket_body, unlock_requested
from local.signing import encode
from local.simulators.auth0 import Auth0User, error, rate_limit_headers
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration


def blocked_user(env, **state: Any) -> Auth0User:
    """An Auth0 user whose e-mail brute-force protection blocked."""
    name = unique("a0")
    user = env.auth0.add_user(f"{name}@example.com", name, **state)
    env.auth0.fail_sign_ins(user)
    return user


def removals(env) -> list[Any]:
    return env.auth0.calls("DELETE", "^/api/v2/user-blocks")


def one_outcome(env) -> dict[str, Any]:
    [event] = outcomes(env)
    return event


def test_a_resolved_ticket_removes_the_brute_force_block(env):
    user = blocked_user(env)

    status, _ = post_webhook(env, ticket_body(unique("INC"), {"email": user.email}, connection=AUTH0_CONNECTION))
    event = one_outcome(env)

    assert status == 202
    assert event["detail-type"] == "Account Unlocked"
    assert (event["detail"]["vendor"], event["detail"]["vendor_reference"]) == ("auth0", user.user_id)
    assert event["detail"]["actions"] == ["user_blocks.delete"]
    assert [r.query for r in removals(env)] == [{"identifier": [user.email]}]
    assert user.can_sign_in


def test_a_user_with_no_block_is_already_unlocked_with_no_write(env):
    user = env.auth0.add_user(f"{unique('a0')}@example.com")

    env.stack.put_event("Unlock Requested", unlock_requested({"id": user.user_id}, connection=AUTH0_CONNECTION))
    event = one_outcome(env)

    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["reason"] == "already_unlocked"
    assert event["detail"]["actions"] == []
    assert removals(env) == []


def test_an_unknown_user_is_a_permanent_failure_not_retried(env):
    post_webhook(env, ticket_body(unique("INC"), {"email": "ghost@example.com"}, connection=AUTH0_CONNECTION))
    event = one_outcome(env)

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "user_not_found"
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1
    assert env.stack.drain("UnlockDeadLetterQueue") == []


def test_a_rate_limited_removal_waits_for_the_reset_and_writes_once(env):
    user = blocked_user(env)
    limited = error(429, "Too Many Requests", "Global limit has been reached", "too_many_requests").body
    env.auth0.fail(429, limited, headers=rate_limit_headers(remaining=0, reset_in=1), method="DELETE")

    env.stack.put_event("Unlock Requested", unlock_requested({"id": user.user_id}, connection=AUTH0_CONNECTION))
    event = one_outcome(env)

    assert event["detail-type"] == "Account Unlocked"
    assert [r.status for r in removals(env)] == [429, 204]
    assert env.auth0.writes[("user_blocks.delete", user.user_id)] == 1
    assert user.can_sign_in


def test_the_same_request_again_after_success_sends_no_second_write(env):
    user = blocked_user(env)
    detail = unlock_requested({"id": user.user_id}, connection=AUTH0_CONNECTION)

    env.stack.put_event("Unlock Requested", detail)
    first = one_outcome(env)
    env.auth0.fail_sign_ins(user)  # blocked again: the stored outcome answers, Auth0 is not called
    env.stack.put_event("Unlock Requested", detail)
    outcomes(env)

    assert first["detail"]["actions"] == ["user_blocks.delete"]
    assert len(removals(env)) == 1
    assert env.auth0.writes[("user_blocks.delete", user.user_id)] == 1


def test_a_protected_connection_refuses_after_the_look_up_with_no_write(env):
    user = blocked_user(env, connection="Employees-DB")
    name = unique("auth0-policy")
    env.put_secret(
        "connection",
        name,
        env.auth0_connection(policy={"protected": {"attributes": {"connection": ["employees-*"]}}}),
    )

    env.stack.put_event("Unlock Requested", unlock_requested({"email": user.email}, connection=name))
    event = one_outcome(env)

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "protected_account"
    assert env.auth0.calls("GET", "/users-by-email$")
    assert removals(env) == []
    assert not user.can_sign_in


def test_an_admin_block_is_refused_unless_the_connection_lifts_them(env):
    user = blocked_user(env, blocked=True)
    lifting = unique("auth0-lift")
    env.put_secret("connection", lifting, env.auth0_connection(lift_admin_blocks=True))

    env.stack.put_event("Unlock Requested", unlock_requested({"id": user.user_id}, connection=AUTH0_CONNECTION))
    refused = one_outcome(env)
    env.stack.put_event("Unlock Requested", unlock_requested({"id": user.user_id}, connection=lifting))
    lifted = one_outcome(env)

    assert (refused["detail-type"], refused["detail"]["reason"]) == ("Unlock Failed", "account_blocked")
    assert lifted["detail"]["actions"] == ["user_blocks.delete", "user.unblock"]
    assert [r.json() for r in env.auth0.calls("PATCH")] == [{"blocked": False}]
    assert user.can_sign_in


def test_the_users_own_lockout_event_unlocks_once_however_often_it_is_sent(env):
    configure_auth0_source(env)
    user = env.auth0.add_user(f"{unique('a0')}@example.com")
    log = env.auth0.fail_sign_ins(user)
    raw = encode([log])

    status, answer = post_webhook(env, raw, source=AUTH0_SOURCE, headers=auth0_headers())
    event = one_outcome(env)
    again, _ = post_webhook(
        env, encode([log, env.auth0.logs[-1] | {"log_id": "other"}]), source=AUTH0_SOURCE, headers=auth0_headers()
    )
    outcomes(env)

    assert status == again == 200
    assert answer["status"] == "accepted"
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["origin"]["ticket_id"] == log["log_id"]
    assert env.auth0.writes[("user_blocks.delete", user.user_id)] == 1
    assert user.can_sign_in


@pytest.mark.parametrize("authorization", [None, "Bearer guessed"])
def test_a_log_stream_request_without_the_token_is_refused_with_no_event(env, authorization):
    configure_auth0_source(env)
    user = blocked_user(env)
    headers = {"Content-Type": "application/json"} | ({"Authorization": authorization} if authorization else {})

    status, answer = post_webhook(env, encode(env.auth0.logs[-1:]), source=AUTH0_SOURCE, headers=headers)

    assert status == 401
    assert json.dumps(answer)
    assert outcomes(env) == []
    assert not user.can_sign_in
