"""The audit trail: one DynamoDB item per decision (who asked, what, when, outcome).

The self-service path also writes an ``attempted`` item before it calls the vendor, so that no
vendor call is ever made without a trace, even when the outcome's item cannot be written after it.
Items of one request are told apart by ``recorded_at`` (microseconds).

Items that name a ticket or a user also carry the index attributes ``ticket_key``
(``<origin system>:<ticket id>``) and ``user_key`` (``<connection>#<kind>:<value>``), the hash keys of
the table's ``by_ticket`` and ``by_user`` indexes (``account_unlock.status`` reads them). Another
writer of a request's items (the ticket write-back) builds them with ``ticket_key`` and ``user_key``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from account_unlock.aws import client
from account_unlock.config import settings
from account_unlock.models import UnlockOutcome

AUDIT_RETENTION_SECONDS = 400 * 24 * 3600
ATTEMPTED = "attempted"


def record(outcome: UnlockOutcome) -> None:
    """Write the outcome. Identifiers only: the item never holds a secret, token or password."""
    item = {
        "status": {"S": outcome.status},
        "reason": {"S": outcome.reason},
        "message": {"S": outcome.message},
        "connection": {"S": outcome.connection},
        "vendor": {"S": outcome.vendor or "unknown"},
        "user": {"M": {key: {"S": value} for key, value in outcome.user.items()}},
        "origin_system": {"S": outcome.origin.system},
        "actions": {"L": [{"S": action} for action in outcome.actions]},
    }
    optional = {
        "ticket_id": outcome.origin.ticket_id,
        "ticket_url": outcome.origin.ticket_url,
        "delivery_id": outcome.origin.delivery_id,
        "requested_by": outcome.requested_by,
        "vendor_reference": outcome.vendor_reference,
    }
    put(
        outcome.request_id, item | {key: {"S": value} for key, value in optional.items() if value} | index_keys(outcome)
    )


def ticket_key(system: str, ticket_id: str) -> str:
    return f"{system}:{ticket_id}"


def user_key(connection: str, kind: str, value: str) -> str:
    return f"{connection}#{kind}:{value}"


def index_keys(outcome: UnlockOutcome) -> dict[str, Any]:
    """The ``by_ticket`` / ``by_user`` index attributes of an outcome's item, for what it names."""
    keys: dict[str, Any] = {}
    if outcome.origin.ticket_id:
        keys["ticket_key"] = {"S": ticket_key(outcome.origin.system, outcome.origin.ticket_id)}
    if len(outcome.user) == 1:
        [(kind, value)] = outcome.user.items()
        keys["user_key"] = {"S": user_key(outcome.connection, kind, value)}
    return keys


def record_attempt(*, request_id: str, connection: str, vendor: str, origin_system: str, requested_by: str) -> None:
    """Write that the vendor is about to be called for ``request_id`` (status and reason ``attempted``)."""
    item = {
        "status": {"S": ATTEMPTED},
        "reason": {"S": ATTEMPTED},
        "message": {"S": f"calling {vendor}; the outcome follows in its own item"},
        "connection": {"S": connection},
        "vendor": {"S": vendor},
        "user": {"M": {}},
        "origin_system": {"S": origin_system},
        "actions": {"L": []},
        "requested_by": {"S": requested_by},
    }
    put(request_id, item)


def put(request_id: str, item: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    item |= {
        "request_id": {"S": request_id},
        "recorded_at": {"S": now.isoformat(timespec="microseconds")},
        "expires_at": {"N": str(int(time.time()) + AUDIT_RETENTION_SECONDS)},
    }
    client("dynamodb").put_item(TableName=settings().audit_table, Item=item)
