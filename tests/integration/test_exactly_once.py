"""Exactly once per vendor write, across every retry: Lambda's async retries, a DLQ redrive, a replay.

A later step of one unlock fails transiently after an earlier vendor write succeeded. The retries of
the request must not repeat that write: the completed step is recorded in DynamoDB (moto) by
``RecordedSteps``, and each write reads the vendor's state first. Writes are counted at the simulator.
"""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from account_unlock.recorded_steps import RecordedSteps
from account_unlock.steps import Write
from local.samples import (
    LOGINRADIUS_CONNECTION,
    PINGONE_CONNECTION,
    SAILPOINT_CONNECTION,
    ticket_body,
    unlock_requested,
)
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration

UNEXPECTED = {"id": "e1", "code": "UNEXPECTED_ERROR", "message": "The request could not be completed."}


def locked_out_pingone_user(env):
    """A PingOne user locked by an administrator and by failed sign-ins: two writes to unlock."""
    name = unique("p1")
    user = env.pingone.add_user(name, f"{name}@example.com", account_locked=True, password_locked=True)
    return user, ticket_body(unique("INC"), {"username": name}, connection=PINGONE_CONNECTION)


def test_lambda_retry_after_a_completed_password_unlock_does_not_repeat_it(env):
    user, body = locked_out_pingone_user(env)
    # The look-up (by username) and the password unlock succeed; re-reading the user by id then fails
    # through every in-process retry of the first invocation (4 attempts), so Lambda's async retry takes over.
    env.pingone.fail(500, UNEXPECTED, method="GET", path=f"/users/{user.id}$", times=4)

    post_webhook(env, body)
    [event] = outcomes(env)

    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 2
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["actions"] == ["password.unlock", "account.unlock"]
    assert env.pingone.events.count(("PASSWORD.UNLOCKED", user.id)) == 1
    assert len(env.pingone.calls("POST", f"/users/{user.id}/password$")) == 1
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1
    assert user.can_sign_in


def test_dead_letter_redrive_after_a_completed_write_does_not_repeat_it(env):
    user, body = locked_out_pingone_user(env)
    env.pingone.fail(500, UNEXPECTED, method="GET", path=f"/users/{user.id}$", times=1000)

    post_webhook(env, body)
    assert outcomes(env) == []
    [record] = env.stack.drain("UnlockDeadLetterQueue")
    env.pingone.faults.clear()

    redriven = env.stack.invoke_async("UnlockFunction", record["requestPayload"])

    assert redriven.error is None
    assert redriven.result["actions"] == ["password.unlock", "account.unlock"]
    assert len(env.pingone.calls("POST", f"/users/{user.id}/password$")) == 1
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1
    assert user.can_sign_in


def test_a_not_locked_user_is_already_unlocked_with_no_vendor_write(env):
    name = unique("free")
    env.pingone.add_user(name, f"{name}@example.com", account_locked=False)

    post_webhook(env, ticket_body(unique("INC"), {"username": name}, connection=PINGONE_CONNECTION))
    [event] = outcomes(env)

    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["status"] == "unlocked"
    assert event["detail"]["reason"] == "already_unlocked"
    assert event["detail"]["actions"] == []
    assert env.pingone.calls("POST", "/users/") == []


# Every vendor: the vendor applies the unlock, then answers 500 (it failed after committing the write).
# The write is not retried in-process (it may have happened); Lambda's retry reads the vendor's state and
# writes nothing more. Counted at the simulator.
GIGYA_READS_LOCKOUT = "gigya-reads-lockout"


