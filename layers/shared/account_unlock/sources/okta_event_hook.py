"""Okta Event Hooks: ``POST`` a batch of System Log events, after a one-time ``GET`` verification.

Okta signs nothing. An event hook sends the static header an admin configures ("Add an event hook",
https://help.okta.com/oie/en-us/Content/Topics/automation-hooks/add-event-hooks.htm: "Authentication
field: the name of the authorization header; Authentication secret: the value string that corresponds to
the field name") with every request, the verification included ("Unable to verify event hook",
https://support.okta.com/help/s/article/Unable-to-verify-event-hook-Hook-hook-name-execution-failed).
The credential is that header (``auth_header``, ``Authorization`` by default), compared in constant time
with every active secret, each the header's whole value.

- Verification ("Event hooks", https://developer.okta.com/use_cases/event_hooks, and the support
  article above): when the hook is created or verified, Okta sends one ``GET`` with
  ``X-Okta-Verification-Challenge``; the answer is ``200`` with ``{"verification": "<that value>"}``
  (``verification``). The challenge is echoed only after the authentication header verified.
- Deliveries: ``{"eventType": "com.okta.event_hook", "eventId", "eventTime", "data": {"events": [...]}}``;
  each event is a System Log event ("Examine the Event Object",
  https://developer.okta.com/docs/guides/event-hook-implementation/nodejs/event-object/): ``uuid``,
  ``eventType`` (``user.account.lock``: "User Account Locked",
  https://help.okta.com/wf/en-us/content/topics/workflows/connector-reference/okta/events/useraccountlocked.htm),
  ``displayMessage``, ``target[]`` (the locked user is the target of ``type`` ``User``: ``id``,
  ``alternateId``). Okta expects ``200`` or ``204`` to a delivery ("Event hooks").

Decisions (docs/sources/okta-event-hook.md):
- Delivery id: the body's ``eventId``, else the SHA-256 of the raw body. Per event: its ``uuid``, also
  the ticket id, so one event unlocks once however often it is re-sent.
- No replay window: nothing is signed, so no time can be trusted; replays are stopped by the
  delivery-id record (72 h) and the unlock function's business key (the event ``uuid``).
- Nothing unlocks by default: ``resolved`` is ``false``; an admin opts ``user.account.lock`` in with
  the source's ``resolved_statuses``. In a batch, events that are not opted in or cannot be mapped are
  skipped and listed, never failing the delivery.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, SourceConfig, SourceKind, Unauthorized
from account_unlock.sources.mapping import FieldMap, MappingError
from account_unlock.sources.signatures import body_digest, verify_static

CHALLENGE_HEADER = "x-okta-verification-challenge"
# The challenge's format is not documented (the support article's is 40 base64url characters): printable
# characters that need no escaping in JSON or a header, at most 512 of them.
CHALLENGE = re.compile(r"^[A-Za-z0-9._~+/=-]{1,512}$")
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$"  # an HTTP token (RFC 9110)
EVENT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")

OKTA_EVENT = FieldMap(
    ticket_id="uuid",
    status="eventType",
    resolved="`false`",
    user="{id: target[?type=='User'].id | [0]}",
    requested_by="join(':', ['okta', to_string(eventType)])",
    reason="displayMessage",
    delivery_id="uuid",
)


class OktaEventHookConfig(SourceConfig):
    """An ``okta-event-hook`` source secret: the common fields plus the authentication header's name."""

    auth_header: str = Field(
        default="Authorization", pattern=HEADER_NAME, description="The hook's 'Authentication field' (header name)"
    )


class OktaEventHook(SourceKind):
    kind = "okta-event-hook"
    preset = OKTA_EVENT
    detail_type = UNLOCK_REQUESTED
    batched = True
    accepted_status: ClassVar[int] = 200  # "200 (OK) or 204 (No Content)"
    # Each event of a batch becomes its own small event, so the batch is accepted up to what API
    # Gateway hands a Lambda function (Okta documents no batch size).
    max_body_bytes: ClassVar[int] = 5 * 1024 * 1024
    config_model = OktaEventHookConfig

    def __init__(self, auth_header: str = "authorization") -> None:
        self.auth_header = auth_header.lower()

    def bind(self, config: SourceConfig) -> SourceKind:
        if not isinstance(config, OktaEventHookConfig):
            raise TypeError("an okta-event-hook source is configured by an OktaEventHookConfig")
        return OktaEventHook(config.auth_header)

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        verify_static(delivery.header(self.auth_header), secrets)
        payload = delivery.json_object() or {}
        event_id = payload.get("eventId")
        return event_id if isinstance(event_id, str) and EVENT_ID.fullmatch(event_id) else body_digest(delivery.body)

    def verification(self, delivery: Delivery, secrets: Sequence[str]) -> dict[str, str]:
        """The answer to Okta's one-time verification ``GET``: the challenge, once the header verified."""
        verify_static(delivery.header(self.auth_header), secrets)
        challenge = delivery.header(CHALLENGE_HEADER)
        if not CHALLENGE.fullmatch(challenge):
            raise Unauthorized(f"{CHALLENGE_HEADER} is not a verification value")
        return {"verification": challenge}

    def items(self, payload: Any) -> list[Any]:
        data = payload.get("data") if isinstance(payload, dict) else None
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            raise MappingError("the body must be an Okta event hook delivery with data.events")
        return events
