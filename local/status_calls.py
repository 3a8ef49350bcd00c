"""Calling the status routes of the local stack with a SigV4 caller, for ``make run`` and the tests.

The local stack does not verify SigV4 (API Gateway does) and ``make serve`` passes no caller.
"""

from __future__ import annotations

import json
from typing import Any

from local.stack import LocalStack

STATUS_CALLER = "arn:aws:iam::123456789012:role/helpdesk-status"


def status_request(stack: LocalStack, url: str, *, identity: str | None = STATUS_CALLER) -> tuple[int, dict[str, Any]]:
    """``GET <url>`` (path and query) on the status routes with ``identity`` as the SigV4 caller
    (None: no caller in the request context)."""
    status, _, payload = stack.api_request("GET", url, {}, b"", identity=identity)
    return status, json.loads(payload)