def committed_then_failed(env, vendor: str):
    """(connection, user, write requests at the simulator, is-it-locked) for one locked user."""
    name = unique("w")
    failure = {"message": "internal error"}
    if vendor == "pingone":
        user = env.pingone.add_user(name, f"{name}@example.com")
        env.pingone.fail(500, failure, method="POST", path=f"/users/{user.id}$", handled=True)
        writes = lambda: env.pingone.calls("POST", f"/users/{user.id}$")  # noqa: E731
        return PINGONE_CONNECTION, {"username": name}, writes, lambda: user.account_locked
    if vendor == "loginradius":
        user = env.loginradius.add_user(f"{name}@example.com", name)
        env.loginradius.fail(500, failure, method="PUT", path=f"/manage/account/{user.uid}$", handled=True)
        writes = lambda: env.loginradius.calls("PUT", f"/manage/account/{user.uid}$")  # noqa: E731
        return LOGINRADIUS_CONNECTION, {"email": f"{name}@example.com"}, writes, lambda: user.locked
    if vendor == "sailpoint":
        account = env.sailpoint.add_account(name)
        env.sailpoint.fail(500, failure, method="POST", path="/unlock$", handled=True)
        writes = lambda: env.sailpoint.calls("POST", f"/accounts/{account.id}/unlock$")  # noqa: E731
        return SAILPOINT_CONNECTION, {"username": name}, writes, lambda: account.locked
    env.put_secret("connection", GIGYA_READS_LOCKOUT, env.gigya_connection(read_lockout_state=True))
    account = env.gigya.add_account(unique("uid"), f"{name}@example.com")
    env.gigya.fail(500, failure, method="POST", path="/accounts.rba.unlock$", handled=True)
    writes = lambda: env.gigya.calls("POST", "/accounts.rba.unlock$")  # noqa: E731
    return GIGYA_READS_LOCKOUT, {"id": account.uid}, writes, lambda: account.locked


@pytest.mark.parametrize("vendor", ["pingone", "loginradius", "sailpoint", "gigya"])
def test_a_write_committed_before_a_failure_is_not_repeated_by_the_retry(env, vendor):
    connection, user, writes, is_locked = committed_then_failed(env, vendor)

    env.stack.put_event("Unlock Requested", unlock_requested(user, connection=connection))
    [event] = outcomes(env)

    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 2
    assert len(writes()) == 1
    assert not is_locked()
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["reason"] == "already_unlocked"  # the retry found the user unlocked


# A step the connector's read shows has nothing to do is looked up, not recorded --------------------
def dynamodb_calls(env, before):
    return {
        op: env.stack.faults.calls[f"DynamoDB_20120810.{op}"] - before.get(op, 0)
        for op in ("PutItem", "UpdateItem", "GetItem")
    }


def test_a_step_with_nothing_to_do_costs_one_read_and_records_nothing(env):
    # Account locked, password not: the password step has nothing to do, the account step writes.
    name = unique("acct")
    user = env.pingone.add_user(name, f"{name}@example.com", account_locked=True, password_locked=False)
    before = dynamodb_calls(env, {})

    env.stack.put_event("Unlock Requested", unlock_requested({"username": name}, connection=PINGONE_CONNECTION))
    [event] = outcomes(env)

    assert event["detail"]["actions"] == ["account.unlock"]
    assert not user.account_locked
    # the request's record, the account step's record, the audit item; each record completed once;
    # the password step: one read (no earlier attempt wrote it), no record
    assert dynamodb_calls(env, before) == {"PutItem": 3, "UpdateItem": 2, "GetItem": 1}


def test_a_step_still_in_progress_is_not_taken_for_one_with_nothing_to_do(env):
    steps = RecordedSteps(unlock_requested({"username": unique("busy")}, connection=PINGONE_CONNECTION))
    seen: list[Write] = []

    def write() -> Write:  # while this runs, the step's record is in progress
        with pytest.raises(IdempotencyAlreadyInProgressError):
            steps.once("pingone.account.unlock", lambda: Write(done=True), pending=False)
        return Write(done=True)

    seen.append(steps.once("pingone.account.unlock", write))
    seen.append(steps.once("pingone.account.unlock", lambda: Write(done=False), pending=False))  # completed now
    seen.append(steps.once("another.step", lambda: Write(done=True), pending=False))  # never recorded

    assert [w.done for w in seen] == [True, True, False]
