"""Write-back function: EventBridge "Account Unlocked" / "Unlock Failed" → one comment on the ticket.

The event is never logged (``log_event=False`` takes precedence over ``POWERTOOLS_LOGGER_LOG_EVENT``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from account_unlock.observability import logger, metrics, tracer
from account_unlock.writeback import handle_event


@logger.inject_lambda_context(correlation_id_path="detail.request_id", log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_event(event, context)
