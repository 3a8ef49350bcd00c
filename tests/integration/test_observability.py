"""What the functions print: structured logs with a correlation id, EMF metrics, and never a secret."""

from __future__ import annotations

import pytest

from local.samples import (
    GIGYA_SECRET,
    LOGINRADIUS_API_SECRET,
    PINGONE_CLIENT_SECRET,
    SAILPOINT_CLIENT_SECRET,
    WEBHOOK_SECRET,
    ticket_body,
)
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration


def test_no_secret_or_token_is_ever_printed(env):
    user = env.pingone.add_user(unique("leak"), "leak@example.com", password_locked=True)
    env.pingone.revoke_tokens()  # force a token fetch and a refresh in this test
    post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    post_webhook(env, ticket_body(unique("INC"), {"username": user.username}), secret="whsec_d3Jvbmc=")
    outcomes(env)
    issued = list(env.pingone.tokens)

    printed = env.stack.output.getvalue()
    assert printed  # the functions did log
    for secret in [
        WEBHOOK_SECRET,
        WEBHOOK_SECRET.removeprefix("whsec_"),
        PINGONE_CLIENT_SECRET,
        LOGINRADIUS_API_SECRET,
        SAILPOINT_CLIENT_SECRET,
        GIGYA_SECRET,
        *issued,
    ]:
        assert secret not in printed


def test_logs_are_json_with_the_request_id_as_correlation_id(env):
    user = env.pingone.add_user(unique("corr"), "corr@example.com")
    _, answer = post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    outcomes(env)

    unlock_logs = [r for r in env.stack.output.records() if r.get("message") == "unlock outcome"]
    assert unlock_logs[-1]["correlation_id"] == answer["request_id"]
    assert unlock_logs[-1]["service"] == "account-unlock"


def test_emf_metrics_by_vendor(env):
    user = env.pingone.add_user(unique("metric"), "metric@example.com")
    post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))
    post_webhook(env, ticket_body(unique("INC"), {"username": "missing-" + unique("u")}))
    outcomes(env)

    emf = [r for r in env.stack.output.records() if "_aws" in r]
    succeeded = [r for r in emf if "UnlockSucceeded" in r]
    assert succeeded[-1]["vendor"] == "pingone"
    assert "VendorLatency" in succeeded[-1]
    by_reason = [r for r in emf if "UnlockFailedByReason" in r]
    assert by_reason[-1]["reason"] == "user_not_found"
    assert by_reason[-1]["source"] == "helpdesk"
    assert all(r["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "AccountUnlock" for r in emf)
