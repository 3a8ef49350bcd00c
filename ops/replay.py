"""Replay the bus archive for a time window into chosen rules (EventBridge StartReplay), and wait for it.

The replay's source is the stack's archive, its destination the stack's bus restricted to the given
rules (``Destination.FilterArns``; by default the unlock function's rule, so only requests are replayed
and no other consumer sees old events again). The filter on source and detail-type is that rule's
pattern (``UnlockRequestSources`` and the two request types); the archive itself keeps every event.
A replayed event keeps its original ``time`` ("A replay processes events to replay based on the time
in the event", EventBridge API Reference, StartReplay,
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_StartReplay.html), so an event older
than ``IdempotencyTtlDays`` comes back as ``stale_request`` (audited, no vendor call), and a newer one
returns the stored outcome of its business key: nothing is unlocked twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.aws import Aws
from ops.names import StackNames, idempotency_ttl

DONE = frozenset({"COMPLETED", "CANCELLED", "FAILED"})


@dataclass
class Replay:
    name: str
    archive: str
    rules: list[str]  # rule ARNs
    start: datetime
    end: datetime
    ttl: timedelta
    state: str = ""
    reason: str = ""
    described: dict[str, Any] | None = None

    def stale_before(self, now: datetime) -> datetime:
        return now - self.ttl


def rule_arns(aws: Aws, names: StackNames, rules: list[str]) -> list[str]:
    """ARNs of the rules, given by logical id (``UnlockFunctionUnlockRequests``) or by name."""
    events, arns = aws.client("events"), []
    for rule in rules:
        name = names.rules.get(rule, rule)
        arns.append(events.describe_rule(Name=name, EventBusName=names.bus)["Arn"])
    return arns


def replay(
    aws: Aws,
    names: StackNames,
    *,
    start: datetime,
    end: datetime,
    rules: list[str] | None = None,
    archive: str | None = None,
    name: str | None = None,
    poll_seconds: float = 5.0,
    on_state: Callable[[str], None] = lambda state: None,
) -> Replay:
    """Start the replay of ``[start, end]`` and poll DescribeReplay until it is done."""
    if start >= end:
        raise ValueError("--from must be before --to")
    events = aws.client("events")
    archive_name = archive or names.archive
    run = Replay(
        name=name or f"ops-{start:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        archive=archive_name,
        rules=rule_arns(aws, names, rules or names.default_replay_rules()),
        start=start,
        end=end,
        ttl=idempotency_ttl(aws, names),
    )
    events.start_replay(
        ReplayName=run.name,
        Description=f"account-unlock ops replay into {', '.join(rules or names.default_replay_rules())}",
        EventSourceArn=events.describe_archive(ArchiveName=archive_name)["ArchiveArn"],
        EventStartTime=start,
        EventEndTime=end,
        Destination={"Arn": events.describe_event_bus(Name=names.bus)["Arn"], "FilterArns": run.rules},
    )
    while True:
        described = events.describe_replay(ReplayName=run.name)
        if described["State"] != run.state:
            run.state = described["State"]
            on_state(run.state)
        if run.state in DONE:
            run.reason, run.described = described.get("StateReason", ""), described
            return run
        time.sleep(poll_seconds)
