"""The operator commands (``ops/``) end to end against the local stack: redrive, replay, export, status.

The commands run in-process through their function-level entry points, with a boto3 session on the
stack's AWS endpoint (the fault proxy in front of moto, so a test can make PutEvents fail) and the
names the local stack gives the template's resources; ``python -m ops --help`` also runs as a process.
Unlocks are counted at the PingOne simulator.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from local.aws_faults import failed_entries
from local.samples import unlock_requested
from local.template import ROOT
from ops import export, redrive, replay
from ops.aws import Aws
from ops.cli import main
from ops.names import StackNames, from_template
from tests.integration.helpers import outcomes, unique

pytestmark = pytest.mark.integration

PUT_EVENTS = "AWSEvents.PutEvents"
RATE_LIMITED = {"id": "e1", "code": "REQUEST_LIMITED", "message": "Too many requests."}


@pytest.fixture
def aws(env) -> Aws:
    return Aws.local(env.stack.endpoint)


@pytest.fixture
def names(env, aws) -> StackNames:
    return from_template(aws, env.stack)


@pytest.fixture
def faults(env):
    env.stack.faults.clear()
    yield env.stack.faults
    env.stack.faults.clear()


def locked_user(env):
    name = unique("ops")
    return env.pingone.add_user(name, f"{name}@example.com", account_locked=True)


def account_unlocks(env, user) -> int:
    return len(env.pingone.calls("POST", f"/users/{user.id}$"))


def last_unlock_event(env) -> dict:
    """What the unlock function was last invoked with (the write-back function runs after it)."""
    return env.stack.invocations_of("UnlockFunction")[-1].event


def dead_letter_count(env, queue: str = "UnlockDeadLetterQueue") -> int:
    attributes = env.stack.client("sqs").get_queue_attributes(
        QueueUrl=env.stack.queue_urls[queue], AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def dead_lettered_by_the_function(env, user) -> dict:
    """PingOne answers every look-up 429 with a Retry-After too long to wait in-process: each attempt
    raises, Lambda's two retries fail too, and the on-failure destination gets the record."""
    env.pingone.fail(429, RATE_LIMITED, headers={"Retry-After": "600"}, method="GET", path="/users", times=3)
    detail = unlock_requested({"username": user.username})
    env.stack.put_event("Unlock Requested", detail)
    assert outcomes(env) == []
    assert dead_letter_count(env) == 1
    return detail


def dead_lettered_by_the_rule(env, user) -> dict:
    """EventBridge cannot invoke the function (NO_PERMISSIONS is not retried): the rule's dead-letter queue."""
    env.stack.fail_deliveries("UnlockFunction", times=1, code="NO_PERMISSIONS")
    detail = unlock_requested({"username": user.username})
    env.stack.put_event("Unlock Requested", detail)
    assert outcomes(env) == []
    assert dead_letter_count(env) == 1
    return detail


# names ---------------------------------------------------------------------------------------------
def test_names_are_the_local_stacks_own(env, names):
    assert names.bus == env.stack.bus_name
    assert names.audit_table == env.stack.names["AuditTable"]
    # the same queue, through the endpoint the commands use
    url = names.dead_letter_queues["UnlockDeadLetterQueue"]
    assert url.rsplit("/", 1)[1] == env.stack.queue_urls["UnlockDeadLetterQueue"].rsplit("/", 1)[1]
    assert names.rules["UnlockFunctionUnlockRequests"] in [
        rule.name for rule in env.stack.functions["UnlockFunction"].rules
    ]
    assert names.default_replay_rules() == ["UnlockFunctionUnlockRequests"]


# redrive -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dead_letter", [dead_lettered_by_the_function, dead_lettered_by_the_rule])
def test_redrive_dry_run_changes_nothing_then_redrive_unlocks_once(env, aws, names, dead_letter):
    user = locked_user(env)
    detail = dead_letter(env, user)
    env.pingone.clear()

    dry = redrive.redrive(aws, names, dry_run=True, wait_seconds=0)

    [listed] = [letter.summary(datetime.now(UTC), dry.ttl) for letter in dry.letters]
    assert listed["request_id"] == detail["request_id"]
    assert listed["connection"] == detail["connection"]
    assert listed["user"] == {"username": user.username}
    assert listed["error"]
    assert listed["outcome"] == "would re-publish"
    assert not listed["stale"]
    assert outcomes(env) == []
    assert env.pingone.requests == []
    assert dead_letter_count(env) == 1  # still there, and visible again

    done = redrive.redrive(aws, names, dry_run=False, wait_seconds=0)

    assert done.kept == []
    [event] = outcomes(env)
    assert (event["detail"]["request_id"], event["detail"]["reason"]) == (detail["request_id"], "unlocked")
    assert account_unlocks(env, user) == 1
    assert not user.account_locked
    assert dead_letter_count(env) == 0


