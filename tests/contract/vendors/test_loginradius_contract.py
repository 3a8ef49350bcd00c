"""The exact requests the LoginRadius connector sends, and how it reads the documented error bodies.

Requests: Account Profiles by Email / by User Name / by UID and Account Update
(https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-profiles-by-uid/,
https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-update/), every path under
``https://api.loginradius.com`` + ``/identity/v2``; credentials in the ``X-LoginRadius-ApiKey`` /
``X-LoginRadius-ApiSecret`` headers (API Security,
https://www.loginradius.com/docs/api/v2/customer-identity-api/api-security/). Error bodies: LoginRadius's API
reference ("Unlock User", "Verify Password"), verbatim; statuses: Customer Identity API Codes
(https://www.loginradius.com/docs/api/v2/getting-started/response-codes/customer-identity-api-codes/).
"""

from __future__ import annotations

import pytest

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import USER_AGENT
from account_unlock.vendors.loginradius import LoginRadiusConnector
from local.simulators.base import Request
from local.simulators.loginradius import LoginRadiusSimulator
from tests.fixtures.loginradius import (
    ACCOUNT,
    API_KEY,
    API_SECRET,
    BODY_901,
    BODY_902,
    BODY_908,
    BODY_938,
    BODY_1079,
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


def assert_profile_by_uid(seen: Request) -> None:
    assert (seen.method, seen.path) == ("GET", f"{ACCOUNT}/{UID}")
    assert seen.query == {}
    assert seen.body == b""
    assert_authenticated(seen)


def test_unlock_by_uid_reads_the_profile_by_uid_then_updates(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    result = connector(sim).unlock(unlock_request(id=UID))
    assert len(sim.requests) == 2
    assert_profile_by_uid(sim.requests[0])  # Account Profiles by UID: IsLoginLocked is read first
    assert_update(sim.requests[1], {"IsLoginLocked": False})
    assert (result.vendor_reference, result.actions) == (UID, ["account.update:IsLoginLocked=false"])


def test_a_user_who_is_not_locked_gets_no_update(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID, locked=False)
    result = connector(sim).unlock(unlock_request(email="jane@example.com"))
    assert len(sim.requests) == 1
    assert_lookup(sim.requests[0], {"email": ["jane@example.com"]})
    assert result.already_unlocked
    assert result.vendor_reference == UID


def test_lift_block_adds_is_active_true(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID, blocked=True)
    result = connector(sim, lift_block=True).unlock(unlock_request(id=UID))
    assert len(sim.requests) == 2
    assert_update(sim.requests[1], {"IsLoginLocked": False, "IsActive": True})
    assert result.actions == ["account.update:IsLoginLocked=false", "account.update:IsActive=true"]


def test_lift_block_updates_a_blocked_user_who_is_not_login_locked(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID, locked=False, blocked=True)
    connector(sim, lift_block=True).unlock(unlock_request(id=UID))
    assert_update(sim.requests[1], {"IsLoginLocked": False, "IsActive": True})


def test_raw_put_body_is_json(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    connector(sim).unlock(unlock_request(id=UID))
    assert sim.requests[1].body.replace(b" ", b"") == b'{"IsLoginLocked":false}'


@pytest.mark.parametrize("suffix", ["", "/", "/identity/v2", "/identity/v2/"])
def test_base_url_with_or_without_the_identity_v2_suffix_is_never_doubled(
    sim: LoginRadiusSimulator, suffix: str
) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    built = connector(sim, base_url=sim.url + suffix)
    assert built.api == f"{sim.url}/identity/v2"
    built.unlock(unlock_request(email="jane@example.com"))
    assert [(seen.method, seen.path) for seen in sim.requests] == [("GET", ACCOUNT), ("PUT", f"{ACCOUNT}/{UID}")]


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.loginradius.com/identity",
        "https://api.loginradius.com/identity/v2/manage",
        "https://api.loginradius.com/v2",
        "https://api.loginradius.com//identity/v2",
        "https://api.loginradius.com/identity/v2/identity/v2",
        "https://user:pass@api.loginradius.com",
        "https://api.loginradius.com?apikey=x",
    ],
)
def test_any_other_base_url_path_is_config_invalid(base_url: str) -> None:
    with pytest.raises(PermanentError) as caught:
        LoginRadiusConnector.from_secret(
            {"vendor": "loginradius", "api_key": API_KEY, "api_secret": API_SECRET, "base_url": base_url}
        )
    assert caught.value.reason == "config_invalid"
    assert "base_url" in caught.value.message
    assert "pass" not in caught.value.message


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (400, BODY_1079, PermanentError, "bad_request"),
        (401, BODY_902, PermanentError, "bad_credentials"),
        (401, BODY_901, PermanentError, "bad_credentials"),
        (403, BODY_938, PermanentError, "user_not_found"),
        (400, BODY_908, PermanentError, "bad_request"),
        (
            403,
            {"ErrorCode": 991, "Message": "Account is blocked", "Description": "-"},
            PermanentError,
            "account_blocked",
        ),
        (200, BODY_938, PermanentError, "user_not_found"),  # an error body is an error whatever the status
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


def test_simulator_answers_the_documented_bodies_and_statuses(sim: LoginRadiusSimulator) -> None:
    """The simulator's own errors are the documented bodies, with the statuses of Customer Identity API Codes."""
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
        requests.get(f"{url}/not-a-known-uid", headers=good, timeout=5),
    ]
    # 938 403, 902 401, 901 403, 908 403, 1079 400: the "HTTP Code" column of Customer Identity API Codes.
    expected = [(403, BODY_938), (401, BODY_902), (403, BODY_901), (403, BODY_908), (400, BODY_1079), (403, BODY_938)]
    for answer, (status, body) in zip(answers, expected, strict=True):
        assert answer.status_code == status
        assert {key: answer.json()[key] for key in ("ErrorCode", "Message", "Description")} == body
