"""Small helpers shared by the integration tests: send like a sender, read what happened."""

from __future__ import annotations

import json
import uuid
from typing import Any

from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment
from local.signing import encode, standard_webhook_headers


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def post_webhook(
    env: LocalEnvironment,
    body: bytes | dict[str, Any],
    *,
    source: str = HELPDESK_SOURCE,
    secret: str = WEBHOOK_SECRET,
    headers: dict[str, str] | None = None,
    **signing: Any,
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else encode(body)
    sent = headers if headers is not None else standard_webhook_headers(secret, raw, **signing)
    status, _, payload = env.stack.api_request("POST", f"/webhooks/{source}", sent, raw)
    return status, json.loads(payload)


def outcomes(env: LocalEnvironment) -> list[dict[str, Any]]:
    """Deliver what the bus rules matched, then return the outcome events published."""
    env.stack.dispatch()
    return env.stack.drain("Outcomes")


def pending_unlock_events(env: LocalEnvironment) -> list[dict[str, Any]]:
    """Events the rule has matched for the unlock function and that nobody has delivered yet."""
    return env.stack.drain("UnlockFunctionUnlockRequestsInvocations")


def audit_items(env: LocalEnvironment, request_id: str) -> list[dict[str, Any]]:
    """Every audit item of the request, oldest first (self-service: the "attempted" item, then the outcome)."""
    return env.stack.client("dynamodb").query(
        TableName=env.stack.names["AuditTable"],
        KeyConditionExpression="request_id = :r",
        ExpressionAttributeValues={":r": {"S": request_id}},
    )["Items"]
