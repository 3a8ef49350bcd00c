"""Zendesk webhooks (trigger or automation with a JSON body template).

``X-Zendesk-Webhook-Signature`` is ``base64(HMAC-SHA256(secret, TIMESTAMP + BODY))``: the signing
secret is used as its UTF-8 bytes (even though it looks like base64), the timestamp is the literal
``X-Zendesk-Webhook-Signature-Timestamp`` header (ISO-8601, e.g. ``2021-03-25T05:09:27Z``), with no
separator before the raw body. The timestamp must be within ±5 minutes of receipt. The delivery id
is ``X-Zendesk-Webhook-Invocation-Id``.

The body is the template of docs/sources/zendesk.md; a ticket is resolved when its status is
``solved`` (the placeholder renders the display name, ``Solved``, in English accounts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from account_unlock.sources.base import Delivery, SourceKind, Unauthorized
from account_unlock.sources.signatures import active, check_window, raw
from account_unlock.sources.templated import templated_ticket

SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
INVOCATION_ID = "x-zendesk-webhook-invocation-id"


def signed_at(timestamp: str) -> float:
    """Seconds since the epoch of Zendesk's ISO-8601 timestamp, which must carry its zone (``Z``)."""
    try:
        moment = datetime.fromisoformat(timestamp.strip())
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment.timestamp()
    except (ValueError, OverflowError):
        raise Unauthorized(f"{TIMESTAMP} is not an ISO-8601 time with a zone") from None


class Zendesk(SourceKind):
    kind = "zendesk"
    preset = templated_ticket("contains(['solved', 'Solved'], ticket.status)")

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        signature = raw(delivery.header(SIGNATURE).strip())
        timestamp = delivery.header(TIMESTAMP)
        check_window(signed_at(timestamp), delivery.received_at, TIMESTAMP)
        message = raw(timestamp) + delivery.body
        for key in active(secrets):
            expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest())
            if hmac.compare_digest(expected, signature):
                return delivery.headers.get(INVOCATION_ID) or None
        raise Unauthorized("signature verification failed")
