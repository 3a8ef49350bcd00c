"""Completed vendor writes kept with Powertools Idempotency, keyed on the request and the step.

A retry of a request (in-process, Lambda's, a DLQ redrive, an archive replay within the TTL) gets a
completed write's recorded result instead of sending it again; a write that raised leaves no record,
so the retry can still make it. The records share the idempotency table and its TTL.

A step the connector knows has nothing to do (``pending=False``) costs one read instead of a record
written and completed: the record an earlier attempt left, if any, is what the step did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS

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

    def once(self, name: str, write: Callable[[], Write], *, pending: bool = True) -> Write:
        step = {"request": self.key, "step": name}
        recorded = recorded_write(step=step, write=write) if pending else earlier_write(step)
        return Write(done=bool(recorded["done"]), reference=recorded.get("reference"))


@idempotent_function(data_keyword_argument="step", persistence_store=step_persistence, config=step_config)
def recorded_write(step: dict[str, Any], write: Callable[[], Write]) -> dict[str, Any]:
    result = write()
    return {"done": result.done, "reference": result.reference}


# The name Powertools keys ``recorded_write``'s records under (its module and qualified name).
RECORDED_WRITE = f"{recorded_write.__module__}.{recorded_write.__qualname__}"


def earlier_write(step: dict[str, Any]) -> dict[str, Any]:
    """What an earlier attempt recorded for ``step`` (``recorded_write``'s record), read, not written.

    A record in progress whose claim has not lapsed raises as ``recorded_write`` would (the step may be
    running now: the request is retried later); a lapsed one is an attempt that stopped, and the state
    shows nothing left to do.
    """
    step_persistence.configure(step_config, RECORDED_WRITE)
    try:
        record = step_persistence.get_record(step)
    except IdempotencyItemNotFoundError:
        return {"done": False}
    if record is None or record.is_expired:
        return {"done": False}
    if record.status == STATUS_CONSTANTS["INPROGRESS"]:
        claimed_until = record.in_progress_expiry_timestamp
        if claimed_until is not None and claimed_until > time.time() * 1000:
            raise IdempotencyAlreadyInProgressError(f"step {step['step']} is in progress")
        return {"done": False}
    return record.response_json_as_dict() or {"done": False}
