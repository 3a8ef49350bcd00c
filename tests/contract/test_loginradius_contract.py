"""The exact requests the LoginRadius connector sends, and how it reads the documented error bodies.

Requests: reference/vendors.md "Admin unlock (server side)" and "Find the UID" (Account APIs,
``/identity/v2/manage/account``), credentials in the ``X-LoginRadius-ApiKey`` /
``X-LoginRadius-ApiSecret`` headers. Error bodies: seeds 000 and 003, verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import USER_AGENT
from account_unlock.models import UnlockRequest
from account_unlock.vendors.loginradius import LoginRadiusConnector
from local.simulators.base import Request
from local.simulators.loginradius import LoginRadiusSimulator

API_KEY = "0c5a9a1e-3f5b-4f4e-8a7d-6b2c1d0e9f8a"
API_SECRET = "b3f1c2d4-e5a6-4b7c-8d9e-0f1a2b3c4d5e"
UID = "9f3b2c1d0e4a4b5c8d7e6f5a4b3c2d1e"
ACCOUNT = "/identity/v2/manage/account"

# Error bodies exactly as the seed pages show them.
SEED_1079 = {
    "ErrorCode": 1079,
    "Message": "Put body is invalid or empty",
    "Description": "Please use a valid put body in JSON format in order to process this request.",
}
SEED_902 = {
    "ErrorCode": 902,
    "Message": "The API secret is unauthorized",
    "Description": "The provided LoginRadius API secret is invalid or is not authorized, please use a valid or "
    "authorized LoginRadius API secret or check the API secret for your LoginRadius account.",
}
SEED_938 = {
    "ErrorCode": 938,
    "Message": "User does not exist",
    "Description": "The user does not exist, please use a valid user in order to process this request.",
}
SEED_908 = {
    "ErrorCode": 908,
    "Message": "A parameter is not formatted correctly",
    "Description": "The apikey is a required parameter.",
}
SEED_901 = {
    "ErrorCode": 901,
    "Message": "The API key is unauthorized",
    "Description": "The provided LoginRadius API key is invalid or is not authorized, please use a valid or "
    "authorized LoginRadius API key or check the API key for your LoginRadius account.",
}


@pytest.fixture(scope="module")
def sim() -> Iterator[LoginRadiusSimulator]:
    simulator = LoginRadiusSimulator(API_KEY, API_SECRET).start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def fresh(sim: LoginRadiusSimulator) -> None:
    sim.clear()
    sim.users.clear()


def connector(sim: LoginRadiusSimulator, *, lift_block: bool = False) -> LoginRadiusConnector:
    built = LoginRadiusConnector.from_secret(
        {
            "vendor": "loginradius",
            "api_key": API_KEY,
            "api_secret": API_SECRET,
            "base_url": sim.url,
            "lift_block": lift_block,
        }
    )
    assert isinstance(built, LoginRadiusConnector)
    return built


def unlock_request(**user: str) -> UnlockRequest:
    return UnlockRequest.model_validate(
        {"request_id": "req-7", "origin": {"system": "jira", "ticket_id": "HD-7"}, "connection": "lr", "user": user}
    )


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
