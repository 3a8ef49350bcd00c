"""Webhook function: API Gateway ``POST /webhooks/{source}`` → verified "Ticket Resolved" event.

``POST /iam/webhooks/{source}`` is the same webhook behind API Gateway's AWS_IAM authorizer (SigV4,
e.g. ServiceNow IntegrationHub): only there is the caller's ARN read from the request context.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from account_unlock.observability import logger, metrics, tracer
from account_unlock.webhook import Answer, delivery_config, handle_webhook

app = APIGatewayRestResolver()
IAM_ROUTE = "/iam/webhooks/{source}"


def reply(answer: Answer) -> Response:
    metrics.add_dimension(name="status", value=str(answer.status))
    metrics.add_metric(name="WebhookRequests", unit=MetricUnit.Count, value=1)
    return Response(answer.status, content_types.APPLICATION_JSON, answer.body, headers=answer.headers)


@app.post("/webhooks/<source>")
@app.post("/iam/webhooks/<source>")
def receive(source: str) -> Response:
    event = app.current_event
    try:
        body = (
            base64.b64decode(event.body or "", validate=True)
            if event.is_base64_encoded
            else (event.body or "").encode()
        )
    except (binascii.Error, ValueError):
        return reply(Answer(400, {"error": "body is not valid base64"}))
    return reply(handle_webhook(source, event.headers or {}, body, iam_principal=iam_principal()))


def iam_principal() -> str | None:
    """The SigV4 caller API Gateway authenticated, on the IAM route only ("" when it names none)."""
    event = app.current_event
    if event.resource != IAM_ROUTE:
        return None
    identity = event.request_context.identity
    return identity.user_arn or identity.caller or ""


@app.not_found
def not_found(_: Exception) -> Response:
    return reply(Answer(404, {"error": "not found"}))


@app.exception_handler(Exception)
def unexpected(exc: Exception) -> Response:
    logger.exception("unexpected error")
    return reply(Answer(500, {"error": "internal error"}))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    delivery_config.register_lambda_context(context)
    return app.resolve(event, context)
