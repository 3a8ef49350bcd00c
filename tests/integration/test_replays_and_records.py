"""Nothing replayed, nothing swallowed: events older than the idempotency records, and outcomes that
could not be written.

An event keeps its ``time`` when it is replayed from the archive ("A replay processes events to replay
based on the time in the event", EventBridge API Reference, StartReplay,
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_StartReplay.html; moto's replay sends the
archived event as it was, plus ``replay-name``). An event stamped eight days ago stands for the archived
copy of a request handled eight days ago, whose idempotency records have expired since: without the
check it would unlock again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from account_unlock.config import settings
from local.samples import unlock_requested
from tests.integration.aws_refusals import refused
from tests.integration.helpers import audit_items, outcomes, unique

pytestmark = pytest.mark.integration

WORKFLOWS = "identity.workflows"  # a source the unlock rule accepts (UnlockRequestSources)


def bus(env) -> str:
    return env.stack.names[next(k for k, v in env.stack.resources.items() if v["Type"] == "AWS::Events::EventBus")]


def put_stamped(env, detail: dict[str, Any], at: datetime) -> None:
    """Put an "Unlock Requested" event whose ``time`` is ``at`` (PutEvents' ``Time``)."""
    entry = {"EventBusName": bus(env), "Source": WORKFLOWS, "DetailType": "Unlock Requested", "Time": at}
    response = env.stack.client("events").put_events(Entries=[entry | {"Detail": json.dumps(detail)}])
    assert response["FailedEntryCount"] == 0


def locked_user(env):
    name = unique("replay")
    return env.pingone.add_user(name, f"{name}@example.com")


def account_unlocks(env, user) -> int:
    return len(env.pingone.calls("POST", f"/users/{user.id}$"))


def emf(env, name: str) -> list[dict[str, Any]]:
    return [record for record in env.stack.output.records() if name in record and "_aws" in record]


# stale events ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "offset",
    [
        timedelta(days=8),  # the finding: a capture replayed after 8 days
        timedelta(seconds=settings().idempotency_ttl_seconds, minutes=1),
        timedelta(hours=-1),  # stamped an hour ahead: its records would outlive nothing
    ],
    ids=["8 days old", "just past the TTL", "an hour ahead"],
)
def test_an_event_outside_the_idempotency_window_is_a_recorded_stale_request(env, offset):
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})

    put_stamped(env, detail, datetime.now(UTC) - offset)
    [event] = outcomes(env)

    assert event["detail-type"] == "Unlock Failed"
    assert (event["detail"]["status"], event["detail"]["reason"]) == ("failed", "stale_request")
    assert event["detail"]["origin"]["ticket_id"] == detail["origin"]["ticket_id"]
    assert env.pingone.requests == []  # not even a look-up
    assert user.account_locked
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1  # permanent: not retried
    assert env.stack.drain("UnlockDeadLetterQueue") == []
    [item] = audit_items(env, detail["request_id"])
    assert item["reason"]["S"] == "stale_request"


def test_an_event_well_inside_the_window_still_unlocks(env):
    user = locked_user(env)
    age = timedelta(seconds=settings().idempotency_ttl_seconds) - timedelta(hours=1)

    put_stamped(env, unlock_requested({"username": user.username}), datetime.now(UTC) - age)
    [event] = outcomes(env)

    assert event["detail"]["reason"] == "unlocked"
    assert not user.account_locked


def test_an_archive_replay_keeps_the_original_time_and_is_refused(env):
    """The replayed copy of an 8-day-old event reaches the unlock function with its own time: refused."""
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})
    events = env.stack.client("events")
    archive = f"test-replay-{uuid.uuid4().hex[:8]}"
    source_arn = events.describe_event_bus(Name=bus(env))["Arn"]
    pattern = {"source": [WORKFLOWS], "detail": {"request_id": [detail["request_id"]]}}
    archive_arn = events.create_archive(
        ArchiveName=archive, EventSourceArn=source_arn, EventPattern=json.dumps(pattern)
    )["ArchiveArn"]
    stamped = datetime.now(UTC) - timedelta(days=8)
    try:
        put_stamped(env, detail, stamped)
        outcomes(env)  # the first delivery (refused too)
        events.start_replay(
            ReplayName=archive,
            EventSourceArn=archive_arn,
            EventStartTime=stamped - timedelta(minutes=1),
            EventEndTime=datetime.now(UTC),
            Destination={"Arn": source_arn},
        )
        [replayed] = outcomes(env)
    finally:
        events.delete_archive(ArchiveName=archive)

    delivered = env.stack.invocations_of("UnlockFunction")[-1].event
    assert delivered["replay-name"] == archive
    assert replayed["detail"]["reason"] == "stale_request"
    assert env.pingone.requests == []
    assert user.account_locked


# outcomes that cannot be written ------------------------------------------------------------------
def audit_table(env) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params["TableName"] == env.stack.names["AuditTable"]


def test_an_audit_refused_after_the_unlock_is_retried_without_a_second_vendor_write(env):
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})

    with refused("dynamodb", "PutItem", audit_table(env)) as refusals:
        env.stack.put_event("Unlock Requested", detail)
        [event] = outcomes(env)

    assert len(refusals) == 1
    assert (
        env.stack.invocations_of("UnlockFunction")[-1].attempts == 2
    )  # the failed write made Lambda retry the request
    assert event["detail"]["reason"] == "unlocked"
    assert event["detail"]["actions"] == ["account.unlock"]  # the retry got the recorded write back
    assert account_unlocks(env, user) == 1
    [item] = audit_items(env, detail["request_id"])
    assert item["status"]["S"] == "unlocked"
    [metric] = emf(env, "AuditWriteFailed")[-1:]
    assert metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert env.stack.drain("UnlockDeadLetterQueue") == []


def test_an_outcome_event_refused_is_retried_and_published_once(env):
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})

    with refused("events", "PutEvents", lambda params: params["Entries"][0]["Source"] == "account-unlock") as refusals:
        env.stack.put_event("Unlock Requested", detail)
        published = outcomes(env)

    assert len(refusals) == 1
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 2
    assert [event["detail"]["reason"] for event in published] == ["unlocked"]
    assert account_unlocks(env, user) == 1
    assert emf(env, "OutcomePublishFailed")[-1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_an_audit_refused_on_every_retry_ends_in_the_dead_letter_queue_not_in_silence(env):
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})

    with refused("dynamodb", "PutItem", audit_table(env), times=99):
        env.stack.put_event("Unlock Requested", detail)
        assert outcomes(env) == []

    [record] = env.stack.drain("UnlockDeadLetterQueue")
    assert record["requestPayload"]["detail"]["request_id"] == detail["request_id"]
    assert account_unlocks(env, user) == 1  # three attempts, one vendor write
    redriven = env.stack.invoke_async("UnlockFunction", record["requestPayload"])
    assert redriven.result["reason"] == "unlocked"
    assert account_unlocks(env, user) == 1
    assert len(audit_items(env, detail["request_id"])) == 1