def test_a_redriven_event_keeps_its_time(env, aws, names):
    user = locked_user(env)
    dead_lettered_by_the_rule(env, user)
    [message] = env.stack.client("sqs").receive_message(
        QueueUrl=names.dead_letter_queues["UnlockDeadLetterQueue"], VisibilityTimeout=0
    )["Messages"]
    original = json.loads(message["Body"])["time"]

    redrive.redrive(aws, names, dry_run=False, wait_seconds=0)
    outcomes(env)

    assert last_unlock_event(env)["time"] == original


def test_a_put_events_failure_during_redrive_keeps_the_message(env, aws, names, faults):
    user = locked_user(env)
    detail = dead_lettered_by_the_function(env, user)
    env.pingone.clear()
    faults.arm(PUT_EVENTS, failed_entries(times=1))

    failed = redrive.redrive(aws, names, dry_run=False, wait_seconds=0)

    [kept] = failed.kept
    assert kept.outcome == "kept: PutEvents entry failed: InternalFailure"
    assert outcomes(env) == []
    assert dead_letter_count(env) == 1
    assert user.account_locked

    again = redrive.redrive(aws, names, dry_run=False, wait_seconds=0)

    assert again.kept == []
    [event] = outcomes(env)
    assert event["detail"]["request_id"] == detail["request_id"]
    assert account_unlocks(env, user) == 1
    assert dead_letter_count(env) == 0


def test_a_message_that_is_not_an_event_is_kept(env, aws, names):
    url = names.dead_letter_queues["UnlockDeadLetterQueue"]
    env.stack.client("sqs").send_message(QueueUrl=url, MessageBody="not json")

    report = redrive.redrive(aws, names, dry_run=False, wait_seconds=0)

    [kept] = report.kept
    assert kept.shape == redrive.UNRECOGNISED
    assert dead_letter_count(env) == 1
    env.stack.client("sqs").purge_queue(QueueUrl=env.stack.queue_urls["UnlockDeadLetterQueue"])


def test_redrive_from_the_command_line_prints_no_secret(env, names, capsys):
    user = locked_user(env)
    detail = dead_lettered_by_the_function(env, user)
    out = io.StringIO()

    code = main(["redrive", "--dry-run", "--endpoint-url", env.stack.endpoint, "--json"], stdout=out)

    assert code == 0
    [row] = json.loads(out.getvalue())["messages"]
    assert (row["request_id"], row["outcome"]) == (detail["request_id"], "would re-publish")
    # identifiers, the error and the age only: not the free text nor the requester
    assert detail["reason"] not in out.getvalue()
    assert detail["requested_by"] not in out.getvalue()
    human = io.StringIO()
    assert main(["redrive", "--endpoint-url", env.stack.endpoint], stdout=human) == 0
    assert "1 re-published and deleted, 0 kept" in human.getvalue()
    assert "stale_request" in human.getvalue()
    outcomes(env)
    assert account_unlocks(env, user) == 1


# replay --------------------------------------------------------------------------------------------
def test_replay_of_a_window_redelivers_and_unlocks_nothing_twice(env, aws, names):
    """The stack's archive holds every event of the session, and moto's replay ignores the window: an
    archive of this test's request alone (the archive's own EventPattern) keeps the replay to it."""
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})
    events = env.stack.client("events")
    archive = f"test-ops-{uuid.uuid4().hex[:8]}"
    bus_arn = events.describe_event_bus(Name=names.bus)["Arn"]
    pattern = {"detail": {"request_id": [detail["request_id"]]}}
    events.create_archive(
        ArchiveName=archive, EventSourceArn=bus_arn, EventPattern=json.dumps(pattern), RetentionDays=7
    )
    start = datetime.now(UTC) - timedelta(minutes=1)
    try:
        env.stack.put_event("Unlock Requested", detail)
        [first] = outcomes(env)
        assert first["detail"]["reason"] == "unlocked"
        states: list[str] = []

        done = replay.replay(
            aws, names, start=start, end=datetime.now(UTC), archive=archive, poll_seconds=0, on_state=states.append
        )
        replayed = outcomes(env)
    finally:
        events.delete_archive(ArchiveName=archive)

    assert done.state == "COMPLETED"
    assert states[-1] == "COMPLETED"
    assert done.rules == [
        events.describe_rule(Name=names.rules["UnlockFunctionUnlockRequests"], EventBusName=names.bus)["Arn"]
    ]
    assert [e["detail"]["request_id"] for e in replayed] == [detail["request_id"]]
    assert last_unlock_event(env)["replay-name"] == done.name
    assert replayed[0]["detail"]["reason"] == "unlocked"  # the stored outcome of the business key
    assert account_unlocks(env, user) == 1
    assert done.ttl == timedelta(days=7)


