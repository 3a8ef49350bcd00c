"""Write-back: each outcome event of a ticket becomes one comment on that ticket, whatever the retries.

The write-back function gets every "Account Unlocked" / "Unlock Failed" event from the bus. An
outcome without a ticket (self-service, a workflow's request without ``origin.ticket_id``) or whose
``origin.system`` names no source secret, or a source without a ``writeback`` block, is skipped: there
is nothing to write back to. Otherwise the source's ``kind`` picks the helpdesk
(``account_unlock.helpdesks``) and its ``writeback`` block is validated: an invalid one, or a kind
without write-back, fails closed (audited as ``writeback_failed`` naming the fields, no call).

Exactly once: the whole write-back is a Powertools idempotent function keyed on the request id and
the outcome's detail-type (prefix ``writeback``), and inside it the helpdesk call is a recorded step
of its own (prefix ``writeback-post``): its result is stored as soon as the helpdesk accepted the
comment, before the audit item is written. A retry after the comment (the audit write failed, the
invocation timed out) gets the recorded result back and posts nothing; a call that raised leaves no
record, so the retry posts it. Both share the idempotency table and its TTL. Transient helpdesk
failures are raised (Lambda's retries, then the dead-letter queue); permanent ones (401, 403, 404,
422...) are audited as ``writeback_failed`` and not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from account_unlock import audit, http
from account_unlock.config import settings
from account_unlock.edge import field_names
from account_unlock.errors import PermanentError
from account_unlock.helpdesks import HELPDESKS
from account_unlock.helpdesks.base import Posted, outcome_kind
from account_unlock.idempotency import persistence_layer
from account_unlock.models import ACCOUNT_UNLOCKED, UNLOCK_FAILED, UnlockOutcome
from account_unlock.observability import logger, metrics
from account_unlock.outcomes import audited
from account_unlock.secrets import load_secret

OUTCOME_DETAIL_TYPES = (ACCOUNT_UNLOCKED, UNLOCK_FAILED)
WRITTEN_BACK = "written_back"
WRITEBACK_FAILED = "writeback_failed"
BUDGET_MARGIN_SECONDS = 5.0  # kept back from the Lambda timeout to record the result

writeback_persistence = persistence_layer(settings().idempotency_table)
post_persistence = persistence_layer(settings().idempotency_table)
writeback_config = IdempotencyConfig(expires_after_seconds=settings().idempotency_ttl_seconds)
post_config = IdempotencyConfig(expires_after_seconds=settings().idempotency_ttl_seconds)


def handle_event(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point of the write-back function for one outcome event."""
    writeback_config.register_lambda_context(context)
    post_config.register_lambda_context(context)
    try:
        envelope = parse(event=event, model=EventBridgeModel)
        outcome = UnlockOutcome.model_validate(envelope.detail)
    except ValidationError as exc:
        logger.warning("not an outcome event", extra={"fields": field_names(exc)})
        return skipped("not an outcome event")
    if envelope.detail_type not in OUTCOME_DETAIL_TYPES:
        return skipped(f"not an outcome: {envelope.detail_type}")
    if not outcome.origin.ticket_id:
        return skipped("the outcome has no ticket")
    source = outcome.origin.system
    try:
        secret = load_secret("source", source)
    except PermanentError as exc:  # no such source (a workflow's system) or not a JSON object
        return skipped(f"no source to write back to ({exc.reason})")
    if secret.get("writeback") is None:
        return skipped(f"source '{source}' has no writeback")
    key = {"request_id": outcome.request_id, "outcome": outcome.detail_type}
    with http.budget.running(context.get_remaining_time_in_millis() / 1000 - BUDGET_MARGIN_SECONDS):
        return write_back_once(key=key, outcome=outcome, source=source, secret=secret)


def skipped(why: str) -> dict[str, Any]:
    logger.info("no write-back", extra={"why": why})
    return {"status": "skipped", "message": why}


@idempotent_function(
    data_keyword_argument="key",
    persistence_store=writeback_persistence,
    config=writeback_config,
    key_prefix="writeback",
)
def write_back_once(key: dict[str, str], outcome: UnlockOutcome, source: str, secret: dict[str, Any]) -> dict[str, Any]:
    return write_back(key, outcome, source, secret)


def write_back(key: dict[str, str], outcome: UnlockOutcome, source: str, secret: dict[str, Any]) -> dict[str, Any]:
    """Validate the source's ``writeback``, post the comment once, audit what happened."""
    kind = str(secret.get("kind"))
    helpdesk = HELPDESKS.get(kind)
    if helpdesk is None:
        return failed(outcome, kind, f"source '{source}': field writeback is not supported for kind '{kind}'")
    try:
        config = helpdesk.config_model.model_validate(secret["writeback"])
    except ValidationError as exc:
        fields = ", ".join(f"writeback.{name}" for name in field_names(exc, "writeback"))
        return failed(outcome, kind, f"source '{source}': invalid fields: {fields}")
    if not config.posts(outcome):
        return skipped(f"writeback.post_on.{outcome_kind(outcome)} is off")
    ticket_id = str(outcome.origin.ticket_id)
    comment = config.comment(outcome)
    try:
        recorded = recorded_post(step=key, post=lambda: helpdesk.post(config, ticket_id, comment, outcome))
    except PermanentError as exc:
        return failed(outcome, kind, exc.message)
    return written(outcome, kind, Posted(recorded["message"], recorded.get("reference")))


@idempotent_function(
    data_keyword_argument="step", persistence_store=post_persistence, config=post_config, key_prefix="writeback-post"
)
def recorded_post(step: dict[str, str], post: Callable[[], Posted]) -> dict[str, Any]:
    posted = post()
    return {"message": posted.message, "reference": posted.reference}


def written(outcome: UnlockOutcome, helpdesk: str, posted: Posted) -> dict[str, Any]:
    metrics.add_dimension(name="helpdesk", value=helpdesk)
    metrics.add_metric(name="WrittenBack", unit=MetricUnit.Count, value=1)
    record(outcome, WRITTEN_BACK, helpdesk, posted.message, posted.reference)
    return {"status": WRITTEN_BACK, "message": posted.message, "writeback_reference": posted.reference}


def failed(outcome: UnlockOutcome, helpdesk: str, message: str) -> dict[str, Any]:
    logger.error("write-back failed", extra={"request_id": outcome.request_id, "error": message})
    metrics.add_dimension(name="helpdesk", value=helpdesk)
    metrics.add_metric(name="WriteBackFailed", unit=MetricUnit.Count, value=1)
    record(outcome, WRITEBACK_FAILED, helpdesk, message, None)
    return {"status": WRITEBACK_FAILED, "message": message}


def record(outcome: UnlockOutcome, status: str, helpdesk: str, message: str, reference: str | None) -> None:
    """The write-back's own audit item of the request, with the look-up keys of the status API."""
    origin = outcome.origin
    item: dict[str, Any] = {
        "status": {"S": status},
        "reason": {"S": helpdesk},
        "message": {"S": message},
        "outcome": {"S": outcome.detail_type},
        "connection": {"S": outcome.connection},
        "origin_system": {"S": origin.system},
        "ticket_id": {"S": str(origin.ticket_id)},
        "user": {"M": {kind: {"S": value} for kind, value in outcome.user.items()}},
    } | audit.index_keys(outcome)
    if reference:
        item["writeback_reference"] = {"S": reference}
    audited(lambda: audit.put(outcome.request_id, item), outcome.request_id)
