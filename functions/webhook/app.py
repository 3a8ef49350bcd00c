"""Webhook function: API Gateway ``POST /webhooks/{source}`` → verified "Ticket Resolved" event.

``GET /webhooks/{source}`` answers a sender's one-time verification request (Okta Event Hooks).

``POST /iam/webhooks/{source}`` is the same webhook behind API Gateway's AWS_IAM authorizer (SigV4,
e.g. ServiceNow IntegrationHub): only there is the caller's ARN read from the request context.

Requests carry sender secrets (static ``X-ServiceNow-Secret``, ``Authorization``...): the event is
never logged or printed, whatever ``POWERTOOLS_DEV`` / ``POWERTOOLS_LOGGER_LOG_EVENT`` say
(``debug=False``, ``log_event=False`` take precedence over them). Each answer is counted as
``WebhookRequests`` by ``status``; a 5xx also as ``WebhookServerErrors`` (dimension ``service`` only,
for one alarm).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from account_unlock.edge import Answer, InvalidBase64, count, decode_body
from account_unlock.observability import logger, metrics, tracer
from account_unlock.webhook import delivery_config, handle_verification, handle_webhook, time_budget

app = APIGatewayRestResolver(debug=False)
IAM_ROUTE = "/iam/webhooks/{source}"


def reply(answer: Answer) -> Response:
    metrics.add_dimension(name="status", value=str(answer.status))
    metrics.add_metric(name="WebhookRequests", unit=MetricUnit.Count, value=1)
    if answer.status >= 500:
        count("WebhookServerErrors")
    return Response(answer.status, content_types.APPLICATION_JSON, answer.body, headers=answer.headers)


@app.post("/webhooks/<source>")
@app.post("/iam/webhooks/<source>")
def receive(source: str) -> Response:
    event = app.current_event
    try:
        body = decode_body(event.body, event.is_base64_encoded)
    except InvalidBase64 as exc:
        return reply(Answer(400, {"error": str(exc)}))
    return reply(handle_webhook(source, event.headers or {}, body, iam_principal=iam_principal()))


@app.get("/webhooks/<source>")
def verify(source: str) -> Response:
    return reply(handle_verification(source, app.current_event.headers or {}))


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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    delivery_config.register_lambda_context(context)
    with time_budget(context.get_remaining_time_in_millis() / 1000):
        return app.resolve(event, context)
