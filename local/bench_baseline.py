"""The baseline of ``make bench``: what ``sam init``'s Powertools starter (hello world, REST API) loads.

Logger, Metrics and Tracer, an ``APIGatewayRestResolver`` with one route, and one boto3 client: the
handlers' import time is reported as a ratio to this module's, measured in the same run.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

app = APIGatewayRestResolver()
tracer = Tracer()
logger = Logger()
metrics = Metrics(namespace="Powertools")
client = boto3.client("events")


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"message": "hello world"}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
