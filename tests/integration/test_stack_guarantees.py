"""What template.yaml promises, checked on the running local stack it builds."""

from __future__ import annotations

import pytest

from account_unlock.unlock import idempotency_config
from local.samples import ticket_body, unlock_requested
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration


def test_a_replay_never_outlasts_the_unlock_records(env):
    """Everything the archive can replay is still within the idempotency window (no second unlock)."""
    archive = env.stack.client("events").describe_archive(ArchiveName=env.stack.names["UnlockBusArchive"])

    assert archive["RetentionDays"] * 86400 <= idempotency_config.expires_after_seconds


def test_the_unlock_rule_ignores_sources_it_does_not_list(env):
    user = env.pingone.add_user(unique("src"), f"{unique('src')}@example.com", account_locked=True)

    env.stack.put_event("Unlock Requested", unlock_requested({"username": user.username}), source="someone.else")
    assert outcomes(env) == []
    assert user.account_locked

    env.stack.put_event("Unlock Requested", unlock_requested({"username": user.username}))  # a listed source
    [event] = outcomes(env)
    assert event["detail-type"] == "Account Unlocked"


def test_webhook_deliveries_are_recorded_apart_from_the_unlock_records(env):
    """The internet-facing function writes only its own table (its IAM policy allows no other)."""
    user = env.pingone.add_user(unique("dlv"), f"{unique('dlv')}@example.com")
    assert post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))[0] == 202
    outcomes(env)

    def ids(table: str) -> list[str]:
        items = env.stack.client("dynamodb").scan(TableName=env.stack.names[table])["Items"]
        return [item["id"]["S"] for item in items]

    assert any(".account_unlock.webhook." in key for key in ids("DeliveryTable"))
    assert not any(".account_unlock.webhook." in key for key in ids("IdempotencyTable"))
