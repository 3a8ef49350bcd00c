"""One Logger, Metrics and Tracer per container, configured by POWERTOOLS_* environment variables."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
