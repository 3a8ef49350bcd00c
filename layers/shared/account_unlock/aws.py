"""boto3 clients created on first use and reused for the life of the container.

Every AWS call, and every retry botocore makes of it, fits in the invocation's ``deadline``: an
attempt starts only when it (connect + read timeout) and the back-off botocore may sleep after it
both end before the deadline; otherwise ``DeadlineExceeded`` is raised at once, so the caller still
has time to answer (the webhook: 503 + Retry-After). A PutEvents whose answer timed out is not sent
again: its events may be on the bus, and the request-level retry is deduplicated by the unlock
function's business key. The deadline is unbounded until a function starts it.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from typing import Any

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from account_unlock import USER_AGENT
from account_unlock.budgets import Budget

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0  # DynamoDB and EventBridge answer in tens of milliseconds
MAX_ATTEMPTS = 3
ATTEMPT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
# Fixed once: botocore would otherwise assemble its User-Agent from some twenty parts twice per call,
# about a tenth of the CPU of a warm call here (one client, with and without). CloudTrail's userAgent still names the SDK.
AWS_USER_AGENT = (
    f"{USER_AGENT} Boto3/{boto3.__version__} Botocore/{botocore.__version__} "
    f"Python/{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
)
CLIENT_CONFIG = Config(
    user_agent=AWS_USER_AGENT,
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},  # the first attempt included
)
# What a refused, failing, throttled, slow or unreachable AWS call raises (after botocore's retries).
AWS_ERRORS = (BotoCoreError, ClientError)
# botocore numbers each attempt in this header: "attempt=2; max=3".
ATTEMPT_HEADER = re.compile(r"attempt=(\d+); max=(\d+)")

deadline = Budget("aws_deadline")


class DeadlineExceeded(BotoCoreError):
    fmt = "no time left for another attempt at {operation} before the deadline"


@cache
def client(service: str) -> Any:
    aws_client = boto3.client(service, config=CLIENT_CONFIG)
    aws_client.meta.events.register("before-send", refuse_past_deadline)
    aws_client.meta.events.register_first("needs-retry.eventbridge.PutEvents", no_resend_after_read_timeout)
    return aws_client


def attempt_seconds(attempt: int, max_attempts: int) -> float:
    """The longest one attempt can take, with botocore's back-off after it (standard mode: up to
    ``2 ** (attempt - 1)`` s, none after the last attempt)."""
    return ATTEMPT_SECONDS + (2.0 ** (attempt - 1) if attempt < max_attempts else 0.0)


def refuse_past_deadline(request: Any, event_name: str = "", **_: Any) -> None:
    """``before-send`` hook: an attempt that could overrun the deadline is not started."""
    header = request.headers.get("amz-sdk-request") or b""
    numbered = ATTEMPT_HEADER.search(header.decode() if isinstance(header, bytes) else header)
    attempt, max_attempts = (int(numbered[1]), int(numbered[2])) if numbered else (1, MAX_ATTEMPTS)
    if deadline.remaining() < attempt_seconds(attempt, max_attempts):
        raise DeadlineExceeded(operation=event_name.removeprefix("before-send."))


def no_resend_after_read_timeout(caught_exception: Exception | None = None, **_: Any) -> None:
    """``needs-retry`` hook of PutEvents: after a read timeout the events may be on the bus; stop here."""
    if isinstance(caught_exception, ReadTimeoutError):
        raise caught_exception