def test_replay_refuses_an_empty_window(aws, names):
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="before"):
        replay.replay(aws, names, start=now, end=now - timedelta(hours=1))


# export --------------------------------------------------------------------------------------------
def test_export_of_a_window_as_json_lines_and_csv(env, aws, names):
    start = datetime.now(UTC)
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})
    env.stack.put_event("Unlock Requested", detail)
    outcomes(env)
    end = datetime.now(UTC)

    items = export.audit_items(aws, names, start=start, end=end)

    [item] = [item for item in items if item["request_id"] == detail["request_id"]]
    assert item["status"] == "unlocked"
    assert item["user"] == {"username": user.username}
    assert all(start.isoformat() <= i["recorded_at"] <= end.isoformat() for i in items)
    assert export.audit_items(aws, names, start=end + timedelta(seconds=1), end=end + timedelta(hours=1)) == []

    lines, table = io.StringIO(), io.StringIO()
    export.write_jsonl(items, lines)
    export.write_csv(items, table)
    assert detail["request_id"] in [json.loads(line)["request_id"] for line in lines.getvalue().splitlines()]
    header, *rows = table.getvalue().splitlines()
    assert header.startswith("recorded_at,request_id,status,reason")
    assert any(detail["request_id"] in row and f"username={user.username}" in row for row in rows)


def test_a_csv_cell_is_never_a_formula():
    assert export.cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert export.cell({"username": "jdoe"}) == "username=jdoe"


# the command itself --------------------------------------------------------------------------------
def test_python_m_ops_help_runs_as_a_process():
    result = subprocess.run(
        [sys.executable, "-m", "ops", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    for command in ("status", "redrive", "replay", "export"):
        assert command in result.stdout


def test_the_command_needs_a_stack_or_an_endpoint(capsys):
    assert main(["redrive", "--dry-run"]) == 2
    assert "--stack" in capsys.readouterr().err


# status --------------------------------------------------------------------------------------------
def unlocked_request(env) -> tuple:
    user = locked_user(env)
    detail = unlock_requested({"username": user.username})
    env.stack.put_event("Unlock Requested", detail)
    outcomes(env)
    return user, detail


def test_status_of_a_request(env):
    user, detail = unlocked_request(env)
    out = io.StringIO()

    assert (
        main(["status", "--request", detail["request_id"], "--endpoint-url", env.stack.endpoint, "--json"], stdout=out)
        == 0
    )

    summary = json.loads(out.getvalue())
    assert summary["request_id"] == detail["request_id"]
    assert summary["decision"]["reason"] == "unlocked"
    assert summary["user"] == {"username": user.username}
    human = io.StringIO()
    assert main(["status", "--request", detail["request_id"], "--endpoint-url", env.stack.endpoint], stdout=human) == 0
    assert f"request {detail['request_id']}" in human.getvalue()
    assert "decision   unlocked (unlocked)" in human.getvalue()


def test_status_of_an_unknown_request_exits_1(env):
    out = io.StringIO()
    assert main(["status", "--request", str(uuid.uuid4()), "--endpoint-url", env.stack.endpoint], stdout=out) == 1
    assert out.getvalue() == "no audit item names it\n"


def test_status_and_export_by_ticket_and_by_user(env, aws, names):
    start = datetime.now(UTC)
    user, detail = unlocked_request(env)
    origin = detail["origin"]
    out = io.StringIO()

    ticket = f"{origin['system']}:{origin['ticket_id']}"
    assert main(["status", "--ticket", ticket, "--endpoint-url", env.stack.endpoint, "--json"], stdout=out) == 0
    assert [s["request_id"] for s in json.loads(out.getvalue())] == [detail["request_id"]]
    by_user = io.StringIO()
    arguments = ["status", "--user", detail["connection"], f"username={user.username}", "--json"]
    assert main([*arguments, "--endpoint-url", env.stack.endpoint], stdout=by_user) == 0
    assert [s["request_id"] for s in json.loads(by_user.getvalue())] == [detail["request_id"]]

    end = datetime.now(UTC)
    for subject in (
        {"ticket": (origin["system"], origin["ticket_id"])},
        {"user": (detail["connection"], "username", user.username)},
    ):
        items = export.audit_items(aws, names, start=start, end=end, **subject)
        assert {item["request_id"] for item in items} == {detail["request_id"]}
