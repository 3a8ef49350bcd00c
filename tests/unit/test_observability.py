"""The X-Ray SDK is loaded only when the deployer asks for it; Lambda's active tracing stays on."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from aws_lambda_powertools.tracing import Tracer

from account_unlock.observability import NoTracer, make_tracer
from local.stack import LocalStack
from local.template import ROOT, load_template

PROBE = (
    "import sys, account_unlock.observability as o; print(type(o.tracer).__name__, 'aws_xray_sdk.core' in sys.modules)"
)


def fresh_import(trace_disabled: str) -> str:
    """What a fresh interpreter (a cold start) loads for ``account_unlock.observability``."""
    environment = dict(os.environ) | {
        "POWERTOOLS_TRACE_DISABLED": trace_disabled,
        "PYTHONPATH": f"{ROOT / 'layers/shared'}:{ROOT}",
    }
    completed = subprocess.run(  # noqa: S603 - this interpreter on a fixed snippet
        [sys.executable, "-c", PROBE], env=environment, check=True, capture_output=True, text=True
    )
    return completed.stdout.strip()


def test_tracing_off_imports_no_xray_sdk():
    assert fresh_import("true") == "NoTracer False"


def test_tracing_on_is_the_powertools_tracer():
    assert fresh_import("false") == "Tracer True"


def test_make_tracer_follows_the_variable(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert isinstance(make_tracer(), NoTracer)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    assert isinstance(make_tracer(), Tracer)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"event": event}


def test_no_tracer_leaves_the_handler_as_it_is():
    tracer = NoTracer()
    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler


def test_template_leaves_the_sdk_off_by_default_and_active_tracing_on():
    template = load_template()
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    assert template["Parameters"]["XRaySdkTracing"]["Default"] == "false"
    stack = LocalStack()
    for logical, spec in stack.resources.items():
        if spec["Type"] == "AWS::Serverless::Function":
            assert stack.function_environment(logical)["POWERTOOLS_TRACE_DISABLED"] == "true", logical
