"""An outcome event is published once, even when its idempotency record cannot be completed after it.

Powertools completes the request's record (an UpdateItem) after the handler returned; when that call
fails it raises, and leaves the record in progress. The outcome is on the bus by then: were the
invocation to fail, Lambda's retries would find the record in progress and dead-letter the request,
and the retry after the claim lapsed (Lambda's second retry, minutes later, or a redrive) would run the
request again and publish a second outcome. Found by the storm (tests/integration/test_storm.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from local.samples import unlock_requested
from local.storm import lapse_claims
from ops import redrive
from ops.aws import Aws
from ops.names import from_template
from tests.integration.aws_refusals import refused
from tests.integration.helpers import outcomes, unique

pytestmark = pytest.mark.integration


def completing_the_unlock_record(env) -> Any:
    """The UpdateItem that completes the unlock function's record of a request (not a step's)."""
    table = env.stack.names["IdempotencyTable"]
    return lambda params: params["TableName"] == table and ".unlock.unlock_once#" in params["Key"]["id"]["S"]


def test_an_outcome_published_before_its_record_failed_is_not_published_again(env):
    name = unique("once")
    user = env.pingone.add_user(name, f"{name}@example.com")

    with refused("dynamodb", "UpdateItem", completing_the_unlock_record(env)) as refusals:
        env.stack.put_event("Unlock Requested", unlock_requested({"username": name}))
        published = outcomes(env)
    lapse_claims(env)  # the end of the invocation's Lambda timeout: its claim lapses
    aws = Aws.local(env.stack.endpoint)  # then an operator redrives whatever was dead-lettered
    redrive.redrive(aws, from_template(aws, env.stack), dry_run=False, wait_seconds=0)
    published += outcomes(env)

    assert len(refusals) == 1
    assert [event["detail"]["reason"] for event in published] == ["unlocked"]
    [invocation] = env.stack.invocations_of("UnlockFunction")
    assert (invocation.attempts, invocation.error) == (1, None)
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1
    assert not user.account_locked
