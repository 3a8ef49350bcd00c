"""A stored delivery answers only for the same body: a known delivery id with another body is processed.

Zendesk, Jira and GitHub-style senders do not sign their delivery-id header, and LoginRadius's
``HookId:Time`` can name two events: keying the delivery record on the id alone let a replayed
capture under a predicted id swallow the genuine delivery that later came with that id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from local.identity_senders import LOGINRADIUS_SOURCE, loginradius_event, loginradius_headers
from local.identity_senders import configure_sources as configure_identity_sources
from local.samples import LocalEnvironment, ticket_body
from local.senders import (
    GITHUB_SECRET,
    GITHUB_SOURCE,
    JIRA_SECRET,
    JIRA_SOURCE,
    ZENDESK_SECRET,
    ZENDESK_SOURCE,
    github_headers,
    jira_headers,
    jira_issue_updated,
    zendesk_body,
    zendesk_headers,
)
from local.senders import configure_sources as configure_ticketing_sources
from local.signing import encode
from tests.integration.helpers import outcomes, pending_unlock_events, unique

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def sources(local_env: LocalEnvironment) -> None:
    configure_ticketing_sources(local_env)
    configure_identity_sources(local_env)


def post(env: LocalEnvironment, source: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    status, _, payload = env.stack.api_request("POST", f"/webhooks/{source}", headers, body)
    return status, json.loads(payload)


@dataclass(frozen=True)
class Sender:
    source: str
    delivery_header: str
    user: Callable[[LocalEnvironment], Any]  # a locked user at the vendor the source targets
    body: Callable[[Any], bytes]  # a resolved ticket for that user
    sign: Callable[[bytes, str], dict[str, str]]  # headers for a body and a delivery id

    def locked(self, user: Any) -> bool:
        return bool(getattr(user, "account_locked", getattr(user, "locked", False)))


def pingone_user(env: LocalEnvironment) -> Any:
    return env.pingone.add_user(unique("dd"), f"{unique('dd')}@example.com", account_locked=True)


SENDERS = {
    "zendesk": Sender(
        ZENDESK_SOURCE,
        "X-Zendesk-Webhook-Invocation-Id",
        pingone_user,
        lambda user: encode(zendesk_body(unique("ZD"), user.email)),
        lambda body, delivery: zendesk_headers(ZENDESK_SECRET, body, invocation_id=delivery),
    ),
    "jira": Sender(
        JIRA_SOURCE,
        "X-Atlassian-Webhook-Identifier",
        lambda env: env.loginradius.add_user(f"{unique('dd')}@example.com", unique("dd"), locked=True),
        lambda user: encode(jira_issue_updated(unique("HELP"), user.email)),
        lambda body, delivery: jira_headers(JIRA_SECRET, body, identifier=delivery),
    ),
    "github-hmac": Sender(
        GITHUB_SOURCE,
        "X-GitHub-Delivery",
        pingone_user,
        lambda user: encode(ticket_body(unique("INC"), {"username": user.username})),
        lambda body, delivery: github_headers(GITHUB_SECRET, body, delivery=delivery),
    ),
}


@pytest.mark.parametrize("kind", SENDERS)
def test_a_capture_replayed_under_a_predicted_id_does_not_swallow_the_genuine_delivery(env, kind):
    sender = SENDERS[kind]
    first_user, later_user = sender.user(env), sender.user(env)
    captured = sender.body(first_user)
    post(env, sender.source, captured, sender.sign(captured, unique("d")))
    outcomes(env)
    predicted = unique("next")

    # The capture again, its signature untouched (it covers the body only), under the next id.
    replayed = sender.sign(captured, unique("d")) | {sender.delivery_header: predicted}
    status, _ = post(env, sender.source, captured, replayed)
    assert status == 202
    assert outcomes(env) == []  # the business key: the first unlock's stored outcome, nothing new

    genuine = sender.body(later_user)
    status, answer = post(env, sender.source, genuine, sender.sign(genuine, predicted))

    assert status == 202, answer
    [event] = outcomes(env)
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["request_id"] == answer["request_id"]
    assert not sender.locked(later_user)


@pytest.mark.parametrize("kind", SENDERS)
def test_the_same_delivery_again_is_the_stored_answer_and_no_event(env, kind):
    sender = SENDERS[kind]
    body = sender.body(sender.user(env))
    delivery = unique("d")

    first = post(env, sender.source, body, sender.sign(body, delivery))
    assert len(pending_unlock_events(env)) == 1
    again = post(env, sender.source, body, sender.sign(body, delivery))

    assert again == first
    assert again[0] == 202
    assert pending_unlock_events(env) == []


def test_two_loginradius_events_with_the_same_hook_id_and_time_both_unlock(env):
    ann = env.loginradius.add_user(f"{unique('ann')}@example.com", unique("ann"), locked=True)
    bob = env.loginradius.add_user(f"{unique('bob')}@example.com", unique("bob"), locked=True)
    hook, moment = unique("hook"), time.time() - 60  # the same HookId and Time
    bodies = [
        encode(loginradius_event("ResetPassword", user.uid, user.email, hook_id=hook, moment=moment))
        for user in (ann, bob)
    ]

    answers = [post(env, LOGINRADIUS_SOURCE, raw, loginradius_headers(raw)) for raw in bodies]

    assert [status for status, _ in answers] == [202, 202]
    assert answers[0][1]["request_id"] != answers[1][1]["request_id"]
    assert {e["detail"]["user"]["id"] for e in outcomes(env)} == {ann.uid, bob.uid}
    assert not ann.locked
    assert not bob.locked
