"""Gigya / SAP Customer Data Cloud webhooks: ``X-Gigya-Sig-Hmac-Sha1`` over the raw body.

The header is base64(HMAC-SHA1(raw body, base64-decoded secret)) (reference/webhooks.md, SAP's own
verification sample). Body ``{"events": [{"type", "id", "timestamp", "data": {"uid"}}], "nonce",
"timestamp"}``: one notification carries up to 100 events, each one item here.

Decisions (docs/sources/gigya-webhook.md):
- Replay window on the body's ``timestamp`` (unix seconds), ±``TIMESTAMP_TOLERANCE_SECONDS``; a
  signed body without one is refused (fail closed). Delivery id: ``nonce``. Per event: its ``id``,
  which is also the ticket id, so one event unlocks once however often it is re-sent.
- Nothing unlocks by default: ``resolved`` is ``false`` for every event; an admin opts event types
  in with the source's ``resolved_statuses``. Other events of the same notification are ignored
  and listed; an event that cannot be mapped is skipped, never blocking the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, SourceKind, Unauthorized
from account_unlock.sources.mapping import FieldMap, MappingError
from account_unlock.sources.signatures import check_window, epoch_seconds, hmac_signature, verify_body_hmac

SIGNATURE_HEADER = "x-gigya-sig-hmac-sha1"

GIGYA_EVENT = FieldMap(
    ticket_id="id",
    status="type",
    resolved="`false`",
    user="{id: data.uid}",
    requested_by="join(':', ['gigya', to_string(type)])",
    delivery_id="id",
)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Gigya-Sig-Hmac-Sha1`` header for ``body``; "" when the secret is not base64."""
    return hmac_signature(secret, body, digest="sha1", key_format="base64", encoding="base64")


class GigyaWebhook(SourceKind):
    kind = "gigya-webhook"
    preset = GIGYA_EVENT
    detail_type = UNLOCK_REQUESTED
    batched = True

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        verify_body_hmac(delivery, SIGNATURE_HEADER, secrets, digest="sha1", key_format="base64", encoding="base64")
        payload = delivery.json_object()
        if payload is None:
            return None
        sent_at = epoch_seconds(payload.get("timestamp"))
        if sent_at is None:
            raise Unauthorized("timestamp is missing or not a time")
        check_window(sent_at, delivery.received_at, "timestamp")
        nonce = payload.get("nonce")
        return nonce if isinstance(nonce, str) and nonce.strip() else None

    def items(self, payload: Any) -> list[Any]:
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise MappingError("missing field events (a list)")
        return events
