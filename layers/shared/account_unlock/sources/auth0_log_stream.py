"""Auth0 log streams over a custom webhook: tenant log events, each ``{"log_id", "data": {...}}``.

"Create Custom Log Streams Using Webhooks" (https://auth0.com/docs/customize/log-streams/custom-log-streams):
Auth0 POSTs to the Payload URL with the stream's **Authorization Token**, when set, as the
``Authorization`` header — nothing is signed — in the Content Format chosen: JSON lines, a JSON array or
a JSON object. "Log Streams" (https://auth0.com/docs/customize/log-streams): delivered at least once,
up to three attempts, errored events sent again until delivered, the stream paused after 7 days of
failures. "Log Event Type Codes" (https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes) and
each event's page: brute-force protection writes ``limit_wc`` ("An IP address is blocked because it
reached the maximum failed login attempts into a single account") and ``limit_sul`` ("A user is
temporarily prevented from logging in because they reached the maximum logins per time period from
the same IP address"), with ``data.user_id`` / ``data.user_name`` when known.

Decisions (docs/sources/auth0-log-stream.md):
- The credential is the ``Authorization`` header's whole value, compared in constant time with every
  active secret (a stream without an Authorization Token cannot authenticate: 401).
- Delivery id: the SHA-256 of the raw body (Auth0 sends none). Per event: its ``log_id``, also the
  ticket id, so one log event unlocks once however often it is delivered.
- No replay window: ``data.date`` is not signed. Replays are stopped by the delivery record and the
  business key (``log_id``).
- Nothing unlocks by default; an admin opts event types in with ``resolved_statuses``.
- A body is one event, an array of events, or JSON lines; an event that cannot be mapped is skipped
  and listed, and a delivery is answered 200 (Auth0 re-sends anything else).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, parse_json
from account_unlock.sources.mapping import FieldMap, MappingError
from account_unlock.sources.signatures import StaticSecretKind, body_digest

AUTH0_LOG_EVENT = FieldMap(
    ticket_id="log_id",
    status="data.type",
    resolved="`false`",
    # The user id when the event has one (a block by id covers every identifier of the user), else the
    # identifier that was typed, whose blocks brute-force protection keeps.
    user="data.user_id && {id: data.user_id} || data.user_name && {login_id: data.user_name}",
    requested_by="join(':', ['auth0', to_string(data.type)])",
    reason="data.description",
    delivery_id="log_id",
)


class Auth0LogStream(StaticSecretKind):
    kind = "auth0-log-stream"
    preset = AUTH0_LOG_EVENT
    detail_type = UNLOCK_REQUESTED
    batched = True
    secret_header = "authorization"  # noqa: S105 - a header name
    accepted_status: ClassVar[int] = 200
    max_body_bytes: ClassVar[int] = 5 * 1024 * 1024  # a batch: each event becomes its own small bus entry

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        super().authenticate(delivery, secrets)
        return body_digest(delivery.body)

    def payload(self, delivery: Delivery) -> Any:
        """JSON (an array or one object), or JSON lines: one event per non-empty line."""
        try:
            return parse_json(delivery.body)
        except ValueError:
            lines = [line for line in delivery.body.splitlines() if line.strip()]
            if len(lines) < 2:
                raise
            return [parse_json(line) for line in lines]

    def items(self, payload: Any) -> list[Any]:
        if isinstance(payload, list):
            return payload
        if isinstance(payload, dict) and "log_id" in payload:
            return [payload]
        raise MappingError("the body must be Auth0 log events (a JSON array, an object or JSON lines)")
