"""LoginRadius webhooks: ``signature`` header = uppercase hex HMAC-SHA256 of the raw body.

Body ``{"HookName", "Time", "HookId", "Data"}`` (LoginRadius, "Webhooks",
https://www.loginradius.com/docs/integrations/webhook/overview). The
signature is keyed with the secret LoginRadius signs with (its docs: the site's API secret), as
UTF-8 bytes. ``Data`` carries the user's profile (``Uid``, ``Email`` list, ...).

Decisions (docs/sources/loginradius-webhook.md):
- Delivery id: ``HookId:Time`` (LoginRadius sends no delivery header; ``HookId`` alone may name the
  webhook rather than the delivery, so ``Time`` is part of it). It is also the ticket id, so two
  events for one user are two unlocks, while a re-sent event is one.
- ``Time`` is checked although LoginRadius documents no window: it is signed, so checking it stops
  replays for good once the delivery-id record has expired. The window reaches
  ``SIGNED_BODY_WINDOW_SECONDS`` (48 h) into the past, so a late re-send that keeps its original
  ``Time`` is still accepted (and deduplicated), and ``TIMESTAMP_TOLERANCE_SECONDS`` into the future.
- Nothing unlocks by default: ``resolved`` is ``false`` for every event; an admin opts event types
  (``HookName``) in with the source's ``resolved_statuses``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, SourceKind
from account_unlock.sources.mapping import FieldMap
from account_unlock.sources.signatures import (
    SIGNED_BODY_WINDOW_SECONDS,
    check_recent,
    epoch_seconds,
    verify_body_hmac,
)

SIGNATURE_HEADER = "signature"

LOGINRADIUS_EVENT = FieldMap(
    ticket_id="HookId && Time && join(':', [to_string(HookId), to_string(Time)])",
    status="HookName",
    resolved="`false`",
    user="{id: Data.Uid || Data.Profile.Uid}",
    requested_by="join(':', ['loginradius', to_string(HookName)])",
    reason="join(' ', ['LoginRadius', to_string(HookName), 'event at', to_string(Time)])",
)


def delivery_id(payload: dict[str, Any]) -> str | None:
    """``HookId:Time`` of a parsed body; None when either is missing."""
    hook, moment = payload.get("HookId"), payload.get("Time")
    if not all(isinstance(part, str | int | float) and not isinstance(part, bool) for part in (hook, moment)):
        return None
    if hook == "" or moment == "":
        return None
    return f"{hook}:{moment}"


class LoginRadiusWebhook(SourceKind):
    kind = "loginradius-webhook"
    preset = LOGINRADIUS_EVENT
    detail_type = UNLOCK_REQUESTED

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        verify_body_hmac(delivery, SIGNATURE_HEADER, secrets, digest="sha256", key_format="utf-8", encoding="hex-upper")
        payload = delivery.json_object()
        if payload is None:
            return None
        check_recent(epoch_seconds(payload.get("Time")), delivery.received_at, "Time", past=SIGNED_BODY_WINDOW_SECONDS)
        return delivery_id(payload)
