"""Every bad request gets a clear 4xx, puts nothing on the bus and unlocks nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from account_unlock.sources.standard_webhooks import StandardWebhooks
from account_unlock.webhook import handle_webhook
from local.identity_senders import (
    GIGYA_SOURCE,
    LOGINRADIUS_SOURCE,
    PINGONE_SOURCE,
    gigya_jwt_headers,
    loginradius_event,
    loginradius_headers,
    pingone_headers,
)
from local.identity_senders import configure_sources as configure_identity_sources
from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, ticket_body
from local.signing import encode, standard_webhook_headers
from tests.integration.helpers import outcomes, pending_unlock_events, post_webhook, unique

pytestmark = pytest.mark.integration

OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()


@pytest.fixture
def locked_user(env):
    return env.pingone.add_user(unique("victim"), "victim@example.com")


def assert_nothing_happened(env, user):
    assert pending_unlock_events(env) == []
    assert outcomes(env) == []
    assert user.account_locked
    assert env.pingone.requests == []


def test_tampered_body_is_401(env, locked_user):
    raw = encode(ticket_body(unique("INC"), {"username": "someone-else"}))
    headers = standard_webhook_headers(WEBHOOK_SECRET, raw)
    tampered = raw.replace(b"someone-else", locked_user.username.encode())

    status, body = post_webhook(env, tampered, headers=headers)

    assert (status, body) == (401, {"error": "signature verification failed"})
    assert_nothing_happened(env, locked_user)


def test_wrong_secret_is_401(env, locked_user):
    status, _ = post_webhook(env, ticket_body(unique("INC"), {"username": locked_user.username}), secret=OTHER_SECRET)
    assert status == 401
    assert_nothing_happened(env, locked_user)


@pytest.mark.parametrize("offset", [-310, 310, -3600])
def test_timestamp_outside_five_minutes_is_401(env, locked_user, offset):
    import time

    status, body = post_webhook(
        env, ticket_body(unique("INC"), {"username": locked_user.username}), timestamp=int(time.time()) + offset
    )
    assert status == 401
    assert "timestamp" in body["error"]
    assert_nothing_happened(env, locked_user)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_signature_header_is_401(env, locked_user, missing):
    raw = encode(ticket_body(unique("INC"), {"username": locked_user.username}))
    headers = {k: v for k, v in standard_webhook_headers(WEBHOOK_SECRET, raw).items() if k != missing}
    status, body = post_webhook(env, raw, headers=headers)
    assert (status, body) == (401, {"error": f"missing header {missing}"})
    assert_nothing_happened(env, locked_user)


def test_auth_failures_are_counted_by_source(env, locked_user):
    post_webhook(env, ticket_body(unique("INC"), {"username": locked_user.username}), secret=OTHER_SECRET)
    metrics = [r for r in env.stack.output.records() if "WebhookAuthFailures" in r]
    assert metrics
    assert metrics[-1]["source"] == HELPDESK_SOURCE


@pytest.mark.parametrize("source", ["no-such-source", "..%2F..%2Fconnections%2Fpingone-workforce", "a" * 80])
def test_unknown_source_is_404(env, locked_user, source):
    status, body = post_webhook(env, ticket_body(unique("INC"), {"username": locked_user.username}), source=source)
    assert (status, body) == (404, {"error": "unknown source"})
    assert_nothing_happened(env, locked_user)


def test_body_over_256_kib_is_413(env, locked_user):
    assert StandardWebhooks.max_body_bytes == 256 * 1024
    body = ticket_body(unique("INC"), {"username": locked_user.username}) | {"padding": "x" * 256 * 1024}
    status, answer = post_webhook(env, body)
    assert status == 413
    assert "262144" in answer["error"]
    assert_nothing_happened(env, locked_user)


DEEP = 5000  # past Python's recursion limit (1,000): about 10 KB of JSON
DEEP_BODIES = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "a field": b'{"HookName": "ResetPassword", "HookId": "h", "Time": "t", "Data": ' + b"[" * DEEP + b"]" * DEEP + b"}",
}


def gigya_signed(raw: bytes) -> dict[str, str]:
    # The signing helper reads the body's nonce with json, which a too-deep body defeats: no nonce then.
    with mock.patch("local.signing.json.loads", side_effect=ValueError):
        return gigya_jwt_headers(raw)


def identity_senders() -> dict[str, tuple[str, Callable[[bytes], dict[str, str]]]]:
    """Every identity-event kind: its sample source and how it signs a body."""
    return {
        "loginradius-webhook": (LOGINRADIUS_SOURCE, loginradius_headers),
        "gigya-webhook": (GIGYA_SOURCE, gigya_signed),
        "pingone-subscription": (PINGONE_SOURCE, lambda _: pingone_headers()),
        "standard-webhooks": (HELPDESK_SOURCE, lambda raw: standard_webhook_headers(WEBHOOK_SECRET, raw)),
    }


@pytest.mark.parametrize("body", DEEP_BODIES)
@pytest.mark.parametrize("kind", identity_senders())
def test_a_signed_body_nested_too_deeply_is_400(env, locked_user, kind, body):
    configure_identity_sources(env)
    source, sign = identity_senders()[kind]
    raw = DEEP_BODIES[body]
    status, answer = post_webhook(env, raw, source=source, headers=sign(raw))
    assert (status, answer) == (400, {"error": "body is nested too deeply"})
    assert_nothing_happened(env, locked_user)


@pytest.mark.parametrize("depth", [850, 900, 950, 990])
def test_a_field_nested_just_within_the_parsers_reach_is_400(env, locked_user, depth):
    """Parsed, but deep enough for a mapping function (``to_string(HookId)``) to exhaust the stack."""
    configure_identity_sources(env)
    event = loginradius_event("ResetPassword", "uid-1", "deep@example.com", hook_id="DEEP")
    raw = encode(event).replace(b'"DEEP"', b"[" * depth + b"]" * depth)
    status, answer = post_webhook(env, raw, source=LOGINRADIUS_SOURCE, headers=loginradius_headers(raw))
    assert status == 400, answer
    assert_nothing_happened(env, locked_user)


def test_a_jwt_nested_too_deeply_is_401(env, locked_user):
    """PyJWT refuses a header nested too deeply itself (DecodeError): a guard, not a fix."""
    configure_identity_sources(env)
    deep = base64.urlsafe_b64encode(b"[" * DEEP + b"]" * DEEP).rstrip(b"=").decode()
    raw = encode({"events": [], "nonce": "n", "timestamp": 0})
    status, answer = post_webhook(env, raw, source=GIGYA_SOURCE, headers={"X-Gigya-Sig-JWT": f"{deep}.{deep}.sig"})
    assert status == 401, answer
    assert_nothing_happened(env, locked_user)


def test_signed_non_json_is_400(env, locked_user):
    status, body = post_webhook(env, b"ticket=1&user=jdoe")
    assert (status, body) == (400, {"error": "body is not valid JSON"})
    assert_nothing_happened(env, locked_user)


@pytest.mark.parametrize(
    ("remove", "field"),
    [("ticket.id", "ticket_id"), ("ticket.status", "status"), ("user", "user"), ("connection", "connection")],
)
def test_missing_field_is_400_naming_it(env, locked_user, remove, field):
    body = ticket_body(unique("INC"), {"username": locked_user.username})
    parent, _, key = remove.rpartition(".")
    del (body[parent] if parent else body)[key]
    status, answer = post_webhook(env, body)
    assert status == 400
    assert field in answer["error"]
    assert_nothing_happened(env, locked_user)


def test_two_user_identifiers_is_400(env, locked_user):
    body = ticket_body(unique("INC"), {"username": locked_user.username, "email": "x@example.com"})
    status, answer = post_webhook(env, body)
    assert status == 400
    assert "user" in answer["error"]
    assert_nothing_happened(env, locked_user)


def test_connection_not_allowed_for_source_is_400(env, locked_user):
    status, answer = post_webhook(
        env, ticket_body(unique("INC"), {"username": locked_user.username}, connection="admin-tenant")
    )
    assert status == 400
    assert "not allowed" in answer["error"]
    assert_nothing_happened(env, locked_user)


def test_unresolved_ticket_is_ignored(env, locked_user):
    status, answer = post_webhook(env, ticket_body("INC-OPEN", {"username": locked_user.username}, status="open"))
    assert status == 200
    assert answer["status"] == "ignored"
    assert_nothing_happened(env, locked_user)


def test_misconfigured_source_fails_closed(env, locked_user):
    env.put_secret("source", "no-secrets", {"kind": "standard-webhooks", "secrets": [], "connections": ["x"]})
    status, _ = post_webhook(env, ticket_body(unique("INC"), {"username": locked_user.username}), source="no-secrets")
    assert status == 404
    assert_nothing_happened(env, locked_user)


def test_base64_encoded_body_from_api_gateway_is_verified_on_raw_bytes(env, locked_user):
    raw = encode(ticket_body(unique("INC"), {"username": locked_user.username}))
    event = {
        "resource": "/webhooks/{source}",
        "path": f"/webhooks/{HELPDESK_SOURCE}",
        "httpMethod": "POST",
        "headers": standard_webhook_headers(WEBHOOK_SECRET, raw),
        "pathParameters": {"source": HELPDESK_SOURCE},
        "requestContext": {"requestId": "r", "stage": "v1", "resourcePath": "/webhooks/{source}", "httpMethod": "POST"},
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
    }
    result = env.stack.invoke("WebhookFunction", event)
    assert result["statusCode"] == 202
    [event] = outcomes(env)
    assert event["detail-type"] == "Account Unlocked"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=512),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
            ),
            max_leaves=10,
        ).map(lambda value: json.dumps(value).encode()),
    ),
    sign=st.booleans(),
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x"]), st.text(max_size=40), max_size=4
    ),
)
def test_arbitrary_requests_never_5xx_and_never_publish(env, body, sign, headers):
    sent = standard_webhook_headers(WEBHOOK_SECRET, body) if sign else headers
    answer = handle_webhook(HELPDESK_SOURCE, sent, body)
    assert 200 <= answer.status < 500
    assert answer.status != 202
    assert pending_unlock_events(env) == []
