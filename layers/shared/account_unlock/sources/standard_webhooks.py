"""Standard Webhooks (spec v1): ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signature is ``v1,<base64 HMAC-SHA256>`` over ``{id}.{timestamp}.{body}`` keyed with the
base64-decoded part of a ``whsec_`` secret. The header may carry several space-separated
signatures; any one matching any active secret is accepted.

The body is the project's generic ticket JSON (see README, "Generic ticket body").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from account_unlock.sources.base import Delivery, SourceKind, Unauthorized
from account_unlock.sources.mapping import FieldMap
from account_unlock.sources.signatures import check_window, raw

GENERIC_TICKET = FieldMap(
    ticket_id="ticket.id",
    status="ticket.status",
    resolved="contains(['resolved', 'solved', 'closed', 'done'], ticket.status)",
    user="user",
    connection="connection",
    ticket_url="ticket.url",
    requested_by="requested_by",
    reason="reason",
)


def secret_key(secret: str) -> bytes | None:
    """The HMAC key of a ``whsec_`` secret, or None when it is not valid base64."""
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return None


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message (used by the local tools and the tests' own checks)."""
    key = secret_key(secret) or b""
    digest = hmac.new(key, raw(f"{msg_id}.{timestamp}.") + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class StandardWebhooks(SourceKind):
    kind = "standard-webhooks"
    preset = GENERIC_TICKET

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        msg_id = delivery.header("webhook-id")
        timestamp = delivery.header("webhook-timestamp")
        signatures = delivery.header("webhook-signature").split()
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise Unauthorized("webhook-timestamp is outside the tolerance")
        check_window(int(timestamp), delivery.received_at, "webhook-timestamp")
        offered = [raw(sig) for sig in signatures if sig.startswith("v1,")]
        for secret in secrets:
            if not secret_key(secret):  # invalid or empty: never verifies
                continue
            expected = sign(secret, msg_id, timestamp, delivery.body).encode()
            if any(hmac.compare_digest(expected, candidate) for candidate in offered):
                return msg_id
        raise Unauthorized("signature verification failed")
