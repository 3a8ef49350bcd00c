"""Settings read from the environment that template.yaml gives each function."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class AttemptLimits:
    """The self-service attempt limits (``account_unlock.attempts``)."""

    table: str
    per_token: int
    per_ip: int
    window_seconds: int


@dataclass(frozen=True)
class Settings:
    secret_prefix: str
    event_bus_name: str
    idempotency_table: str
    delivery_table: str
    audit_table: str
    secret_max_age: int
    idempotency_ttl_seconds: int
    event_source: str
    attempt_limits: AttemptLimits
    policy_counters_table: str  # the rate limits of connection policies (account_unlock.guard)
    allowed_origins: str  # the self-service portal origins, comma-separated (parsed by self_service)


def settings() -> Settings:
    """The running function's settings, read once: a Lambda container runs one function, the local
    stack runs several in one process (``AWS_LAMBDA_FUNCTION_NAME``, which Lambda sets, tells them apart)."""
    return function_settings(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""))


@cache
def function_settings(function_name: str) -> Settings:
    """Every value has a safe default for local use."""
    env = os.environ
    return Settings(
        secret_prefix=env.get("SECRET_PREFIX", "account-unlock").rstrip("/"),
        event_bus_name=env.get("EVENT_BUS_NAME", "account-unlock"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", "account-unlock-idempotency"),
        delivery_table=env.get("DELIVERY_TABLE", "account-unlock-deliveries"),
        audit_table=env.get("AUDIT_TABLE", "account-unlock-audit"),
        secret_max_age=int(env.get("SECRET_MAX_AGE_SECONDS", "300")),
        idempotency_ttl_seconds=int(env.get("IDEMPOTENCY_TTL_DAYS", "7")) * 86400,
        event_source=env.get("EVENT_SOURCE", "account-unlock"),
        attempt_limits=AttemptLimits(
            table=env.get("SELF_SERVICE_ATTEMPTS_TABLE", "account-unlock-self-service-attempts"),
            per_token=max(1, int(env.get("SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN", "5"))),
            per_ip=max(1, int(env.get("SELF_SERVICE_MAX_ATTEMPTS_PER_IP", "100"))),
            window_seconds=max(1, int(env.get("SELF_SERVICE_ATTEMPT_WINDOW_SECONDS", "900"))),
        ),
        policy_counters_table=env.get("POLICY_COUNTERS_TABLE", "account-unlock-policy-counters"),
        allowed_origins=env.get("ALLOWED_ORIGINS", ""),
    )
