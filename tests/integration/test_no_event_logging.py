"""No function logs or prints its event, whatever Powertools' environment says.

``POWERTOOLS_DEV=true`` turns the Event Handler's debug mode on (it prints every event, headers
included) and ``POWERTOOLS_LOGGER_LOG_EVENT=true`` makes ``inject_lambda_context`` log it; both are
read when a function's module is imported, so each test imports the handler afresh under them.
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from typing import Any

import pytest

from local import isolation
from local.lambda_context import LocalContext
from local.samples import LOGINRADIUS_CONNECTION, LocalEnvironment
from local.senders import SERVICENOW_SECRET, SERVICENOW_SOURCE, configure_sources, servicenow_record
from local.signing import encode
from local.stack import api_gateway_event, capture_logs

pytestmark = pytest.mark.integration

MARKER = f"never-printed-{uuid.uuid4().hex}"


def webhook_event() -> dict[str, Any]:
    body = encode(servicenow_record(f"INC{uuid.uuid4().int % 10**7:07d}", None, "mia.rossi"))
    headers = {"Content-Type": "application/json", "X-ServiceNow-Secret": SERVICENOW_SECRET, "X-Marker": MARKER}
    path = f"/webhooks/{SERVICENOW_SOURCE}"
    return api_gateway_event("POST", path, "/webhooks/{source}", {"source": SERVICENOW_SOURCE}, headers, body)


def unlock_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Unlock Requested",
        "source": "identity.workflows",
        "account": "123456789012",
        "time": "2030-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{MARKER}"],
        "detail": {"request_id": "not-a-request"},
    }


def self_service_event() -> dict[str, Any]:
    body = json.dumps({"password": MARKER}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {MARKER}"}
    path = f"/self-service/{LOGINRADIUS_CONNECTION}/unlock"
    return api_gateway_event(
        "POST", path, "/self-service/{connection}/unlock", {"connection": LOGINRADIUS_CONNECTION}, headers, body
    )


EVENTS = {"WebhookFunction": webhook_event, "UnlockFunction": unlock_event, "SelfServiceFunction": self_service_event}


@pytest.mark.parametrize("function", EVENTS)
def test_dev_mode_and_log_event_never_print_the_event(env: LocalEnvironment, function):
    configure_sources(env)
    environment = env.stack.function_environment(function) | {
        "POWERTOOLS_DEV": "true",
        "POWERTOOLS_LOGGER_LOG_EVENT": "true",
        "POWERTOOLS_METRICS_DISABLED": "false",  # dev mode would keep them unflushed for the next test
    }
    module = env.stack.load_module(function, environment)
    printed = io.StringIO()
    capture_logs(printed)
    try:
        with isolation.invocation(environment, printed):
            module.lambda_handler(EVENTS[function](), LocalContext(function_name=function, timeout_seconds=10))
    finally:
        capture_logs(sys.stdout)

    assert printed.getvalue()  # something was logged: the check below looks at real output
    assert MARKER not in printed.getvalue()
    assert SERVICENOW_SECRET not in printed.getvalue()
