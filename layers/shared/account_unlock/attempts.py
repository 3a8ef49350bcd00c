"""Attempt limits of the self-service path: per access token, and a higher ceiling per client network.

One DynamoDB item per (scope, key, window) holds an atomic counter: ``UpdateItem ADD attempts 1``
conditional on ``attempts < max``. When the condition fails the attempt is refused before any vendor
call. Tokens are keyed by the SHA-256 of their normalised form (the table never holds a token); items
expire by TTL.

The token limit is the per-user limit: LoginRadius issues a token per signed-in session, and neither
self-service call names the user, so the token is what is known of the user before the vendor call.
The per-IP limit is only a ceiling against floods of fresh tokens, high enough for many users behind
one NAT; an IPv6 client counts per /64 (one subscriber's prefix), so rotating addresses gain nothing.

Windows are fixed (``floor(now / window)``): at a window boundary a client may get up to twice the
limit in a short time, which API Gateway's throttling bounds. When DynamoDB cannot be reached the
path fails closed (``TransientError``): an unlock is never attempted without its limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from account_unlock.aws import client
from account_unlock.config import AttemptLimits, settings
from account_unlock.errors import TransientError

IPV6_CLIENT_PREFIX = 64


def limits() -> AttemptLimits:
    """The limits of the container's settings (``config.settings``, read once)."""
    return settings().attempt_limits


class AttemptLimitReached(Exception):
    """Too many attempts in the current window; ``retry_after`` seconds until it ends."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"attempt limit reached ({scope})")
        self.scope = scope
        self.retry_after = retry_after


def token_fingerprint(token: SecretStr) -> str:
    """SHA-256 of the token as counted, hex: the only form of a token that is ever stored.

    The token is trimmed, stripped of base64 padding and lower-cased first, so that spelling one token
    another way never earns it a fresh counter (tokens that differ only so share one: stricter, never looser).
    """
    counted = token.get_secret_value().strip().rstrip("=").lower()
    return hashlib.sha256(counted.encode("utf-8", "surrogatepass")).hexdigest()


def client_network(source_ip: str) -> str:
    """The key of the per-IP counter: an IPv4 address, an IPv6 /64, or ``unknown``."""
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def register(source_ip: str, fingerprint: str | None, now: float | None = None) -> None:
    """Count one attempt for the token, then for the client network; raise when either is over its limit.

    The token is counted first, so a token over its limit no longer uses up its network's allowance
    (one user retrying after a 429 does not lock out the others behind the same NAT); a flood with
    ever new tokens from one network is stopped by the network's ceiling.
    """
    rules = limits()
    now = time.time() if now is None else now
    window = int(now // rules.window_seconds)
    ends = (window + 1) * rules.window_seconds
    counters = [("ip", client_network(source_ip), rules.per_ip)]
    if fingerprint is not None:
        counters.insert(0, ("token", fingerprint, rules.per_token))
    for scope, key, maximum in counters:
        if not _count(rules, f"{scope}#{key}#{window}", maximum, expires_at=ends + rules.window_seconds):
            raise AttemptLimitReached(scope, max(1, math.ceil(ends - now)))


def _count(rules: AttemptLimits, key: str, maximum: int, expires_at: int) -> bool:
    """Add one attempt unless ``maximum`` is reached; ``False`` when it is."""
    try:
        client("dynamodb").update_item(
            TableName=rules.table,
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
