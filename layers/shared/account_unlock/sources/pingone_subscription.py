"""PingOne subscriptions (webhooks): a JSON array of up to 500 audit activity events per POST.

PingOne signs nothing: a subscription can only add static custom headers (``httpEndpoint.headers``).
The credential is the ``Authorization`` header, compared in constant time with every active
secret, each of which is the header's whole value (``"Bearer 5f0c…"``).

Each event is an audit activity: ``id``, ``recordedAt``, ``action.type`` (``USER.LOCKED``,
``PASSWORD.RECOVERY``, ...), ``resources[]`` (the user is the resource of type ``USER``), ``actors``,
``result.status`` (PingOne Platform APIs, "Subscriptions (webhooks)",
https://developer.pingidentity.com/pingone-api/platform/subscriptions-webhooks.html, and "Audit Activities").

Decisions (docs/sources/pingone-subscription.md):
- PingOne re-sends a delivery until it gets a 200 and sends nothing newer meanwhile, so refusing a
  genuine delivery stalls the subscription: batches over 500 events are processed, not refused,
  and events that cannot be mapped are skipped and listed, never failing the batch.
- Delivery id: the SHA-256 of the raw body (PingOne sends none; a re-send sends the same bytes).
  Per event: its ``id``, also the ticket id, so one event unlocks once however often it is re-sent.
- No replay window: nothing in the request is signed, so no timestamp can be trusted. Replays are
  stopped by the delivery-id record (72 h) and the unlock function's business key (event id).
- Nothing unlocks by default: ``resolved`` is ``false`` for every event; an admin opts event types
  in with the source's ``resolved_statuses``.
- A batch is one delivery record, not one per event. Its opted-in events go to the bus ten per
  PutEvents call, several calls at a time, within the webhook's time budget (``events``,
  ``webhook.time_budget``); a batch not all on the bus in time is answered 503, never 200, and
  PingOne's re-send is deduplicated per event by the unlock function's business key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery
from account_unlock.sources.mapping import FieldMap, MappingError
from account_unlock.sources.signatures import StaticSecretKind, body_digest

MAX_EVENTS = 500  # PingOne's documented batch size; larger batches are still processed (see above)

PINGONE_EVENT = FieldMap(
    ticket_id="id",
    status="action.type",
    resolved="`false`",
    user="{id: resources[?type=='USER'].id | [0]}",
    requested_by="join(':', ['pingone', to_string(action.type)])",
    reason="action.description",
    delivery_id="id",
)


class PingOneSubscription(StaticSecretKind):
    kind = "pingone-subscription"
    preset = PINGONE_EVENT
    detail_type = UNLOCK_REQUESTED
    batched = True
    secret_header = "authorization"  # noqa: S105 - a header name
    # PingOne retries until it gets a 200 (its documented success answer), so 200, not 202.
    accepted_status: ClassVar[int] = 200
    # A batch of up to 500 activities can exceed one EventBridge entry; each item becomes its own
    # small event, so the whole batch is accepted up to what API Gateway hands a Lambda function.
    max_body_bytes: ClassVar[int] = 5 * 1024 * 1024

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        super().authenticate(delivery, secrets)
        return body_digest(delivery.body)

    def items(self, payload: Any) -> list[Any]:
        if isinstance(payload, list):
            return payload
        if isinstance(payload, dict) and "action" in payload:
            return [payload]  # a single event, not wrapped in an array
        raise MappingError("the body must be a JSON array of PingOne events")
