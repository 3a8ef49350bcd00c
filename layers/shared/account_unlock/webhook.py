"""The webhook path: authenticate the sender, map its payload, hand off to the bus, answer fast.

Every client error is a 4xx with a short JSON error and changes nothing: no event is put on the bus
unless the request is authentic, well-formed, resolved and allowed. Only a failure of AWS itself
(Secrets Manager, EventBridge) answers 503, so that the sender retries instead of losing the ticket.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from pydantic import ValidationError

from account_unlock import events
from account_unlock.config import settings
from account_unlock.errors import PermanentError, TransientError
from account_unlock.models import TICKET_RESOLVED, Origin, UnlockRequest
from account_unlock.observability import logger
from account_unlock.secrets import load_secret
from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.base import Delivery, SourceConfig, SourceKind, Unauthorized
from account_unlock.sources.mapping import MappingError, extract

MAX_BODY_BYTES = 256 * 1024
REQUEST_NAMESPACE = uuid.UUID("6f1c1c52-3c7e-4d0e-9a51-2b8f3f0c9a10")


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str) -> Answer:
    return Answer(status, {"error": message})


def handle_webhook(source: str, headers: Mapping[str, str], body: bytes, received_at: float | None = None) -> Answer:
    """Answer one webhook request for source ``source``."""
    if len(body) > MAX_BODY_BYTES:
        return error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        config, kind = load_source(source)
    except LookupError:
        return error(404, "unknown source")
    except TransientError:
        return Answer(503, {"error": "temporarily unavailable, retry later"}, {"Retry-After": "30"})
    delivery = Delivery(source, {k.lower(): v for k, v in headers.items()}, body, received_at or time.time())
    try:
        delivery_id = kind.authenticate(delivery, [s.get_secret_value() for s in config.secrets])
    except Unauthorized as exc:
        count_auth_failure(source, kind.kind)
        logger.warning("webhook rejected", extra={"source": source, "why": str(exc)})
        return error(401, str(exc))
    try:
        request = build_request(source, config, kind, delivery, delivery_id)
    except MappingError as exc:
        return error(400, str(exc))
    if isinstance(request, Answer):
        return request
    try:
        events.publish(TICKET_RESOLVED, request.model_dump(mode="json", exclude_none=True), webhook_event_source())
    except TransientError:
        logger.exception("could not put the event on the bus")
        return Answer(503, {"error": "temporarily unavailable, retry later"}, {"Retry-After": "30"})
    logger.info("webhook accepted", extra={"source": source, "request_id": request.request_id})
    return Answer(202, {"status": "accepted", "request_id": request.request_id})


def load_source(name: str) -> tuple[SourceConfig, SourceKind]:
    """The source's configuration and kind; ``LookupError`` when it does not exist or is unusable."""
    try:
        secret = load_secret("source", name)
    except PermanentError as exc:
        if exc.reason != "unknown_source":
            logger.error("source secret is not usable", extra={"source": name, "error": exc.message})
        raise LookupError(name) from None
    try:
        config = SourceConfig.model_validate(secret)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        logger.error("source secret is invalid", extra={"source": name, "fields": fields})
        raise LookupError(name) from None
    kind = SOURCE_KINDS.get(config.kind)
    if kind is None:
        logger.error("source kind is unknown", extra={"source": name, "kind": config.kind})
        raise LookupError(name)
    return config, kind


def build_request(
    source: str, config: SourceConfig, kind: SourceKind, delivery: Delivery, delivery_id: str | None
) -> UnlockRequest | Answer:
    """Map an authenticated delivery to an unlock request, or to the 200/400 answer that ends it."""
    try:
        payload = kind.payload(delivery)
    except (ValueError, UnicodeDecodeError):
        raise MappingError("body is not valid JSON") from None
    found = extract(kind.preset.with_overrides(config.mapping), payload)
    if not found.resolved:
        return Answer(200, {"status": "ignored", "reason": f"ticket {found.ticket_id} is not resolved"})
    connection = found.connection or config.default_connection
    if connection is None:
        raise MappingError("missing field connection")
    if connection not in config.connections:
        raise MappingError(f"connection '{connection}' is not allowed for this source")
    request_id = str(uuid.uuid5(REQUEST_NAMESPACE, f"{source}:{delivery_id}") if delivery_id else uuid.uuid4())
    try:
        return UnlockRequest(
            request_id=request_id,
            origin=Origin(system=source, ticket_id=found.ticket_id, ticket_url=found.ticket_url, delivery_id=delivery_id),
            connection=connection,
            user=found.user,  # type: ignore[arg-type]
            requested_by=found.requested_by,
            reason=found.reason,
        )
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) or "user" for err in exc.errors()})
        raise MappingError(f"invalid fields: {', '.join(fields)}") from None


def webhook_event_source() -> str:
    return f"{settings().event_source}.webhook"


def count_auth_failure(source: str, kind: str) -> None:
    with single_metric(name="WebhookAuthFailures", unit=MetricUnit.Count, value=1,
                       default_dimensions={"source": source, "kind": kind}):
        pass

