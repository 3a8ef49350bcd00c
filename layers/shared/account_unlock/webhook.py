"""The webhook path: authenticate the sender, map its payload, hand off to the bus, answer fast.

Every client error is a 4xx with a short JSON error and changes nothing: no event is put on the bus
unless the request is authentic, well-formed, resolved and allowed. Only a failure of AWS itself
(Secrets Manager, DynamoDB, EventBridge: refused, failing, throttled or too slow for the time
budget), or of what verifies a sender (a vendor's signing keys), answers 503 + Retry-After, so that
the sender retries instead of losing the ticket.

A delivery the sender retries (same delivery id, same body) is accepted once: the answer is stored
for ``DELIVERY_TTL_SECONDS`` (Powertools Idempotency, keyed on source, delivery id and the SHA-256 of
the raw body) and returned again without a second event. Most senders do not sign their delivery id,
so a known id with another body is another delivery, processed on its own. The unlock function then
deduplicates on the business key, whatever the delivery.

The delivery record is claimed before the events are put on the bus and completed after. When
DynamoDB fails to complete it although the events are on the bus, the answer is still 202 (nothing
to retry); a redelivery then finds the claim (409 + Retry-After until it lapses) and publishes again,
which the business key makes one unlock.

A ticket sent again in another delivery (a new delivery id, or the ticket resolved again) is the same
request: the first hand-off of a business key (``business_key``: origin system, ticket,
connection, user) stores its request id in the delivery table for the idempotency TTL (``claim``, a
conditional PutItem: the first writer wins), and a later one answers with that request id, listed
in ``duplicates`` and counted as ``WebhookDuplicateTickets`` (by ``source``). The event is put on the
bus again under the original request id: should the first hand-off's events never have reached the
bus, this one unlocks; otherwise the unlock function's business key returns the stored outcome. Only
"Ticket Resolved" requests are claimed: identity events ("Unlock Requested") come in batches of up to
500 and their ids are delivery ids, so a claim per event would cost a write each for no helpdesk to
read; their business key (the event id) still makes a re-sent event one unlock.

Time: ``time_budget`` bounds the invocation's AWS calls (``aws.deadline``) and vendor calls
(``budgets.vendor_budget``) so that an answer, a 503 at worst, is sent before Lambda's timeout.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
)
from botocore.exceptions import ClientError
from pydantic import ValidationError

from account_unlock import aws, events
from account_unlock.budgets import vendor_budget
from account_unlock.business_key import business_key
from account_unlock.config import settings
from account_unlock.edge import Answer, count, field_names
from account_unlock.errors import PermanentError, TransientError
from account_unlock.idempotency import persistence_layer
from account_unlock.models import TICKET_RESOLVED, Origin, UnlockRequest, UserRef
from account_unlock.observability import logger
from account_unlock.secrets import load_secret
from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.base import Delivery, NestedTooDeeply, SourceConfig, SourceKind, Unauthorized
from account_unlock.sources.mapping import FieldMap, MappingError, extract
from account_unlock.sources.signatures import body_digest

MAX_BODY_BYTES = 6 * 1024 * 1024  # the Lambda invocation payload; each kind sets its own, lower, limit
DELIVERY_TTL_SECONDS = 72 * 3600
REQUEST_NAMESPACE = uuid.UUID("6f1c1c52-3c7e-4d0e-9a51-2b8f3f0c9a10")
RETRY_LATER = {"Retry-After": "30"}
ANSWER_MARGIN_SECONDS = 1.0  # kept from Lambda's timeout to answer after the last AWS call
# What DynamoDB or EventBridge failing looks like on the hand-off (Powertools wraps the store's errors).
AWS_FAILURES = (TransientError, IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError, *aws.AWS_ERRORS)

persistence = persistence_layer(settings().delivery_table)
delivery_config = IdempotencyConfig(
    event_key_jmespath="[source, delivery_id, body_digest]", expires_after_seconds=DELIVERY_TTL_SECONDS
)


@dataclass
class Receipt:
    """What the hand-off published, set as soon as the events are on the bus."""

    result: dict[str, Any] | None = None


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"error": message}, headers or {})


@contextmanager
def time_budget(remaining_seconds: float) -> Iterator[None]:
    """Bound one invocation's calls by the Lambda's remaining time (restored afterwards: the local
    stack runs every function in one process).

    AWS calls end ``ANSWER_MARGIN_SECONDS`` before the timeout; vendor calls (the Gigya key fetch)
    end early enough to leave one full AWS attempt (``aws.attempt_seconds``) for the hand-off.
    """
    vendor_seconds = remaining_seconds - ANSWER_MARGIN_SECONDS - aws.attempt_seconds(1, aws.MAX_ATTEMPTS)
    with aws.deadline.running(remaining_seconds - ANSWER_MARGIN_SECONDS), vendor_budget.running(vendor_seconds):
        yield


def handle_webhook(
    source: str,
    headers: Mapping[str, str],
    body: bytes,
    received_at: float | None = None,
    iam_principal: str | None = None,
) -> Answer:
    """Answer one webhook request for source ``source``.

    ``iam_principal`` is the caller's ARN when the request came on the IAM route (API Gateway has
    verified its SigV4 signature), None on the secret route.
    """
    if len(body) > MAX_BODY_BYTES:
        return error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    loaded = source_or_answer(source)
    if isinstance(loaded, Answer):
        return loaded
    config, kind = loaded
    if len(body) > kind.max_body_bytes:
        return error(413, f"body is larger than {kind.max_body_bytes} bytes")
    delivery = Delivery(
        source, {k.lower(): v for k, v in headers.items()}, body, received_at or time.time(), iam_principal
    )
    try:
        delivery_id = authenticate(config, kind, delivery)
    except Unauthorized as exc:
        count("WebhookAuthFailures", source=source, kind=kind.kind)
        logger.warning("webhook rejected", extra={"source": source, "why": str(exc)})
        return error(401, str(exc))
    except TransientError as exc:  # what verifies the sender is out of reach (a vendor's signing keys)
        logger.warning("webhook could not be verified now", extra={"source": source, "why": exc.message})
        return error(503, "temporarily unavailable, retry later", RETRY_LATER)
    digest = body_digest(body)
    try:
        requests, skipped = map_delivery(config, kind, delivery, delivery_id, digest=digest)
    except MappingError as exc:
        return error(400, str(exc))
    if not requests:
        return Answer(200, {"status": "ignored", "reasons": skipped})
    return hand_off(kind, source, delivery_id, requests, skipped, digest=digest)


def handle_verification(source: str, headers: Mapping[str, str]) -> Answer:
    """Answer a sender's one-time verification request (``GET``; Okta sends one when an Event Hook is
    created): 404 for a source whose kind sends none or that is IAM-only, 401 when it does not verify."""
    loaded = source_or_answer(source)
    if isinstance(loaded, Answer):
        return loaded
    config, kind = loaded
    delivery = Delivery(source, {k.lower(): v for k, v in headers.items()}, b"", time.time())
    try:
        answer = (
            None
            if config.auth == "iam"
            else kind.verification(delivery, [s.get_secret_value() for s in config.secrets])
        )
    except Unauthorized as exc:
        count("WebhookAuthFailures", source=source, kind=kind.kind)
        logger.warning("verification rejected", extra={"source": source, "why": str(exc)})
        return error(401, str(exc))
    if answer is None:
        return error(404, "this source answers no verification request")
    return Answer(200, answer)


def authenticate(config: SourceConfig, kind: SourceKind, delivery: Delivery) -> str | None:
    """The delivery id of an authentic request; ``Unauthorized`` otherwise.

    A source with ``auth: iam`` is reachable only on the IAM route, by an allowed caller; its secrets,
    when it has any, must verify as well. Every other source is reachable only on the secret route.
    """
    if config.auth == "iam":
        if delivery.iam_principal is None:
            raise Unauthorized("this source accepts only IAM-signed requests")
        if not config.allows_principal(delivery.iam_principal):
            raise Unauthorized("caller is not allowed for this source")
        if not config.secrets:
            return None
    elif delivery.iam_principal is not None:
        raise Unauthorized("this source does not accept IAM-signed requests")
    return kind.authenticate(delivery, [s.get_secret_value() for s in config.secrets])


def source_or_answer(name: str) -> tuple[SourceConfig, SourceKind] | Answer:
    """The source, or the answer when there is none (404) or its secret cannot be read now (503)."""
    try:
        return load_source(name)
    except LookupError:
        return error(404, "unknown source")
    except TransientError:
        return error(503, "temporarily unavailable, retry later", RETRY_LATER)


def load_source(name: str) -> tuple[SourceConfig, SourceKind]:
    """The source's configuration and kind; ``LookupError`` when it does not exist or is unusable."""
    try:
        secret = load_secret("source", name)
    except PermanentError as exc:
        if exc.reason != "unknown_source":
            logger.error("source secret is not usable", extra={"source": name, "error": exc.message})
        raise LookupError(name) from None
    named = secret.get("kind")
    kind = SOURCE_KINDS.get(named) if isinstance(named, str) else None
    try:
        config = (kind.config_model if kind else SourceConfig).model_validate(secret)
    except ValidationError as exc:
        fields = field_names(exc)
        logger.error("source secret is invalid", extra={"source": name, "fields": fields})
        raise LookupError(name) from None
    if kind is None:
        logger.error("source kind is unknown", extra={"source": name, "kind": config.kind})
        raise LookupError(name)
    return config, kind.bind(config)


