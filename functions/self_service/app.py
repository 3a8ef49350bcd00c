"""Self-service function: API Gateway ``POST /self-service/{connection}/unlock`` → LoginRadius, synchronously.

The request carries the user's access token and password: the event is never logged
(``log_event=False``, ``POWERTOOLS_LOGGER_LOG_EVENT=false``, ``debug=False``), the correlation id is
API Gateway's request id, and the tracer does not record the response. CORS answers only the portal
origins listed in ``ALLOWED_ORIGINS`` (preflight included).
"""

from __future__ import annotations

import traceback
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from account_unlock.edge import Answer, InvalidBase64, decode_body
from account_unlock.observability import logger, metrics, tracer
from account_unlock.self_service import PortalRequest, cors_config, handle_self_service

app = APIGatewayRestResolver(cors=cors_config(), debug=False)


# Answers depend on the caller's token and Origin: never cached, and caches key them by Origin.
NO_CACHE = {"Cache-Control": "no-store", "Vary": "Origin"}


def reply(answer: Answer) -> Response:
    headers = NO_CACHE | answer.headers
    return Response(answer.status, content_types.APPLICATION_JSON, answer.body, headers=headers)


def refusal(status: int, error: str, message: str) -> Response:
    return reply(Answer(status, {"status": "not_unlocked", "error": error, "message": message}))


@app.post("/self-service/<connection>/unlock")
def unlock(connection: str) -> Response:
    event = app.current_event
    try:
        body = decode_body(event.body, event.is_base64_encoded)
    except InvalidBase64 as exc:
        return refusal(400, "invalid_request", str(exc))
    context = event.request_context
    request = PortalRequest(
        connection=connection,
        headers=dict(event.headers or {}),
        body=body,
        source_ip=context.identity.source_ip or "unknown",
        request_id=context.request_id or "unknown",
        remaining_seconds=app.lambda_context.get_remaining_time_in_millis() / 1000,
    )
    return reply(handle_self_service(request))


@app.not_found
def not_found(_: Exception) -> Response:
    return refusal(404, "not_found", "not found")


@app.exception_handler(Exception)
def unexpected(exc: Exception) -> Response:
    # Type and place only: an unexpected exception's message could quote what the request carried.
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    logger.error(
        "unexpected error",
        extra={"error_type": type(exc).__name__, "where": f"{where.filename}:{where.lineno}" if where else "unknown"},
    )
    return refusal(500, "internal_error", "internal error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="SelfServiceRequests", unit=MetricUnit.Count, value=1)
    return app.resolve(event, context)
