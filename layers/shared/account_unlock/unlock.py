"""The unlock service: a request event in, at most one vendor unlock, exactly one recorded outcome.

Idempotency (Powertools, DynamoDB) is keyed on the business key: origin system + ticket (or the
request id when there is no ticket) + connection + user. A duplicate delivery, a retried webhook or
a replayed event returns the stored outcome without calling the vendor again.

Permanent failures are outcomes: recorded, published as "Unlock Failed" and stored as the idempotent
result, never retried. Transient failures are raised after the in-process retries, so no record is
kept and Lambda's async retries, then the on-failure destination (DLQ), take over.

The records last the idempotency TTL (``IdempotencyTtlDays``); an event older than that (an archive
replay keeps the event's original ``time``) could unlock again, so it is refused as ``stale_request``
(see ``fresh``): recorded and published, never retried, no vendor call.
The audit item and the outcome event must both be written: a failure of either is raised, so the
request is retried (and dead-lettered after Lambda's retries); the retry repeats no vendor write.
Once the outcome event is published, a failure to complete the idempotency record is logged, not
raised (see ``unlock_and_publish``): a retry would publish the outcome a second time.

The connection's policy (``account_unlock.policy``, ``account_unlock.guard``) is checked on the
request's identifier before any vendor call and on the looked-up account before the first write; a
refusal is a permanent outcome (``protected_account``, ``rate_limited_policy``). A dry-run connection
writes nothing and publishes what it would have done as ``Unlock Failed`` / ``dry_run`` with
``planned_actions``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from account_unlock import events, http
from account_unlock.aws import AWS_ERRORS
from account_unlock.business_key import BUSINESS_KEY
from account_unlock.config import settings
from account_unlock.connections import connector_for
from account_unlock.edge import count, field_names
from account_unlock.errors import PermanentError, TransientError
from account_unlock.guard import count_refusal, guarded
from account_unlock.idempotency import persistence_layer
from account_unlock.models import REQUEST_DETAIL_TYPES, Origin, OutcomeStatus, UnlockOutcome, UnlockRequest
from account_unlock.observability import logger, metrics
from account_unlock.outcomes import record_outcome
from account_unlock.policy import DRY_RUN
from account_unlock.recorded_steps import RecordedSteps, step_config
from account_unlock.steps import Steps
from account_unlock.vendors.base import Connector, VendorResult

# Time kept back from the Lambda timeout to record the outcome after the last vendor call.
BUDGET_MARGIN_SECONDS = 5.0
# How far ahead of our clock an event's time may be (a producer may set PutEvents' Time).
CLOCK_SKEW_SECONDS = 300

persistence = persistence_layer(settings().idempotency_table)
idempotency_config = IdempotencyConfig(
    event_key_jmespath=BUSINESS_KEY,
    raise_on_no_idempotency_key=True,
    expires_after_seconds=settings().idempotency_ttl_seconds,
)


def handle_event(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point of the unlock function for one EventBridge event."""
    idempotency_config.register_lambda_context(context)
    step_config.register_lambda_context(context)
    metrics.add_metric(name="UnlockEventsReceived", unit=MetricUnit.Count, value=1)
    try:
        envelope = parse(event=event, model=EventBridgeModel)
    except ValidationError:
        return finish(invalid_outcome(event.get("detail"), "the event is not an EventBridge event"))
    if envelope.detail_type not in REQUEST_DETAIL_TYPES:
        logger.warning("ignored event", extra={"detail_type": envelope.detail_type})
        return {"status": "ignored", "detail_type": envelope.detail_type}
    try:
        request = UnlockRequest.model_validate(envelope.detail)
    except ValidationError as exc:
        fields = field_names(exc, "detail")
        return finish(invalid_outcome(envelope.detail, f"invalid fields: {', '.join(fields)}"))
    if not fresh(envelope.time, time.time()):
        message = f"the event's time {envelope.time.isoformat()} is outside the replay window"
        return finish(outcome(request, "unknown", "failed", "stale_request", message, None))
    with http.budget.running(context.get_remaining_time_in_millis() / 1000 - BUDGET_MARGIN_SECONDS):
        return unlock_and_publish(request.model_dump(mode="json", exclude_none=True))


@dataclass
class Published:
    """The outcome ``finish`` put on the bus in this invocation (None until it is there)."""

    detail: dict[str, Any] | None = None


def unlock_and_publish(request: dict[str, Any]) -> dict[str, Any]:
    """``unlock_once``, whose outcome counts once it is on the bus.

    Powertools completes the idempotency record after the function returned; when that fails it raises
    and the record stays in progress. Raising it here would make Lambda retry a request whose outcome
    is published: the retry after the claim lapsed would run it again and publish a second outcome. So
    it is logged and the outcome returned; a duplicate arriving after the claim lapsed still runs again
    (the recorded steps send no vendor write twice, a second outcome is published).
    """
    published = Published()
    try:
        return unlock_once(request=request, published=published)
    except IdempotencyPersistenceLayerError:
        if published.detail is None:
            raise
        logger.exception("outcome published, its idempotency record not completed")
        return published.detail


@idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=idempotency_config)
def unlock_once(request: dict[str, Any], published: Published) -> dict[str, Any]:
    published.detail = finish(perform(UnlockRequest.model_validate(request), RecordedSteps(request)))
    return published.detail


def fresh(event_time: datetime, now: float) -> bool:
    """Whether the idempotency records of an event stamped ``event_time`` still exist at ``now``.

    They were written when the event was first handled, at the earliest ``CLOCK_SKEW_SECONDS`` before
    its time, and expire ``idempotency_ttl_seconds`` after that: an older event, or one stamped further
    ahead, would be handled as new.
    """
    stamped = event_time if event_time.tzinfo else event_time.replace(tzinfo=UTC)
    age = now - stamped.timestamp()
    return -CLOCK_SKEW_SECONDS <= age <= settings().idempotency_ttl_seconds - CLOCK_SKEW_SECONDS


def perform(request: UnlockRequest, steps: Steps) -> UnlockOutcome:
    """Call the vendor under the connection's policy; permanent errors (a policy refusal among them)
    become a failed outcome, transient ones propagate."""
    vendor = "unknown"
    try:
        connector = connector_for(request.connection)
        vendor, policy = connector.vendor, connector.policy
        policy.check_user(request.user)
        result = timed_unlock(connector, request, guarded(policy, steps, request, vendor))
    except PermanentError as exc:
        count_refusal(exc.reason)
        return outcome(request, vendor, "failed", exc.reason, exc.message, exc.vendor_reference)
    except TransientError as exc:
        metrics.add_dimension(name="vendor", value=vendor)
        metrics.add_metric(name="VendorTransientFailures", unit=MetricUnit.Count, value=1)
        logger.warning("transient failure, left to retry", extra={"reason": exc.reason, "error": exc.message})
        raise
    if policy.dry_run:
        return dry_run_outcome(request, vendor, result)
    reason = "already_unlocked" if result.already_unlocked else "unlocked"
    return outcome(request, vendor, "unlocked", reason, result.message, result.vendor_reference, result.actions)


def dry_run_outcome(request: UnlockRequest, vendor: str, result: VendorResult) -> UnlockOutcome:
    """What a dry run decided: nothing was written, ``planned_actions`` is what would have been."""
    planned = ", ".join(result.actions) or "no write, the vendor shows nothing locked"
    message = f"dry run, nothing was written; would have done: {planned}"
    failed = outcome(request, vendor, "failed", DRY_RUN, message, result.vendor_reference)
    return failed.model_copy(update={"planned_actions": list(result.actions)})


def timed_unlock(connector: Connector, request: UnlockRequest, steps: Steps) -> VendorResult:
    started = time.perf_counter()
    try:
        return connector.unlock(request, steps)
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics.add_metric(name="VendorLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)


def outcome(
    request: UnlockRequest,
    vendor: str,
    status: OutcomeStatus,
    reason: str,
    message: str,
    vendor_reference: str | None,
    actions: list[str] | None = None,
) -> UnlockOutcome:
    return UnlockOutcome(
        request_id=request.request_id,
        status=status,
        reason=reason,
        message=message,
        connection=request.connection,
        vendor=vendor,
        user={request.user.kind: request.user.value},
        origin=request.origin,
        requested_by=request.requested_by,
        vendor_reference=vendor_reference,
        actions=actions or [],
    )


def invalid_outcome(detail: Any, message: str) -> UnlockOutcome:
    """A request that cannot be parsed is still recorded, with whatever identifies it."""
    detail = detail if isinstance(detail, dict) else {}

    def text(value: Any) -> str:
        return value[:128] if isinstance(value, str) and value else "unknown"

    origin = detail.get("origin") if isinstance(detail.get("origin"), dict) else {}
    return UnlockOutcome(
        request_id=text(detail.get("request_id")),
        status="failed",
        reason="invalid_request",
        message=message,
        connection=text(detail.get("connection")),
        user={},
        origin=Origin.model_construct(system=text(origin.get("system"))),
    )


def finish(result: UnlockOutcome) -> dict[str, Any]:
    """Audit, measure and publish the outcome; a failed write is raised, so the request is retried.

    Inside ``unlock_once`` the raise also drops the request's idempotency record; the retry gets the
    completed vendor writes back from the recorded steps and writes them nothing more.
    """
    detail = record_outcome(result)
    try:
        events.publish(result.detail_type, detail, settings().event_source)
    except (TransientError, *AWS_ERRORS):
        logger.exception("outcome event not published", extra={"request_id": result.request_id})
        count("OutcomePublishFailed")  # flushed at once: the invocation is about to fail
        raise
    return detail