def map_delivery(
    config: SourceConfig, kind: SourceKind, delivery: Delivery, delivery_id: str | None, *, digest: str | None = None
) -> tuple[list[UnlockRequest], list[str]]:
    """The unlock requests an authenticated delivery carries, and why the other items were skipped.

    ``digest`` is the body's ``body_digest`` (computed when not given).
    """
    try:
        payload = kind.payload(delivery)
    except NestedTooDeeply as exc:
        raise MappingError(str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise MappingError("body is not valid JSON") from None
    fields = kind.preset.with_overrides(config.mapping)
    digest = digest or body_digest(delivery.body)
    requests: list[UnlockRequest] = []
    skipped: list[str] = []
    for index, item in enumerate(kind.items(payload)):
        try:
            request = build_request(delivery.source, config, fields, item, delivery_id, index, digest=digest)
        except MappingError as exc:
            if not kind.batched:
                raise
            skipped.append(f"item {index}: {exc}")
            continue
        if isinstance(request, str):
            skipped.append(request)
        else:
            requests.append(request)
    return requests, skipped


def build_request(
    source: str,
    config: SourceConfig,
    fields: FieldMap,
    item: Any,
    delivery_id: str | None,
    index: int,
    *,
    digest: str = "",
) -> UnlockRequest | str:
    """Map one item to an unlock request, or to the reason it is ignored.

    The request id is derived from the delivery id, the item's place and the body's ``digest``: the
    same for a redelivery, another for another body under the same delivery id.
    """
    try:
        found = extract(fields, item, config.resolved_statuses)
    except RecursionError:  # a value nested too deeply for a JMESPath function (to_string)
        raise MappingError("a field is nested too deeply") from None
    if not found.resolved:
        return f"{found.ticket_id} is not resolved (status {found.status})"
    connection = found.connection or config.default_connection
    if connection is None:
        raise MappingError("missing field connection")
    if connection not in config.connections:
        raise MappingError(f"connection '{connection}' is not allowed for this source")
    item_delivery = found.delivery_id or delivery_id
    key = f"{source}:{item_delivery}:{index}:{digest}" if item_delivery else None
    try:
        return UnlockRequest(
            request_id=str(uuid.uuid5(REQUEST_NAMESPACE, key) if key else uuid.uuid4()),
            origin=Origin(
                system=source, ticket_id=found.ticket_id, ticket_url=found.ticket_url, delivery_id=item_delivery
            ),
            connection=connection,
            user=UserRef.model_validate(found.user),
            requested_by=found.requested_by,
            reason=found.reason,
        )
    except ValidationError as exc:
        names = field_names(exc, "user")
        raise MappingError(f"invalid fields: {', '.join(names)}") from None


def hand_off(
    kind: SourceKind,
    source: str,
    delivery_id: str | None,
    requests: list[UnlockRequest],
    skipped: list[str],
    *,
    digest: str,
) -> Answer:
    """Publish the requests, once per sender delivery (its id and the body's ``digest``)."""
    accepted = {
        "source": source,
        "delivery_id": delivery_id,
        "body_digest": digest,
        "detail_type": kind.detail_type,
        "requests": [r.model_dump(mode="json", exclude_none=True) for r in requests],
    }
    receipt = Receipt()
    try:
        result = publish_once(accepted=accepted, receipt=receipt) if delivery_id else publish(accepted, receipt)
    except IdempotencyAlreadyInProgressError:
        return error(409, "this delivery is being processed, retry later", RETRY_LATER)
    except AWS_FAILURES:
        if receipt.result is None:
            logger.exception("could not put the events on the bus", extra={"source": source})
            return error(503, "temporarily unavailable, retry later", RETRY_LATER)
        logger.exception("events are on the bus, the delivery record was not saved", extra={"source": source})
        result = receipt.result
    body: dict[str, Any] = {"status": "accepted", **result}
    if skipped:
        body["ignored"] = skipped
    logger.info("webhook accepted", extra={"source": source, "request_ids": result["request_ids"]})
    return Answer(kind.accepted_status, body)


@idempotent_function(data_keyword_argument="accepted", persistence_store=persistence, config=delivery_config)
def publish_once(accepted: dict[str, Any], receipt: Receipt) -> dict[str, Any]:
    return publish(accepted, receipt)


def publish(accepted: dict[str, Any], receipt: Receipt) -> dict[str, Any]:
    requests = accepted["requests"]
    if accepted["detail_type"] == TICKET_RESOLVED:
        requests = [request | {"request_id": claim(request)} for request in requests]
    events.publish_many(accepted["detail_type"], requests, webhook_event_source())
    ids = [r["request_id"] for r in requests]
    duplicates = [new["request_id"] for new, old in zip(requests, accepted["requests"], strict=True) if new != old]
    receipt.result = {"request_id": ids[0], "request_ids": ids} | ({"duplicates": duplicates} if duplicates else {})
    if duplicates:
        count("WebhookDuplicateTickets", source=accepted["source"])
    return receipt.result


def claim(request: dict[str, Any]) -> str:
    """The request id of the request's business key: its own if it is the first hand-off of that key
    within the idempotency TTL (or the same request again), else the first one's."""
    key = json.dumps(business_key(request), separators=(",", ":"), sort_keys=True)
    now = int(time.time())
    try:
        aws.client("dynamodb").put_item(
            TableName=settings().delivery_table,
            Item={
                "id": {"S": f"ticket#{hashlib.sha256(key.encode()).hexdigest()}"},
                "request_id": {"S": request["request_id"]},
                "expiration": {"N": str(now + settings().idempotency_ttl_seconds)},
            },
            ConditionExpression="attribute_not_exists(request_id) OR request_id = :id OR #expiration < :now",
            ExpressionAttributeNames={"#expiration": "expiration"},
            ExpressionAttributeValues={":id": {"S": request["request_id"]}, ":now": {"N": str(now)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return str(exc.response["Item"]["request_id"]["S"])
    return str(request["request_id"])


def webhook_event_source() -> str:
    return f"{settings().event_source}.webhook"
