"""The stack's resource names, from CloudFormation (a deployed stack) or from template.yaml (the local stack).

Both read the same logical ids: the bus (``AWS::Events::EventBus``), its archive, ``AuditTable``, every
queue whose logical id ends in ``DeadLetterQueue`` and the rules of the functions' EventBridgeRule
events (SAM names such a rule ``<Function><Event>``, e.g. ``UnlockFunctionUnlockRequests``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from ops.aws import Aws

LOCAL_STACK_NAME = "account-unlock-local"  # what make run / make serve start (local/stack.py)
DEAD_LETTER_SUFFIX = "DeadLetterQueue"
AUDIT_TABLE = "AuditTable"
# The rules a replay sends into unless told otherwise: the unlock function's (requests only).
DEFAULT_REPLAY_RULE_PREFIX = "UnlockFunction"


class Template(Protocol):
    """What the local stack knows without running: the template's resources and their physical names."""

    stack_name: str
    names: dict[str, str]
    resources: dict[str, Any]


@dataclass(frozen=True)
class StackNames:
    stack: str
    bus: str
    archive: str
    audit_table: str
    dead_letter_queues: dict[str, str]  # logical id -> queue URL
    rules: dict[str, str]  # logical id -> rule name

    def default_replay_rules(self) -> list[str]:
        return sorted(logical for logical in self.rules if logical.startswith(DEFAULT_REPLAY_RULE_PREFIX))


class NamesError(Exception):
    """The stack lacks a resource the commands need."""


def only(found: dict[str, str], kind: str, stack: str) -> str:
    if len(found) != 1:
        raise NamesError(f"stack {stack} has {len(found)} {kind} resources, expected 1")
    return next(iter(found.values()))


def from_cloudformation(aws: Aws, stack: str) -> StackNames:
    """Names from the deployed stack's resources (ListStackResources)."""
    pages = aws.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
    by_type: dict[str, dict[str, str]] = {}
    for page in pages:
        for resource in page["StackResourceSummaries"]:
            physical = resource.get("PhysicalResourceId", "")
            by_type.setdefault(resource["ResourceType"], {})[resource["LogicalResourceId"]] = physical
    tables = by_type.get("AWS::DynamoDB::Table", {})
    if AUDIT_TABLE not in tables:
        raise NamesError(f"stack {stack} has no {AUDIT_TABLE}")
    queues = by_type.get("AWS::SQS::Queue", {})  # a queue's physical id is its URL
    return StackNames(
        stack=stack,
        bus=only(by_type.get("AWS::Events::EventBus", {}), "event bus", stack),
        archive=only(by_type.get("AWS::Events::Archive", {}), "archive", stack),
        audit_table=tables[AUDIT_TABLE],
        dead_letter_queues={k: v for k, v in queues.items() if k.endswith(DEAD_LETTER_SUFFIX)},
        # A rule on a custom bus has the physical id "<bus>|<rule>".
        rules={k: v.rsplit("|", 1)[-1] for k, v in by_type.get("AWS::Events::Rule", {}).items()},
    )


def from_template(aws: Aws, template: Template) -> StackNames:
    """Names as the local stack creates them from template.yaml (``local/stack.py``)."""
    of_type = lambda kind: {k: template.names[k] for k, v in template.resources.items() if v["Type"] == kind}  # noqa: E731
    sqs = aws.client("sqs")
    queues = of_type("AWS::SQS::Queue")
    return StackNames(
        stack=template.stack_name,
        bus=only(of_type("AWS::Events::EventBus"), "event bus", template.stack_name),
        archive=only(of_type("AWS::Events::Archive"), "archive", template.stack_name),
        audit_table=template.names[AUDIT_TABLE],
        dead_letter_queues={
            logical: sqs.get_queue_url(QueueName=name)["QueueUrl"]
            for logical, name in queues.items()
            if logical.endswith(DEAD_LETTER_SUFFIX)
        },
        rules=local_rules(template),
    )


def local_rules(template: Template) -> dict[str, str]:
    """The local stack names a function's EventBridgeRule event ``<stack>-<Function>-<Event>``."""
    return {
        f"{function}{event_name}": f"{template.stack_name}-{function}-{event_name}"
        for function, spec in template.resources.items()
        if spec["Type"] == "AWS::Serverless::Function"
        for event_name, event in spec["Properties"].get("Events", {}).items()
        if event["Type"] == "EventBridgeRule"
    }


def from_local_template(aws: Aws, stack_name: str = LOCAL_STACK_NAME) -> StackNames:
    """The names of a running ``make serve`` (or any local stack of that name), from template.yaml."""
    from local.stack import LocalStack  # the developer tools; a deployed stack never needs them

    return from_template(aws, LocalStack(stack_name))


def idempotency_ttl(aws: Aws, names: StackNames) -> timedelta:
    """``IdempotencyTtlDays``: the archive keeps events exactly that long (template.yaml), so its
    ``RetentionDays`` is the TTL. An event older than it (minus 5 minutes) comes back ``stale_request``."""
    archive = aws.client("events").describe_archive(ArchiveName=names.archive)
    return timedelta(days=int(archive.get("RetentionDays") or 0))
