"""Each vendor through the whole path: signed webhook → bus → unlock function → simulator."""

from __future__ import annotations

import pytest

from local.samples import (
    AUTH0_CONNECTION,
    GIGYA_CONNECTION,
    LOGINRADIUS_CONNECTION,
    OKTA_CONNECTION,
    PINGONE_CONNECTION,
    SAILPOINT_CONNECTION,
    ticket_body,
)
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration


def locked_user(env, vendor: str):
    """A locked user at ``vendor``: (connection, user reference, simulator, is-it-still-locked)."""
    name = unique("u")
    if vendor == "pingone":
        user = env.pingone.add_user(name, f"{name}@example.com")
        return PINGONE_CONNECTION, {"username": name}, env.pingone, lambda: user.account_locked
    if vendor == "loginradius":
        user = env.loginradius.add_user(f"{name}@example.com", name)
        return LOGINRADIUS_CONNECTION, {"email": f"{name}@example.com"}, env.loginradius, lambda: user.locked
    if vendor == "sailpoint":
        account = env.sailpoint.add_account(name)
        return SAILPOINT_CONNECTION, {"username": name}, env.sailpoint, lambda: account.locked
    if vendor == "okta":
        okta_user = env.okta.add_user(f"{name}@acme.example")
        return OKTA_CONNECTION, {"username": okta_user.login}, env.okta, lambda: okta_user.locked
    if vendor == "auth0":
        auth0_user = env.auth0.add_user(f"{name}@example.com", name)
        env.auth0.fail_sign_ins(auth0_user)
        return AUTH0_CONNECTION, {"email": auth0_user.email}, env.auth0, lambda: bool(auth0_user.blocks)
    account = env.gigya.add_account(unique("uid"), f"{name}@example.com")
    return GIGYA_CONNECTION, {"login_id": f"{name}@example.com"}, env.gigya, lambda: account.locked


VENDORS = ["pingone", "loginradius", "sailpoint", "gigya", "okta", "auth0"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_resolved_ticket_unlocks_at_the_vendor(env, vendor):
    connection, user, _, is_locked = locked_user(env, vendor)

    status, _ = post_webhook(env, ticket_body(unique("INC"), user, connection=connection))
    [event] = outcomes(env)

    assert status == 202
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["vendor"] == vendor
    assert event["detail"]["vendor_reference"]
    assert not is_locked()


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_down_until_retries_run_out_reaches_the_dead_letter_queue(env, vendor):
    connection, user, simulator, is_locked = locked_user(env, vendor)
    simulator.fail(503, {"message": "unavailable"}, headers={"Retry-After": "0"}, times=1000)

    post_webhook(env, ticket_body(unique("INC"), user, connection=connection))
    published = outcomes(env)
    simulator.clear()

    assert published == []
    [record] = env.stack.drain("UnlockDeadLetterQueue")
    assert record["requestPayload"]["detail"]["connection"] == connection
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert is_locked()


@pytest.mark.parametrize("vendor", VENDORS)
def test_unknown_user_is_a_permanent_failure(env, vendor):
    connection, _, _, _ = locked_user(env, vendor)
    user = {
        "pingone": {"username": "ghost"},
        "loginradius": {"email": "ghost@example.com"},
        "sailpoint": {"username": "ghost"},
        "gigya": {"login_id": "ghost@example.com"},
        "okta": {"username": "ghost@acme.example"},
        "auth0": {"email": "ghost@example.com"},
    }[vendor]

    post_webhook(env, ticket_body(unique("INC"), user, connection=connection))
    [event] = outcomes(env)

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "user_not_found"
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1
    assert env.stack.drain("UnlockDeadLetterQueue") == []
