"""Attempt limits of the self-service path: per access token and per source IP, per time window.

One DynamoDB item per (scope, key, window) holds an atomic counter: ``UpdateItem ADD attempts 1``
conditional on ``attempts < max``. When the condition fails the attempt is refused before any vendor
call. Tokens are keyed by their SHA-256 (the table never holds a token); items expire by TTL.

Windows are fixed (``floor(now / window)``): at a window boundary a client may get up to twice the
limit in a short time, which API Gateway's throttling bounds. When DynamoDB cannot be reached the
path fails closed (``TransientError``): an unlock is never attempted without its limit.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from account_unlock.aws import client
from account_unlock.errors import TransientError

# API Gateway's requestContext.identity.sourceIp: an IPv4 or IPv6 address.
SOURCE_IP = re.compile(r"^[0-9A-Fa-f:.]{2,45}$")


@dataclass(frozen=True)
class AttemptLimits:
    table: str
    per_token: int
    per_ip: int
    window_seconds: int


def limits() -> AttemptLimits:
    """Read from the environment that template.yaml gives the self-service function."""
    env = os.environ
    return AttemptLimits(
        table=env.get("SELF_SERVICE_ATTEMPTS_TABLE", "account-unlock-self-service-attempts"),
        per_token=max(1, int(env.get("SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN", "5"))),
        per_ip=max(1, int(env.get("SELF_SERVICE_MAX_ATTEMPTS_PER_IP", "20"))),
        window_seconds=max(1, int(env.get("SELF_SERVICE_ATTEMPT_WINDOW_SECONDS", "900"))),
    )


class AttemptLimitReached(Exception):
    """Too many attempts in the current window; ``retry_after`` seconds until it ends."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"attempt limit reached ({scope})")
        self.scope = scope
        self.retry_after = retry_after


def token_fingerprint(token: SecretStr) -> str:
    """SHA-256 of the token, hex: the only form of a token that is ever stored."""
    return hashlib.sha256(token.get_secret_value().encode()).hexdigest()


def register(source_ip: str, fingerprint: str | None, now: float | None = None) -> None:
    """Count one attempt for the source IP, then for the token; raise when either is over its limit.

    The IP is counted first, so a flood with ever new tokens from one address is stopped by the IP
    limit; a token's own limit holds across addresses.
    """
    settings = limits()
    now = time.time() if now is None else now
    window = int(now // settings.window_seconds)
    ends = (window + 1) * settings.window_seconds
    ip = source_ip if SOURCE_IP.fullmatch(source_ip or "") else "unknown"
    counters = [("ip", ip, settings.per_ip)]
    if fingerprint is not None:
        counters.append(("token", fingerprint, settings.per_token))
    for scope, key, maximum in counters:
        if not _count(settings, f"{scope}#{key}#{window}", maximum, expires_at=ends + settings.window_seconds):
            raise AttemptLimitReached(scope, max(1, math.ceil(ends - now)))


def _count(settings: AttemptLimits, key: str, maximum: int, expires_at: int) -> bool:
    """Add one attempt unless ``maximum`` is reached; ``False`` when it is."""
    try:
        client("dynamodb").update_item(
            TableName=settings.table,
            Key={"id": {"S": key}},
            UpdateExpression="ADD attempts :one SET expires_at = :expires",
            ConditionExpression="attribute_not_exists(attempts) OR attempts < :max",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":max": {"N": str(maximum)},
                ":expires": {"N": str(expires_at)},
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise TransientError("attempts_unavailable", "attempt counters could not be updated") from None
    except BotoCoreError:
        raise TransientError("attempts_unavailable", "attempt counters could not be reached") from None
    return True
