"""Wall-clock deadlines of an invocation's outbound calls: the vendors' (``vendor_budget``, which
``account_unlock.http`` enforces) and AWS's (``aws.deadline``).

A module of its own, with neither ``requests`` nor boto3, so that a function that sets a deadline imports
only the clients it calls (the webhook calls no vendor: it does not import ``requests``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Budget:
    """Wall-clock deadline for the vendor (or, ``aws.deadline``, the AWS) calls of the current invocation.

    Kept in a ``ContextVar``: each invocation sets its own, so two functions served by one process (the
    local stack's threads) never overwrite each other's deadline. A thread started for the invocation's
    work sees it only when run in a copy of the invocation's context (``contextvars.copy_context``).
    """

    def __init__(self, name: str) -> None:
        self._deadline: ContextVar[float] = ContextVar(name, default=math.inf)

    def start(self, seconds: float) -> None:
        self._deadline.set(time.monotonic() + seconds)

    def stop(self) -> None:
        """No deadline (between invocations)."""
        self._deadline.set(math.inf)

    def remaining(self) -> float:
        return self._deadline.get() - time.monotonic()

    @contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        """The deadline ``seconds`` from now for the calls inside the block, none after it."""
        self.start(seconds)
        try:
            yield
        finally:
            self.stop()


vendor_budget = Budget("vendor_deadline")
