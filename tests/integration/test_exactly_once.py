"""Exactly once per vendor write, across every retry: Lambda's async retries, a DLQ redrive, a replay.

A later step of one unlock fails transiently after an earlier vendor write succeeded. The retries of
the request must not repeat that write: the completed step is recorded in DynamoDB (moto) by
``RecordedSteps``, and each write reads the vendor's state first. Writes are counted at the simulator.
"""

from __future__ import annotations

import pytest

from local.samples import PINGONE_CONNECTION, ticket_body
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

    assert env.stack.invocations[-1].attempts == 2
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
