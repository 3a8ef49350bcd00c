"""The status look-ups (GET /unlocks…) after real unlocks, and re-sent tickets answered with their first request id.

Through the local stack: a signed webhook, the bus, the unlock function and the PingOne simulator;
the look-ups through the status function's AWS_IAM routes with a caller, as API Gateway passes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from account_unlock import audit
from local.aws_faults import server_error
from local.samples import HELPDESK_SOURCE, PINGONE_CONNECTION, LocalEnvironment, ticket_body
from local.senders import (
    FRESHSERVICE_SECRET,
    FRESHSERVICE_SOURCE,
    configure_sources,
    freshservice_body,
    freshservice_headers,
)
from local.signing import encode
from local.status_calls import status_request
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration

SUMMARY_FIELDS = {
    "request_id",
    "decision",
    "attempts",
    "writeback",
    "connection",
    "user",
    "origin",
    "requested_by",
    "first_seen",
    "last_seen",
}
# The webhook's business-key claim. A source without delivery ids (Freshservice) has no delivery
# record, so the claim is the hand-off's first PutItem.
CLAIM = "DynamoDB_20120810.PutItem"


@pytest.fixture
def status_env(env: LocalEnvironment) -> Iterator[LocalEnvironment]:
    env.stack.faults.clear()
    yield env
    env.stack.faults.clear()


def resolved_ticket(env: LocalEnvironment) -> tuple[Any, str, dict[str, Any]]:
    """A locked PingOne user, a ticket resolved for them and unlocked: (user, ticket id, 202 answer)."""
    user = env.pingone.add_user(unique("st"), f"{unique('st')}@example.com", account_locked=True)
    ticket = unique("INC")
    status, answer = post_webhook(env, ticket_body(ticket, {"username": user.username}))
    assert status == 202
    [outcome] = outcomes(env)
    assert outcome["detail"]["reason"] == "unlocked"
    return user, ticket, answer


def test_a_resolved_ticket_is_found_by_request_ticket_and_user_with_its_write_back(status_env):
    env = status_env
    user, ticket, answer = resolved_ticket(env)
    request_id = answer["request_id"]
    audit.put(
        request_id,
        {
            "status": {"S": "written_back"},
            "reason": {"S": "standard-webhooks"},
            "message": {"S": f"ticket {ticket}: internal comment added"},
            "writeback_reference": {"S": "note-17"},
            "ticket_key": {"S": audit.ticket_key(HELPDESK_SOURCE, ticket)},
            "user_key": {"S": audit.user_key(PINGONE_CONNECTION, "username", user.username)},
            "internal_note": {"S": "not for callers"},  # not an allow-listed field
        },
    )

    status, one = status_request(env.stack, f"/unlocks/{request_id}")
    assert status == 200
    assert set(one) == SUMMARY_FIELDS
    assert one["decision"]["status"] == "unlocked"
    assert one["decision"]["vendor"] == "pingone"
    assert one["decision"]["vendor_reference"] == user.id
    assert one["decision"]["actions"]
    assert [a["status"] for a in one["attempts"]] == ["unlocked"]
    [writeback] = one["writeback"]
    assert writeback["status"] == "written_back"
    assert writeback["writeback_reference"] == "note-17"
    assert set(writeback) == {"status", "reason", "message", "writeback_reference", "recorded_at"}
    assert one["user"] == {"username": user.username}
    assert one["origin"]["ticket_id"] == ticket
    assert one["first_seen"] <= one["last_seen"] == writeback["recorded_at"]
    assert "not for callers" not in str(one)

    status, found = status_request(env.stack, f"/unlocks?ticket={HELPDESK_SOURCE}:{quote(ticket)}")
    assert (status, found) == (200, {"requests": [one], "truncated": False})
    user_query = f"/unlocks?connection={PINGONE_CONNECTION}&user=username:{quote(user.username)}"
    assert status_request(env.stack, user_query) == (200, {"requests": [one], "truncated": False})


def test_the_newest_request_comes_first_and_every_attempt_is_listed(status_env):
    env = status_env
    user = env.pingone.add_user(unique("st"), f"{unique('st')}@example.com", account_locked=True)
    first_ticket, second_ticket = unique("INC"), unique("INC")
    for ticket in (first_ticket, second_ticket):
        status, _ = post_webhook(env, ticket_body(ticket, {"username": user.username}))
        assert status == 202
        outcomes(env)

    status, found = status_request(env.stack, f"/unlocks?connection={PINGONE_CONNECTION}&user=username:{user.username}")
    assert status == 200
    assert [r["origin"]["ticket_id"] for r in found["requests"]] == [second_ticket, first_ticket]
    assert [r["decision"]["reason"] for r in found["requests"]] == ["already_unlocked", "unlocked"]


def test_unknown_requests_are_404_and_tickets_or_users_with_nothing_are_an_empty_list(status_env):
    env = status_env
    assert status_request(env.stack, f"/unlocks/{unique('nothing')}") == (404, {"error": "unknown request"})
    empty = (200, {"requests": [], "truncated": False})
    assert status_request(env.stack, f"/unlocks?ticket={HELPDESK_SOURCE}:{unique('INC')}") == empty
    assert status_request(env.stack, f"/unlocks?connection={PINGONE_CONNECTION}&user=email:{unique('x')}") == empty


@pytest.mark.parametrize(
    "url",
    [
        "/unlocks",
        f"/unlocks?ticket={HELPDESK_SOURCE}:INC-1&user=username:jdoe",
        f"/unlocks?ticket={HELPDESK_SOURCE}:INC-1&connection={PINGONE_CONNECTION}",
        "/unlocks?ticket=INC-1",
        "/unlocks?ticket=bad%20system:INC-1",
        f"/unlocks?ticket={HELPDESK_SOURCE}:",
        f"/unlocks?ticket={HELPDESK_SOURCE}:INC%0A1",
        f"/unlocks?ticket={HELPDESK_SOURCE}:{'x' * 300}",
        f"/unlocks?ticket={HELPDESK_SOURCE}:INC-1&ticket={HELPDESK_SOURCE}:INC-2",
        f"/unlocks?connection={PINGONE_CONNECTION}&user=jdoe",
        f"/unlocks?connection={PINGONE_CONNECTION}&user=password:jdoe",
        f"/unlocks?connection={PINGONE_CONNECTION}&user=username:{'x' * 600}",
        "/unlocks?connection=../etc&user=username:jdoe",
        f"/unlocks?user=username:jdoe&connection={PINGONE_CONNECTION}&limit=5",
        f"/unlocks/{'x' * 300}",
    ],
)
def test_bad_look_ups_are_400_with_a_short_json_error(status_env, url):
    status, answer = status_request(status_env.stack, url)
    assert status == 400
    assert list(answer) == ["error"]
    assert len(answer["error"]) < 120


def test_a_request_without_a_sigv4_caller_is_refused(status_env):
    _, ticket, answer = resolved_ticket(status_env)
    refused = (403, {"error": "an IAM-signed request is required"})
    assert status_request(status_env.stack, f"/unlocks/{answer['request_id']}", identity=None) == refused
    assert status_request(status_env.stack, f"/unlocks?ticket={HELPDESK_SOURCE}:{ticket}", identity=None) == refused


def duplicate_metrics(env: LocalEnvironment) -> list[dict[str, Any]]:
    return [r for r in env.stack.output.records() if "WebhookDuplicateTickets" in r]


def test_a_ticket_re_sent_in_a_new_delivery_gets_its_first_request_id_and_unlocks_once(status_env):
    env = status_env
    user, ticket, first = resolved_ticket(env)
    counted = len(duplicate_metrics(env))

    status, again = post_webhook(env, ticket_body(ticket, {"username": user.username}))  # a new webhook-id

    assert status == 202
    assert again["request_ids"] == [first["request_id"]] == again["duplicates"]
    assert again["request_id"] == first["request_id"]
    assert outcomes(env) == []  # the unlock function returned the stored outcome
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1
    [metric] = duplicate_metrics(env)[counted:]
    assert metric["source"] == HELPDESK_SOURCE
    assert metric["WebhookDuplicateTickets"] == [1.0]
    status, one = status_request(env.stack, f"/unlocks/{first['request_id']}")
    assert [a["status"] for a in one["attempts"]] == ["unlocked"]


def test_a_failing_duplicate_check_answers_503_and_the_retry_is_one_unlock(status_env):
    env = status_env
    configure_sources(env)
    user = env.pingone.add_user(unique("st"), f"{unique('st')}@example.com", account_locked=True)
    body = encode(freshservice_body(unique("fs"), user.email, connection=PINGONE_CONNECTION))
    headers = freshservice_headers(FRESHSERVICE_SECRET)
    env.stack.faults.arm(CLAIM, server_error(times=3))  # every attempt botocore makes

    status, retry_headers, answer = env.stack.api_request("POST", f"/webhooks/{FRESHSERVICE_SOURCE}", headers, body)
    assert (status, json.loads(answer)) == (503, {"error": "temporarily unavailable, retry later"})
    assert retry_headers["Retry-After"] == "30"
    assert outcomes(env) == []

    status, _, answer = env.stack.api_request("POST", f"/webhooks/{FRESHSERVICE_SOURCE}", headers, body)
    accepted = json.loads(answer)
    assert status == 202
    assert "duplicates" not in accepted
    [outcome] = outcomes(env)
    assert outcome["detail"]["request_id"] == accepted["request_id"]
    assert not user.account_locked
