"""The vendor writes of one unlock, each run at most once across every retry of the request.

One unlock can take several vendor writes (PingOne: the account, then the password). When a later
step fails transiently, the whole request is retried: in-process, by Lambda's async retries, from a
dead-letter queue redrive or an archive replay. Connectors therefore send each write through
``Steps.once``, and each write reads the vendor's state first and does nothing when there is nothing
to unlock (``Write(done=False)``). ``account_unlock.recorded_steps`` keeps each completed write under
the request's business key, so a retry gets the result back instead of writing again. A connector that
has already read the state says so (``pending=False`` when it shows nothing to unlock): then the step is
not run and nothing is recorded, but a write an earlier attempt of the request made is still reported.

Before its first write a connector hands what its look-up found (``Account``) to ``Steps.admit``: the
connection's policy (``account_unlock.guard``) refuses a protected account or an unlock over a rate
limit there, with nothing written. ``Steps.wanted`` names the attributes the policy checks, so a
connector makes the extra read some of them need (PingOne groups, LoginRadius roles…) only then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from account_unlock.errors import PermanentError


@dataclass(frozen=True)
class Write:
    """What one write step did: ``done`` is False when the vendor's state showed nothing to do.

    ``simulated``: a dry run stopped the write before it was sent (it would have been done).
    """

    done: bool
    reference: str | None = None
    simulated: bool = False


@dataclass(frozen=True)
class Account:
    """What a connector's look-up returned about the account to unlock, as the vendor spells it.

    ``attributes`` holds only what was read (``group``, ``role``, ``identity.department``…): an attribute
    the policy checks but the connector did not read is absent, and the policy refuses rather than guess.
    """

    ids: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class WriteBlocked(PermanentError):
    """A vendor write refused before it was sent: the connection is in dry-run mode."""

    def __init__(self, vendor: str) -> None:
        super().__init__("dry_run", f"dry run: a {vendor} write was not sent")


class Steps:
    """Runs each write as it comes: for one-off calls (tests of a single request, the benchmark).

    No policy: nothing is wanted and every account is admitted.
    """

    def wanted(self) -> frozenset[str]:
        """The account attributes the policy checks (``Account.attributes`` keys)."""
        return frozenset()

    def needs_account(self) -> bool:
        """Whether the policy checks the account at all: a connector that has not read it reads it then."""
        return False

    def admit(self, account: Account) -> None:
        """Raise ``PermanentError`` to stop the unlock before its first write."""

    def once(self, name: str, write: Callable[[], Write], *, pending: bool = True) -> Write:
        """Run ``write`` once across the request's retries. ``pending=False``: the vendor's state, read
        already, shows nothing to do; only what an earlier attempt wrote is returned."""
        return write() if pending else Write(done=False)


def values(raw: Any) -> tuple[str, ...]:
    """A vendor attribute as the strings a policy matches: a scalar, or the scalars of a list
    (``true``/``false`` for booleans, as JSON spells them); objects and nulls match nothing."""
    items = raw if isinstance(raw, list) else [raw]
    return tuple(json_text(item) for item in items if isinstance(item, str | int | float))


def json_text(item: str | float) -> str:
    return str(item).lower() if isinstance(item, bool) else str(item)
