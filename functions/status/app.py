"""Status function: ``GET /unlocks/{request_id}`` and ``GET /unlocks?…``, behind API Gateway's AWS_IAM authorizer.

API Gateway answers an unsigned or unauthorised call itself (403); the function also refuses a request
without a SigV4 caller in its context (403), so that a route wired without the authorizer fails
closed. The caller's ARN is logged with each look-up. Each answer is counted as ``StatusRequests``
by ``status``. The look-ups and what they answer: ``account_unlock.status``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from account_unlock import aws
from account_unlock.edge import Answer
from account_unlock.observability import logger, metrics, tracer
from account_unlock.status import lookup, lookup_request

app = APIGatewayRestResolver(debug=False)
ANSWER_MARGIN_SECONDS = 1.0  # kept from Lambda's timeout to answer 503 after the last AWS call


def reply(answer: Answer) -> Response:
    metrics.add_dimension(name="status", value=str(answer.status))
    metrics.add_metric(name="StatusRequests", unit=MetricUnit.Count, value=1)
    return Response(answer.status, content_types.APPLICATION_JSON, answer.body, headers=answer.headers)


def caller() -> str | None:
    """The SigV4 caller API Gateway authenticated, None when the request context names none."""
    identity = app.current_event.request_context.identity
    return identity.user_arn or identity.caller or None


@app.get("/unlocks/<request_id>")
def one_request(request_id: str) -> Response:
    who = caller()
    if who is None:
        return reply(Answer(403, {"error": "an IAM-signed request is required"}))
    logger.info("status look-up", extra={"caller": who, "request_id": request_id})
    return reply(lookup_request(request_id))


@app.get("/unlocks")
def search() -> Response:
    who = caller()
    if who is None:
        return reply(Answer(403, {"error": "an IAM-signed request is required"}))
    parameters = app.current_event.multi_value_query_string_parameters or {}
    logger.info("status look-up", extra={"caller": who, "parameters": sorted(parameters)})
    return reply(lookup(parameters))


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
    with aws.deadline.running(context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS):
        return app.resolve(event, context)
