"""Completed vendor writes kept with Powertools Idempotency, keyed on the request and the step.

A retry of a request (in-process, Lambda's, a DLQ redrive, an archive replay within the TTL) gets a
completed write's recorded result instead of sending it again; a write that raised leaves no record,
so the retry can still make it. The records share the idempotency table and its TTL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

from account_unlock.business_key import business_key
from account_unlock.config import settings
from account_unlock.idempotency import persistence_layer
from account_unlock.steps import Steps, Write

step_persistence = persistence_layer(settings().idempotency_table)
step_config = IdempotencyConfig(expires_after_seconds=settings().idempotency_ttl_seconds)


class RecordedSteps(Steps):
    """The writes of the request whose JSON form (an ``UnlockRequest`` dump) is ``request``."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.key = business_key(request)

    def once(self, name: str, write: Callable[[], Write]) -> Write:
        recorded = recorded_write(step={"request": self.key, "step": name}, write=write)
        return Write(done=bool(recorded["done"]), reference=recorded.get("reference"))


@idempotent_function(data_keyword_argument="step", persistence_store=step_persistence, config=step_config)
def recorded_write(step: dict[str, Any], write: Callable[[], Write]) -> dict[str, Any]:
    result = write()
    return {"done": result.done, "reference": result.reference}
