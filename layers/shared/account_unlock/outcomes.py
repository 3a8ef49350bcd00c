"""Recording an outcome: metrics by vendor, source and reason, one log line, one audit item.

Shared by the unlock function and the self-service path; it holds no idempotency client, so the
self-service function does not pay for one at import.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from account_unlock import audit
from account_unlock.models import UnlockOutcome
from account_unlock.observability import logger, metrics


def record_outcome(result: UnlockOutcome) -> dict[str, Any]:
    """Measure, log and audit the outcome; returns its detail. An audit failure is logged, not raised."""
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
    try:
        audit.record(result)
    except Exception:
        logger.exception("audit record failed")
        metrics.add_metric(name="AuditWriteFailed", unit=MetricUnit.Count, value=1)
    return detail
