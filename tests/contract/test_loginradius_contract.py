"""The exact requests the LoginRadius connector sends, and how it reads the documented error bodies.

Requests: reference/vendors.md "Admin unlock (server side)" and "Find the UID" (Account APIs,
``/identity/v2/manage/account``), credentials in the ``X-LoginRadius-ApiKey`` /
``X-LoginRadius-ApiSecret`` headers. Error bodies: seeds 000 and 003, verbatim.
"""

from __future__ import annotations

import pytest

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import USER_AGENT
from local.simulators.base import Request
from local.simulators.loginradius import LoginRadiusSimulator
from tests.fixtures.loginradius import (
    ACCOUNT,
    API_KEY,
    API_SECRET,
    SEED_901,
    SEED_902,
    SEED_908,
    SEED_938,
    SEED_1079,
    UID,
    connector,
)
from tests.fixtures.loginradius import request as unlock_request


@pytest.fixture(autouse=True)
def sim(loginradius_sim: LoginRadiusSimulator) -> LoginRadiusSimulator:
    return loginradius_sim


def assert_authenticated(seen: Request) -> None:
    assert seen.header("x-loginradius-apikey") == API_KEY
    assert seen.header("x-loginradius-apisecret") == API_SECRET
    assert seen.header("user-agent") == USER_AGENT
    assert seen.header("authorization") is None
    for key in seen.query:
        assert key.lower() not in {"apikey", "apisecret", "access_token"}


def assert_lookup(seen: Request, query: dict[str, list[str]]) -> None:
    assert (seen.method, seen.path) == ("GET", ACCOUNT)
    assert seen.query == query
    assert seen.body == b""
    assert_authenticated(seen)


def assert_update(seen: Request, body: dict[str, bool]) -> None:
    assert (seen.method, seen.path) == ("PUT", f"{ACCOUNT}/{UID}")
    assert seen.query == {}
    assert seen.header("content-type") == "application/json"
    assert seen.json() == body
    assert list(seen.json()) == list(body)  # nothing else is sent: other profile fields stay untouched
    assert_authenticated(seen)


def test_unlock_by_email_is_lookup_then_account_update(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane+helpdesk@example.com", "jane", uid=UID)
    connector(sim).unlock(unlock_request(email="jane+helpdesk@example.com"))
    assert len(sim.requests) == 2
    assert_lookup(sim.requests[0], {"email": ["jane+helpdesk@example.com"]})
    assert_update(sim.requests[1], {"IsLoginLocked": False})


def test_unlock_by_username_uses_the_username_query(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane doe&co", uid=UID)
    connector(sim).unlock(unlock_request(username="jane doe&co"))
    assert len(sim.requests) == 2
    assert_lookup(sim.requests[0], {"userName": ["jane doe&co"]})
    assert_update(sim.requests[1], {"IsLoginLocked": False})


def test_unlock_by_uid_is_one_account_update(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    result = connector(sim).unlock(unlock_request(id=UID))
    assert len(sim.requests) == 1
    assert_update(sim.requests[0], {"IsLoginLocked": False})
    assert (result.vendor_reference, result.actions) == (UID, ["account.update:IsLoginLocked=false"])


def test_lift_block_adds_is_active_true(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID, blocked=True)
    result = connector(sim, lift_block=True).unlock(unlock_request(id=UID))
    assert len(sim.requests) == 1
    assert_update(sim.requests[0], {"IsLoginLocked": False, "IsActive": True})
    assert result.actions == ["account.update:IsLoginLocked=false", "account.update:IsActive=true"]


def test_raw_put_body_is_json(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    connector(sim).unlock(unlock_request(id=UID))
    assert sim.requests[0].body.replace(b" ", b"") == b'{"IsLoginLocked":false}'


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (400, SEED_1079, PermanentError, "bad_request"),
        (401, SEED_902, PermanentError, "bad_credentials"),
        (401, SEED_901, PermanentError, "bad_credentials"),
        (403, SEED_938, PermanentError, "user_not_found"),
        (400, SEED_908, PermanentError, "bad_request"),
        (
            403,
            {"ErrorCode": 991, "Message": "Account is blocked", "Description": "-"},
            PermanentError,
            "account_blocked",
        ),
        (200, SEED_938, PermanentError, "user_not_found"),  # an error body is an error whatever the status
        (
            400,
            {"ErrorCode": 950, "Message": "Unknown error", "Description": "try again"},
            TransientError,
            "vendor_unavailable",
        ),
        (401, {"Message": "Unauthorized"}, PermanentError, "bad_credentials"),
        (403, {"Message": "Forbidden"}, PermanentError, "forbidden"),
    ],
)
def test_documented_error_bodies_are_classified(
    sim: LoginRadiusSimulator, status: int, body: dict[str, object], kind: type[UnlockError], reason: str
) -> None:
    sim.fail(status, body)
    with pytest.raises(UnlockError) as caught:
        connector(sim).unlock(unlock_request(id=UID))
    assert type(caught.value) is kind
    assert caught.value.reason == reason
    assert caught.value.vendor_reference == UID
    assert len(sim.requests) == 1  # permanent answers and non-retryable statuses are sent once


def test_simulator_answers_the_seed_bodies(sim: LoginRadiusSimulator) -> None:
    """The simulator's own errors are the seed bodies (plus the documented extra fields)."""
    import requests

    sim.add_user("jane@example.com", "jane", uid=UID)
    url = f"{sim.url}{ACCOUNT}"
    good = {"X-LoginRadius-ApiKey": API_KEY, "X-LoginRadius-ApiSecret": API_SECRET}
    answers = [
        requests.get(url, params={"email": "x@example.com"}, headers=good, timeout=5),
        requests.get(
            url, params={"email": "x@example.com"}, headers={**good, "X-LoginRadius-ApiSecret": "no"}, timeout=5
        ),
        requests.get(url, params={"email": "x@example.com"}, headers={**good, "X-LoginRadius-ApiKey": "no"}, timeout=5),
        requests.get(url, params={"email": "x@example.com"}, timeout=5),
        requests.put(
            f"{url}/{UID}", data=b"{not json", headers={**good, "Content-Type": "application/json"}, timeout=5
        ),
    ]
    expected = [(403, SEED_938), (401, SEED_902), (401, SEED_901), (400, SEED_908), (400, SEED_1079)]
    for answer, (status, body) in zip(answers, expected, strict=True):
        assert answer.status_code == status
        assert {key: answer.json()[key] for key in ("ErrorCode", "Message", "Description")} == body
