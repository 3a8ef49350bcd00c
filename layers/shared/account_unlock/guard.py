"""The policy guard at work (``account_unlock.policy`` decides; docs/policy.md describes it).

- Before any vendor call the caller checks the request's identifier (``Policy.check_user``).
- Before the first vendor write the connector hands what its look-up found to ``PolicySteps.admit``:
  ``Policy.check_account``, then the rate-limit admission.
- The admission counts one unlock for the user, the requester and the source, per connection, in one
  DynamoDB transaction (all of them or none), each update conditional on its limit, so concurrent
  unlocks never overshoot it. It runs as a recorded step of the request (``Steps.once``): a retried
  request (in-process, Lambda's async retry after a transient vendor failure, a DLQ redrive) gets its
  admission back and is not counted twice. A refusal is permanent (``rate_limited_policy``, with the
  limit in the message); a counter that cannot be reached fails closed (``TransientError``: retried).
- A dry run checks the limits without counting (``ConditionCheck`` items) and its writes are refused
  before they are sent (``policy.ReadOnlyHttp``): each write step reports what it would have done.

Windows are fixed (``floor(now / window_seconds)``), as for the self-service attempt limits: across a
window boundary up to twice a limit can pass in a short time. Counter keys hold SHA-256 digests of the
user, requester and source, never the values; items expire by TTL one window after their own.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from account_unlock.aws import client
from account_unlock.config import settings
from account_unlock.edge import count
from account_unlock.errors import PermanentError, TransientError
from account_unlock.models import UnlockRequest
from account_unlock.policy import RATE_LIMITED, REFUSALS, Policy, RateLimit
from account_unlock.steps import Account, Steps, Write, WriteBlocked

ADMISSION_STEP = "policy.admission"
UNDER_LIMIT = "attribute_not_exists(unlocks) OR unlocks < :max"


@dataclass(frozen=True)
class Subject:
    """Whom an unlock is for, who asked for it and through which source: the keys of the rate limits.

    ``user`` is the request's own identifier, counted when the look-up returned no vendor id.
    """

    connection: str
    user: str
    requester: str | None
    source: str

    @classmethod
    def of(cls, request: UnlockRequest) -> Subject:
        return cls(request.connection, request.user.describe(), request.requested_by, request.origin.system)


@dataclass(frozen=True)
class Counter:
    scope: str
    key: str
    limit: RateLimit
    what: str  # how the refusal names it: "of this user"

    def item(self, table: str, now: float, *, dry_run: bool) -> dict[str, Any]:
        """This counter's part of the transaction: an increment under the limit, or (dry run) the check alone."""
        window = int(now // self.limit.window_seconds)
        expires = (window + 2) * self.limit.window_seconds  # one window after this one ends
        digest = hashlib.sha256(self.key.casefold().encode("utf-8", "surrogatepass")).hexdigest()
        operation: dict[str, Any] = {
            "TableName": table,
            "Key": {"id": {"S": f"{self.scope}#{digest}#{self.limit.window_seconds}#{window}"}},
            "ConditionExpression": UNDER_LIMIT,
            "ExpressionAttributeValues": {":max": {"N": str(self.limit.max)}},
        }
        if dry_run:
            return {"ConditionCheck": operation}
        operation["UpdateExpression"] = "ADD unlocks :one SET expires_at = :expires"
        operation["ExpressionAttributeValues"] |= {":one": {"N": "1"}, ":expires": {"N": str(expires)}}
        return {"Update": operation}

    def refusal(self) -> PermanentError:
        limit = self.limit
        message = (
            f"refused by the connection's policy: at most {limit.max} unlocks {self.what} per {limit.window_seconds} s"
        )
        return PermanentError(RATE_LIMITED, message)


def counters(policy: Policy, subject: Subject, account: Account) -> list[Counter]:
    """The counters the policy limits, keyed per connection; the user by the vendor's id when known."""
    limits = policy.rate_limits
    user = f"id={account.ids[0]}" if account.ids else subject.user
    scopes = [
        ("user", user, limits.per_user, "of this user"),
        ("requester", subject.requester or "(none)", limits.per_requester, "requested by this requester"),
        ("source", subject.source, limits.per_source, "from this source"),
    ]
    return [Counter(f"{subject.connection}#{scope}", key, limit, what) for scope, key, limit, what in scopes if limit]


def take_admission(
    policy: Policy, subject: Subject, account: Account, *, dry_run: bool, now: float | None = None
) -> None:
    """Count one unlock on every limited counter, or none; raise the refusal of the first one full."""
    limited = counters(policy, subject, account)
    if not limited:
        return
    at = time.time() if now is None else now
    table = settings().policy_counters_table
    try:
        client("dynamodb").transact_write_items(
            TransactItems=[counter.item(table, at, dry_run=dry_run) for counter in limited]
        )
    except ClientError as exc:
        full = first_full(limited, exc)
        if full is not None:
            raise full.refusal() from None
        raise TransientError("policy_counters_unavailable", "policy counters could not be updated") from None
    except BotoCoreError:
        raise TransientError("policy_counters_unavailable", "policy counters could not be reached") from None


def first_full(limited: list[Counter], exc: ClientError) -> Counter | None:
    """The counter whose condition cancelled the transaction (``CancellationReasons`` are in item order)."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons") or []
    full = [
        counter
        for counter, reason in zip(limited, reasons, strict=False)
        if reason.get("Code") == "ConditionalCheckFailed"
    ]
    return full[0] if full else None


class PolicySteps(Steps):
    """The steps of one request under a policy: ``admit`` checks and counts once; a dry run writes nothing.

    ``inner`` records the writes (``RecordedSteps``); a dry run's are never recorded (``Steps``), so a
    later real run of the same request is not mistaken for one already done.
    """

    def __init__(self, inner: Steps, policy: Policy, subject: Subject, vendor: str) -> None:
        self.inner = inner
        self.policy = policy
        self.subject = subject
        self.vendor = vendor
        self.admitted = False

    def wanted(self) -> frozenset[str]:
        return self.policy.wanted

    def needs_account(self) -> bool:
        return self.policy.needs_account

    def admit(self, account: Account) -> None:
        if self.admitted:
            return
        self.policy.check_account(account, self.vendor)
        if self.policy.dry_run:
            take_admission(self.policy, self.subject, account, dry_run=True)
        elif counters(self.policy, self.subject, account):
            self.inner.once(ADMISSION_STEP, lambda: self._count(account))
        self.admitted = True

    def _count(self, account: Account) -> Write:
        take_admission(self.policy, self.subject, account, dry_run=False)
        return Write(done=True)

    def once(self, name: str, write: Callable[[], Write], *, pending: bool = True) -> Write:
        if not self.admitted:  # a connector without a look-up: the request's identifier was checked
            self.admit(Account())
        if not self.policy.dry_run or not pending:
            return self.inner.once(name, write, pending=pending)
        try:
            return write()
        except WriteBlocked:
            return Write(done=True, simulated=True)


def guarded(policy: Policy, recorded: Steps, request: UnlockRequest, vendor: str) -> Steps:
    """The steps a connector runs under: ``recorded`` as they are when the connection has no policy."""
    if not policy.active:
        return recorded
    return PolicySteps(Steps() if policy.dry_run else recorded, policy, Subject.of(request), vendor)


def count_refusal(reason: str) -> None:
    """``PolicyRefusals`` by ``reason`` (two values: bounded), flushed at once like every refusal count."""
    if reason in REFUSALS:
        count("PolicyRefusals", reason=reason)
