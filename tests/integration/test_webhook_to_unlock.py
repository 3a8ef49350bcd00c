"""Signed webhook → bus → unlock function → PingOne simulator, over real sockets."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from local.samples import PINGONE_CONNECTION, ticket_body, unlock_requested
from tests.integration.helpers import outcomes, pending_unlock_events, post_webhook, unique

pytestmark = pytest.mark.integration


def test_signed_webhook_unlocks_account_and_password(env):
    user = env.pingone.add_user(unique("jdoe"), "jdoe@example.com", account_locked=True, password_locked=True)
    ticket = unique("INC")

    status, body = post_webhook(env, ticket_body(ticket, {"username": user.username}))

    assert status == 202
    assert body["status"] == "accepted"
    [event] = outcomes(env)
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["request_id"] == body["request_id"]
    assert event["detail"]["vendor"] == "pingone"
    assert event["detail"]["vendor_reference"] == user.id
    assert event["detail"]["actions"] == ["password.unlock", "account.unlock"]
    assert event["detail"]["origin"]["ticket_id"] == ticket
    assert not user.account_locked
    assert not user.password_locked
    [unlock] = env.pingone.calls("POST", f"/users/{user.id}$")
    assert unlock.header("content-type") == "application/vnd.pingidentity.account.unlock+json"


def test_outcome_is_audited(env):
    user = env.pingone.add_user(unique("audit"), "audit@example.com")
    status, body = post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    assert status == 202
    outcomes(env)

    items = env.stack.client("dynamodb").query(
        TableName=env.stack.names["AuditTable"],
        KeyConditionExpression="request_id = :r",
        ExpressionAttributeValues={":r": {"S": body["request_id"]}},
    )["Items"]
    assert len(items) == 1
    assert items[0]["status"]["S"] == "unlocked"
    assert items[0]["requested_by"]["S"] == "agent@example.com"
    assert items[0]["user"]["M"] == {"username": {"S": user.username}}


def test_direct_eventbridge_unlock_requested(env):
    user = env.pingone.add_user(unique("asmith"), f"{unique('asmith')}@example.com")

    env.stack.put_event("Unlock Requested", unlock_requested({"email": user.email}))

    [event] = outcomes(env)
    assert event["detail-type"] == "Account Unlocked"
    assert not user.account_locked


def test_duplicate_delivery_unlocks_once(env):
    user = env.pingone.add_user(unique("dup"), "dup@example.com")
    body = ticket_body(unique("INC"), {"username": user.username})

    first = post_webhook(env, body, msg_id="msg_duplicate_" + user.id)
    second = post_webhook(env, body, msg_id="msg_duplicate_" + user.id)

    assert first[0] == second[0] == 202
    assert first[1]["request_id"] == second[1]["request_id"]
    published = outcomes(env)
    assert len(published) == 1
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1


def test_replayed_event_with_new_request_id_unlocks_once(env):
    """Same business key (origin system + ticket + connection + user), different request ids."""
    user = env.pingone.add_user(unique("replay"), "replay@example.com")
    detail = unlock_requested({"username": user.username}, workflow_run=unique("run"))

    env.stack.put_event("Unlock Requested", detail)
    env.stack.put_event("Unlock Requested", detail | {"request_id": "another-request-id"})
    outcomes(env)

    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1


def test_user_not_found_is_a_permanent_failure_without_retry(env):
    status, _ = post_webhook(env, ticket_body(unique("INC"), {"username": "nobody-" + unique("x")}))
    assert status == 202

    [event] = outcomes(env)
    [invocation] = env.stack.invocations_of("UnlockFunction")
    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "user_not_found"
    assert invocation.attempts == 1
    assert invocation.error is None
    assert env.stack.drain("UnlockDeadLetterQueue") == []
    assert len(env.pingone.calls("GET", "/users$")) == 1


def test_rate_limited_then_success_unlocks_once(env):
    user = env.pingone.add_user(unique("busy"), "busy@example.com")
    env.pingone.fail(
        429,
        {"id": "x", "code": "REQUEST_LIMITED", "message": "Too many requests"},
        headers={"Retry-After": "1"},
        path=f"/users/{user.id}$",
    )

    post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    [event] = outcomes(env)

    assert event["detail-type"] == "Account Unlocked"
    assert [c.status for c in env.pingone.calls("POST", f"/users/{user.id}$")] == [429, 200]
    assert env.stack.invocations_of("UnlockFunction")[0].attempts == 1


def test_token_is_reused_across_invocations(env):
    first = env.pingone.add_user(unique("t1"), "t1@example.com")
    second = env.pingone.add_user(unique("t2"), "t2@example.com")
    post_webhook(env, ticket_body(unique("INC"), {"username": first.username}))
    outcomes(env)
    env.pingone.clear()

    post_webhook(env, ticket_body(unique("INC"), {"username": second.username}))
    outcomes(env)

    assert not second.account_locked
    assert env.pingone.calls("POST", "/as/token$") == []


def test_revoked_token_is_refreshed_once(env):
    user = env.pingone.add_user(unique("rev"), "rev@example.com")
    env.pingone.revoke_tokens()

    post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    [event] = outcomes(env)

    assert event["detail-type"] == "Account Unlocked"
    assert len(env.pingone.calls("POST", "/as/token$")) == 1


def test_vendor_down_until_retries_run_out_goes_to_dead_letter_queue(env):
    user = env.pingone.add_user(unique("down"), "down@example.com")
    env.pingone.fail(
        503,
        {"id": "x", "code": "UNEXPECTED_ERROR", "message": "unavailable"},
        headers={"Retry-After": "0"},
        path="/users",
        times=1000,
    )

    post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    published = outcomes(env)
    env.pingone.clear()

    assert published == []
    [invocation] = env.stack.invocations_of("UnlockFunction")
    assert invocation.attempts == 3  # the first call and EventInvokeConfig's two retries
    assert "TransientError" in (invocation.error or "")
    [record] = env.stack.drain("UnlockDeadLetterQueue")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["detail"]["user"] == {"username": user.username}
    assert user.account_locked


def test_transient_failure_leaves_no_idempotency_record_so_a_later_retry_unlocks(env):
    user = env.pingone.add_user(unique("later"), "later@example.com")
    detail = unlock_requested({"username": user.username})
    env.pingone.fail(503, {"code": "UNEXPECTED_ERROR"}, headers={"Retry-After": "0"}, path="/users", times=1000)
    env.stack.put_event("Unlock Requested", detail)
    outcomes(env)
    env.pingone.clear()
    [record] = env.stack.drain("UnlockDeadLetterQueue")

    env.stack.put_event("Unlock Requested", record["requestPayload"]["detail"])  # redrive from the DLQ
    [event] = outcomes(env)

    assert event["detail-type"] == "Account Unlocked"
    assert not user.account_locked


def test_invalid_event_detail_is_recorded_as_failed_not_retried(env):
    env.stack.put_event(
        "Unlock Requested",
        {"request_id": "bad-1", "connection": PINGONE_CONNECTION, "user": {"username": "a", "email": "b@c.d"}},
    )
    [event] = outcomes(env)

    assert event["detail"]["reason"] == "invalid_request"
    assert "user" in event["detail"]["message"]
    assert env.pingone.requests == []


def test_unknown_connection_is_a_permanent_failure(env):
    env.stack.put_event("Unlock Requested", unlock_requested({"username": "x"}, connection="no-such-connection"))
    [event] = outcomes(env)

    assert event["detail"]["reason"] == "unknown_connection"
    assert env.stack.drain("UnlockDeadLetterQueue") == []


def test_malformed_connection_secret_names_the_field_not_the_value(env):
    env.put_secret(
        "connection",
        "broken-pingone",
        {"vendor": "pingone", "environment_id": "not-a-uuid", "client_id": "c", "client_secret": "s3cr3t-value"},
    )
    env.stack.put_event("Unlock Requested", unlock_requested({"username": "x"}, connection="broken-pingone"))
    [event] = outcomes(env)

    assert event["detail"]["reason"] == "config_invalid"
    assert "environment_id" in event["detail"]["message"]
    assert "not-a-uuid" not in json.dumps(event)
    assert "s3cr3t-value" not in json.dumps(event)
    assert pending_unlock_events(env) == []


@pytest.mark.parametrize("name", ["eventbridge-unlock-requested.json", "eventbridge-ticket-resolved.json"])
def test_ready_eventbridge_events_unlock_through_the_function(env, name):
    """The events/ files `sam local invoke UnlockFunction -e ...` uses do unlock once their ``time`` is now
    (as written, a week-old file is refused as stale: see the next test)."""
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / name).read_text())
    event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for existing in [u for u in env.pingone.users.values() if u.username == "jdoe" or u.email == "jdoe@example.com"]:
        del env.pingone.users[existing.id]
    user = env.pingone.add_user("jdoe", "jdoe@example.com")

    result = env.stack.invoke("UnlockFunction", event)

    assert result["status"] == "unlocked"
    assert result["request_id"] == event["detail"]["request_id"]
    assert not user.account_locked


def test_a_ready_eventbridge_event_as_written_is_refused_as_stale(env):
    """Its fixed ``time`` is older than the idempotency TTL: an unlock then could be a second one."""
    event = json.loads(
        (Path(__file__).resolve().parents[2] / "events" / "eventbridge-unlock-requested.json").read_text()
    )
    user = env.pingone.add_user(unique("stale"), "stale@example.com")
    event["detail"]["user"] = {"username": user.username}

    result = env.stack.invoke("UnlockFunction", event)

    assert (result["status"], result["reason"]) == ("failed", "stale_request")
    assert user.account_locked
    assert env.pingone.calls(path="/users") == []
