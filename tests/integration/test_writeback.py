"""Write-back through the local stack: a signed ticket → unlock → exactly one comment at its helpdesk simulator.

Each helpdesk source kind sends a resolved ticket the way it sends it (local/senders.py); the outcome
event goes from the bus to the write-back function, which comments on the ticket at the helpdesk
simulator. Comments are counted per ticket there, through retries and faults.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from local.samples import (
    CALLBACK_SIGNING_SECRET,
    FRESHSERVICE_API_KEY,
    JIRA_API_TOKEN,
    PINGONE_CONNECTION,
    SERVICENOW_API_PASSWORD,
    WEBHOOK_SECRET,
    ZENDESK_API_TOKEN,
    LocalEnvironment,
    ticket_body,
    unlock_requested,
)
from local.senders import (
    FRESHSERVICE_SECRET,
    FRESHSERVICE_SOURCE,
    GITHUB_SECRET,
    GITHUB_SOURCE,
    JIRA_AUTOMATION_SOURCE,
    JIRA_AUTOMATION_TOKEN,
    JIRA_SECRET,
    JIRA_SOURCE,
    SERVICENOW_SECRET,
    SERVICENOW_SOURCE,
    ZENDESK_SECRET,
    ZENDESK_SOURCE,
    configure_sources,
    freshservice_body,
    freshservice_headers,
    github_headers,
    jira_automation_body,
    jira_automation_headers,
    jira_headers,
    jira_issue_updated,
    servicenow_headers,
    servicenow_record,
    writeback_configs,
    zendesk_body,
    zendesk_headers,
)
from local.signing import encode, standard_webhook_headers
from local.simulators.tickets import TicketSimulator
from tests.integration.aws_refusals import refused
from tests.integration.helpers import audit_items, unique

pytestmark = pytest.mark.integration

CALLBACK_SOURCE = "helpdesk-callback"
SECRETS = (ZENDESK_API_TOKEN, JIRA_API_TOKEN, SERVICENOW_API_PASSWORD, FRESHSERVICE_API_KEY, CALLBACK_SIGNING_SECRET)


@pytest.fixture(scope="module", autouse=True)
def sources(local_env: LocalEnvironment) -> None:
    configure_sources(local_env)
    local_env.put_secret("source", CALLBACK_SOURCE, callback_source(local_env))


def callback_source(env: LocalEnvironment, **writeback: Any) -> dict[str, Any]:
    return {
        "kind": "standard-webhooks",
        "secrets": [WEBHOOK_SECRET],
        "connections": [PINGONE_CONNECTION],
        "writeback": writeback_configs(env)[GITHUB_SOURCE] | writeback,
    }


@dataclass
class Ticket:
    source: str
    ticket: str
    send: Callable[[], tuple[int, bytes]]
    helpdesk: TicketSimulator


def number() -> str:
    return str(random.randint(10_000, 99_999_999))


def ticket_for(env: LocalEnvironment, kind: str, email: str) -> Ticket:
    """A resolved ticket from ``kind`` asking to unlock the PingOne (Jira: LoginRadius) user ``email``."""

    def sender(source: str, body: bytes, headers: dict[str, str]) -> Callable[[], tuple[int, bytes]]:
        def send() -> tuple[int, bytes]:
            status, _, payload = env.stack.api_request("POST", f"/webhooks/{source}", headers, body)
            return status, payload

        return send

    if kind == "zendesk":
        ticket = number()
        body = encode(zendesk_body(ticket, email))
        return Ticket(
            ZENDESK_SOURCE, ticket, sender(ZENDESK_SOURCE, body, zendesk_headers(ZENDESK_SECRET, body)), env.zendesk
        )
    if kind == "jira":
        ticket = f"OPS-{number()}"
        body = encode(jira_issue_updated(ticket, email))
        return Ticket(JIRA_SOURCE, ticket, sender(JIRA_SOURCE, body, jira_headers(JIRA_SECRET, body)), env.jira)
    if kind == "jira-automation":
        ticket = f"HELP-{number()}"
        body = encode(jira_automation_body(ticket, {"email": email}, connection=PINGONE_CONNECTION))
        headers = jira_automation_headers(JIRA_AUTOMATION_TOKEN)
        return Ticket(JIRA_AUTOMATION_SOURCE, ticket, sender(JIRA_AUTOMATION_SOURCE, body, headers), env.jira)
    if kind == "servicenow":
        ticket = f"INC{number().zfill(8)}"
        body = encode(servicenow_record(ticket, email, "someone", connection=PINGONE_CONNECTION))
        headers = servicenow_headers(SERVICENOW_SECRET)
        return Ticket(SERVICENOW_SOURCE, ticket, sender(SERVICENOW_SOURCE, body, headers), env.servicenow)
    if kind == "freshservice":
        ticket = number()
        body = encode(freshservice_body(ticket, email, connection=PINGONE_CONNECTION))
        headers = freshservice_headers(FRESHSERVICE_SECRET)
        return Ticket(FRESHSERVICE_SOURCE, ticket, sender(FRESHSERVICE_SOURCE, body, headers), env.freshservice)
    ticket = unique("T")
    body = encode(ticket_body(ticket, {"email": email}))
    if kind == "github-hmac":
        return Ticket(
            GITHUB_SOURCE, ticket, sender(GITHUB_SOURCE, body, github_headers(GITHUB_SECRET, body)), env.callback
        )
    headers = standard_webhook_headers(WEBHOOK_SECRET, body)
    return Ticket(CALLBACK_SOURCE, ticket, sender(CALLBACK_SOURCE, body, headers), env.callback)


KINDS = ["zendesk", "jira", "jira-automation", "servicenow", "freshservice", "github-hmac", "standard-webhooks"]


def writebacks(env: LocalEnvironment) -> list[Any]:
    env.stack.dispatch()
    return env.stack.invocations_of("WriteBackFunction")


def comments(ticket: Ticket) -> list[dict[str, Any]]:
    return ticket.helpdesk.comments.get(ticket.ticket, [])


def text_of(comment: dict[str, Any]) -> str:
    return str(comment.get("body") or comment.get("payload", {}).get("data", {}).get("comment"))


def new_ticket(env: LocalEnvironment, kind: str, *, locked: bool = True) -> tuple[Ticket, Callable[[], bool]]:
    name = unique("wb")
    email = f"{name}@example.com"
    if kind == "jira":
        lr = env.loginradius.add_user(email, name, locked=True)
        can_sign_in: Callable[[], bool] = lambda: not lr.locked  # noqa: E731
    elif locked:
        p1 = env.pingone.add_user(name, email, account_locked=True)
        can_sign_in = lambda: not p1.account_locked  # noqa: E731
    else:
        can_sign_in = lambda: False  # noqa: E731  # no such user at PingOne
    return ticket_for(env, kind, email), can_sign_in


@pytest.mark.parametrize("kind", KINDS)
def test_a_resolved_ticket_gets_exactly_one_comment_with_its_outcome(env, kind):
    ticket, can_sign_in = new_ticket(env, kind)

    status, _ = ticket.send()
    [invocation] = writebacks(env)

    assert status in (200, 202)
    assert can_sign_in()
    assert invocation.result["status"] == "written_back", invocation.result
    [comment] = comments(ticket)
    assert "Account unlocked" in text_of(comment)
    [item] = [
        i for i in audit_items(env, invocation.event["detail"]["request_id"]) if i["status"]["S"] == "written_back"
    ]
    assert item["ticket_key"]["S"] == f"{ticket.source}:{ticket.ticket}"
    assert item["user_key"]["S"].startswith(f"{invocation.event['detail']['connection']}#email:")


@pytest.mark.parametrize("kind", ["zendesk", "servicenow", "standard-webhooks"])
def test_a_failed_unlock_gets_its_comment(env, kind):
    ticket, _ = new_ticket(env, kind, locked=False)

    ticket.send()
    [invocation] = writebacks(env)

    assert invocation.event["detail-type"] == "Unlock Failed"
    [comment] = comments(ticket)
    assert "Unlock failed (user_not_found)" in text_of(comment)


def test_a_redelivered_outcome_event_posts_nothing_more(env):
    ticket, _ = new_ticket(env, "zendesk")
    ticket.send()
    [first] = writebacks(env)

    again = env.stack.invoke_async("WriteBackFunction", first.event)

    assert again.result == first.result
    assert len(comments(ticket)) == 1


def test_429_with_retry_after_then_success_is_one_comment(env):
    ticket, _ = new_ticket(env, "freshservice")
    env.freshservice.fail(429, {"message": "rate limited"}, headers={"Retry-After": "1"}, path="/notes$")

    ticket.send()
    [invocation] = writebacks(env)

    assert invocation.attempts == 1
    assert [c.status for c in env.freshservice.calls("POST")] == [429, 201]
    assert len(comments(ticket)) == 1


def test_500_until_the_retries_run_out_ends_in_the_dead_letter_queue_with_nothing_posted(env):
    ticket, _ = new_ticket(env, "jira")
    env.jira.fail(500, {"errorMessages": ["Internal server error"]}, path="/comment$", times=100)

    ticket.send()
    [invocation] = writebacks(env)

    assert invocation.attempts == 3  # the first and Lambda's two retries; a 500 is not retried in-process
    assert len(env.jira.calls("POST")) == 3
    assert comments(ticket) == []
    [record] = env.stack.drain("WriteBackDeadLetterQueue")
    assert record["requestPayload"]["detail"]["origin"]["ticket_id"] == ticket.ticket
    env.jira.faults.clear()
    redriven = env.stack.invoke_async("WriteBackFunction", record["requestPayload"])
    assert redriven.result["status"] == "written_back"
    assert len(comments(ticket)) == 1


def test_a_lambda_retry_after_the_comment_was_posted_posts_nothing_more(env):
    ticket, _ = new_ticket(env, "servicenow")
    written_back = lambda params: params.get("Item", {}).get("status", {}).get("S") == "written_back"  # noqa: E731

    with refused("dynamodb", "PutItem", written_back) as refusals:
        ticket.send()
        [invocation] = writebacks(env)

    assert len(refusals) == 1
    assert invocation.attempts == 2
    assert invocation.result["status"] == "written_back"
    assert len(env.servicenow.calls("PATCH")) == 1
    assert len(comments(ticket)) == 1


def test_an_outcome_kind_turned_off_makes_no_call(env):
    env.put_secret("source", CALLBACK_SOURCE, callback_source(env, post_on={"unlocked": False}))
    try:
        ticket, _ = new_ticket(env, "standard-webhooks")
        ticket.send()
        [invocation] = writebacks(env)
    finally:
        env.put_secret("source", CALLBACK_SOURCE, callback_source(env))

    assert invocation.result == {"status": "skipped", "message": "writeback.post_on.unlocked is off"}
    assert env.callback.requests == []


@pytest.mark.parametrize(
    ("writeback", "field"),
    [
        ({"colour": "blue"}, "writeback.colour"),
        ({"templates": {"unlocked": "Hello $secret"}}, "writeback.templates.unlocked"),
        ({"url": "http://helpdesk.example.com/hooks"}, "writeback.url"),
        ({"credentials": {"signing_secret": "not-a-whsec"}}, "writeback.credentials.signing_secret"),
    ],
)
def test_an_invalid_writeback_fails_closed_naming_the_field(env, writeback, field):
    env.put_secret("source", CALLBACK_SOURCE, callback_source(env, **writeback))
    try:
        ticket, _ = new_ticket(env, "standard-webhooks")
        ticket.send()
        [invocation] = writebacks(env)
    finally:
        env.put_secret("source", CALLBACK_SOURCE, callback_source(env))

    assert invocation.result["status"] == "writeback_failed"
    assert field in invocation.result["message"]
    assert env.callback.requests == []
    [item] = [i for i in audit_items(env, invocation.event["detail"]["request_id"]) if "writeback" in i["status"]["S"]]
    assert field in item["message"]["S"]


def test_a_kind_without_writeback_fails_closed(env):
    env.put_secret(
        "source",
        "identity-with-writeback",
        {
            "kind": "loginradius-webhook",
            "secrets": ["x"],
            "connections": [PINGONE_CONNECTION],
            "writeback": {"url": "x"},
        },
    )
    detail = unlock_requested({"username": unique("nobody")}) | {
        "origin": {"system": "identity-with-writeback", "ticket_id": "1"}
    }
    env.stack.put_event("Unlock Requested", detail)

    [invocation] = writebacks(env)

    assert invocation.result["status"] == "writeback_failed"
    assert "field writeback is not supported for kind 'loginradius-webhook'" in invocation.result["message"]


def test_an_outcome_without_a_ticket_or_without_a_source_is_not_written_back(env):
    detail = unlock_requested({"username": unique("nobody")})  # origin.system identity-workflows: no source
    no_ticket = unlock_requested({"username": unique("nobody")}) | {"origin": {"system": ZENDESK_SOURCE}}
    env.stack.put_event("Unlock Requested", detail)
    env.stack.put_event("Unlock Requested", no_ticket)

    results = sorted(i.result["message"] for i in writebacks(env))

    assert results == ["no source to write back to (unknown_source)", "the outcome has no ticket"]
    assert all(helpdesk.requests == [] for helpdesk in env.helpdesks)


def test_no_secret_reaches_the_comments_or_the_logs(env):
    start = len(env.stack.output.getvalue())
    tickets = [new_ticket(env, kind)[0] for kind in KINDS]
    for ticket in tickets:
        ticket.send()
    writebacks(env)

    printed = env.stack.output.getvalue()[start:]
    bodies = [text_of(c) for t in tickets for c in comments(t)] + [
        r.body.decode() for h in env.helpdesks for r in h.requests
    ]
    assert len([c for t in tickets for c in comments(t)]) == len(KINDS)
    for secret in SECRETS:
        assert secret not in printed
        assert all(secret not in body for body in bodies)
