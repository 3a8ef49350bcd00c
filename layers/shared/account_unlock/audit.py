"""The audit trail: one DynamoDB item per decision (who asked, what, when, outcome)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from account_unlock.aws import client
from account_unlock.config import settings
from account_unlock.models import UnlockOutcome

AUDIT_RETENTION_SECONDS = 400 * 24 * 3600


def record(outcome: UnlockOutcome) -> None:
    """Write the outcome. Identifiers only: the item never holds a secret, token or password."""
    now = datetime.now(UTC)
    item = {
        "request_id": {"S": outcome.request_id},
        "recorded_at": {"S": now.isoformat(timespec="milliseconds")},
        "status": {"S": outcome.status},
        "reason": {"S": outcome.reason},
        "message": {"S": outcome.message},
        "connection": {"S": outcome.connection},
        "vendor": {"S": outcome.vendor or "unknown"},
        "user": {"M": {key: {"S": value} for key, value in outcome.user.items()}},
        "origin_system": {"S": outcome.origin.system},
        "actions": {"L": [{"S": action} for action in outcome.actions]},
        "expires_at": {"N": str(int(time.time()) + AUDIT_RETENTION_SECONDS)},
    }
    optional = {
        "ticket_id": outcome.origin.ticket_id,
        "ticket_url": outcome.origin.ticket_url,
        "delivery_id": outcome.origin.delivery_id,
        "requested_by": outcome.requested_by,
        "vendor_reference": outcome.vendor_reference,
    }
    item |= {key: {"S": value} for key, value in optional.items() if value}
    client("dynamodb").put_item(TableName=settings().audit_table, Item=item)
