"""Recording an outcome: metrics by vendor, source and reason, one log line, one audit item.

Shared by the unlock function and the self-service path; it holds no idempotency client, so the
self-service function does not pay for one at import.

A write that fails (the audit item, the outcome event) is logged and counted with ``write_failed``
(``AccountUnlock`` / ``AuditWriteFailed`` or ``OutcomePublishFailed``, dimension ``service`` only, so
one alarm covers every function) and raised: each caller decides whether its answer may go without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from account_unlock import audit
from account_unlock.aws import AWS_ERRORS
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
        dimensions = {"vendor": vendor, "source": result.origin.system, "reason": result.reason}
        with single_metric(name="UnlockFailedByReason", unit=MetricUnit.Count, value=1, default_dimensions=dimensions):
            pass
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
        write_failed("AuditWriteFailed")
        raise


def write_failed(name: str) -> None:
    """Count one failed audit or outcome write, flushed at once (the invocation may be about to fail)."""
    with single_metric(name=name, unit=MetricUnit.Count, value=1):
        pass
