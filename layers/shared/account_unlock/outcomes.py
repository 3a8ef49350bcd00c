"""Recording an outcome: metrics by vendor, source and reason, one log line, one audit item.

Shared by the unlock function and the self-service path; it holds no idempotency client, so the
self-service function does not pay for one at import.

A write that fails (the audit item, the outcome event) is logged and counted at once with ``edge.count``
(``AccountUnlock`` / ``AuditWriteFailed`` or ``OutcomePublishFailed``, dimension ``service`` only, so
one alarm covers every function) and raised: each caller decides whether its answer may go without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from account_unlock import audit
from account_unlock.aws import AWS_ERRORS
from account_unlock.edge import count
from account_unlock.models import UnlockOutcome
from account_unlock.observability import logger, metrics


def record_outcome(result: UnlockOutcome) -> dict[str, Any]:
    """Measure, log and audit the outcome; returns its detail. A failed audit write is raised."""
    vendor = result.vendor or "unknown"
    metrics.add_dimension(name="vendor", value=vendor)
    metrics.add_metric(name="UnlockRequests", unit=MetricUnit.Count, value=1)
    if result.status == "unlocked":
        metrics.add_metric(name="UnlockSucceeded", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="UnlockFailed", unit=MetricUnit.Count, value=1)
        count("UnlockFailedByReason", vendor=vendor, source=result.origin.system, reason=result.reason)
    detail = result.model_dump(mode="json", exclude_none=True)
    logger.info("unlock outcome", extra={"outcome": detail})
    audited(lambda: audit.record(result), result.request_id)
    return detail


def audited(write: Callable[[], None], request_id: str) -> None:
    """Run one audit write; a failure is logged, counted (``AuditWriteFailed``) and raised."""
    try:
        write()
    except AWS_ERRORS:
        logger.exception("audit record failed", extra={"request_id": request_id})
        count("AuditWriteFailed")  # flushed at once: the invocation may be about to fail
        raise
