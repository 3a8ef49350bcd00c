"""AWS refusing one kind of call of the functions, picked by its parameters (one table, one source).

``local/aws_faults.py`` fails every call of an operation (all PutItems, whichever the table); the
unlock function writes its idempotency records, its recorded steps and its audit item with PutItem,
so refusing the audit item alone needs the call's parameters. This uses botocore's ``before-call``
hook on the functions' own client (``account_unlock.aws.client``), the mechanism of botocore's
Stubber: a matching call is answered with the AWS error at once (after botocore's retries, as it
were), every other call goes on to the moto server.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSResponse

from account_unlock import aws


@contextlib.contextmanager
def refused(
    service: str,
    operation: str,
    when: Callable[[dict[str, Any]], bool],
    *,
    times: int = 1,
    code: str = "InternalServerError",
    status: int = 500,
) -> Iterator[list[dict[str, Any]]]:
    """Refuse the next ``times`` ``operation`` calls whose parameters satisfy ``when``; yields those parameters."""
    client = aws.client(service)
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    hook = f"refuse-{service}-{operation}"
    seen: list[dict[str, Any]] = []

    def refuse(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        sent = json.loads(params.get("body") or b"{}")
        if len(seen) >= times or not when(sent):
            return None
        seen.append(sent)
        error = {
            "Error": {"Code": code, "Message": "refused by the test"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse(params.get("url"), status, {}, None), error

    client.meta.events.register(event, refuse, unique_id=hook)
    try:
        yield seen
    finally:
        client.meta.events.unregister(event, unique_id=hook)
