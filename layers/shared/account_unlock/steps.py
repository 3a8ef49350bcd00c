"""The vendor writes of one unlock, each run at most once across every retry of the request.

One unlock can take several vendor writes (PingOne: the account, then the password). When a later
step fails transiently, the whole request is retried: in-process, by Lambda's async retries, from a
dead-letter queue redrive or an archive replay. Connectors therefore send each write through
``Steps.once``, and each write reads the vendor's state first and does nothing when there is nothing
to unlock (``Write(done=False)``). ``account_unlock.recorded_steps`` keeps each completed write under
the request's business key, so a retry gets the result back instead of writing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Write:
    """What one write step did: ``done`` is False when the vendor's state showed nothing to do."""

    done: bool
    reference: str | None = None


class Steps:
    """Runs each write as it comes: for one-off calls (tests of a single request, the benchmark)."""

    def once(self, name: str, write: Callable[[], Write]) -> Write:
        return write()
