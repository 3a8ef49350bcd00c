"""One Logger, Metrics and Tracer per container, configured by POWERTOOLS_* environment variables.

The Powertools Tracer is created only when ``POWERTOOLS_TRACE_DISABLED`` is not true (template
parameter ``XRaySdkTracing``): creating it imports the X-Ray SDK, whose recorder builds two botocore
clients of its own, the largest single cost of a cold start (``make bench`` measures it). Without it,
Lambda's active tracing still records a segment per invocation, Init phase included; only the
subsegments per AWS and vendor call are missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.tracing import Tracer


class NoTracer:
    """The part of ``Tracer`` the handlers use, doing nothing: no X-Ray SDK is imported."""

    def capture_lambda_handler(
        self,
        lambda_handler: Callable[..., Any] | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Callable[..., Any]:
        """The handler itself, as ``@tracer.capture_lambda_handler`` or ``@...(capture_response=False)``."""
        if lambda_handler is None:
            return lambda handler: handler
        return lambda_handler


def make_tracer() -> Tracer | NoTracer:
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return NoTracer()
    return Tracer()


logger = Logger()
metrics = Metrics()
tracer = make_tracer()
