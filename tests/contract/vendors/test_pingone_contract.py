"""The exact requests the PingOne connector sends, and how it reads the answers.

Expected values come from PingOne Platform APIs: "User Account Unlock", "Read Password State",
"Password Unlock", "User Passwords" and "User Accounts"
(https://developer.pingidentity.com/pingone-api/platform/users/...).
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.vendors.pingone import PingOneConnector
from local.simulators.pingone import PingOneSimulator
from tests.fixtures.pingone import CLIENT_ID, CLIENT_SECRET, ENV, USER_ID, connector, request
from tests.fixtures.steps import MemorySteps


@pytest.fixture
def sim(pingone_sim: PingOneSimulator) -> PingOneSimulator:
    pingone_sim.add_user("jdoe", "jdoe@example.com", user_id=USER_ID, password_locked=True)
    return pingone_sim


def test_token_request_with_client_secret_basic(sim: PingOneSimulator) -> None:
    connector(sim).unlock(request({"id": USER_ID}))

    [token] = sim.calls("POST", "/as/token$")
    assert token.path == f"/{ENV}/as/token"
    assert token.header("content-type") == "application/x-www-form-urlencoded"
    assert parse_qs(token.body.decode()) == {"grant_type": ["client_credentials"]}
    scheme, _, credentials = (token.header("authorization") or "").partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"


def test_token_request_with_client_secret_post(sim: PingOneSimulator) -> None:
    connector(sim, client_auth="client_secret_post").unlock(request({"id": USER_ID}))

    [token] = sim.calls("POST", "/as/token$")
    assert token.header("authorization") is None
    assert parse_qs(token.body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
    }


def test_account_unlock_request_matches_user_account_unlock(sim: PingOneSimulator) -> None:
    sim.users[USER_ID].password_locked = False
    result = connector(sim).unlock(request({"id": USER_ID}))

    [unlock] = sim.calls("POST", f"/users/{USER_ID}$")
    assert unlock.path == f"/v1/environments/{ENV}/users/{USER_ID}"
    assert unlock.query == {}
    assert unlock.header("content-type") == "application/vnd.pingidentity.account.unlock+json"
    assert (unlock.header("authorization") or "").startswith("Bearer ")
    assert unlock.body == b""
    assert result.actions == ["account.unlock"]


def test_failed_sign_ins_unlock_the_password_which_unlocks_the_account(sim: PingOneSimulator) -> None:
    """ "User Passwords": failed sign-ins give PASSWORD_LOCKED_OUT; "Password Unlock" then also unlocks an
    account whose only lock was the password, so no account unlock is sent after it."""
    user = sim.users[USER_ID]
    user.account_locked = user.password_locked = False
    sim.fail_sign_ins(user)

    result = connector(sim).unlock(request({"id": USER_ID}))

    calls = [(c.method, c.path.removeprefix(f"/v1/environments/{ENV}")) for c in sim.requests if "/v1/" in c.path]
    assert calls == [
        ("GET", f"/users/{USER_ID}"),
        ("GET", f"/users/{USER_ID}/password"),
        ("POST", f"/users/{USER_ID}/password"),
        ("GET", f"/users/{USER_ID}"),
    ]
    [password] = sim.calls("POST", "/password$")
    assert password.header("content-type") == "application/vnd.pingidentity.password.unlock+json"
    assert password.body == b""
    assert result.actions == ["password.unlock"]
    assert user.can_sign_in
    assert sim.events == [("PASSWORD.UNLOCKED", USER_ID), ("USER.UNLOCKED", USER_ID)]


def test_password_locked_out_and_account_locked_by_an_admin_unlocks_both(sim: PingOneSimulator) -> None:
    result = connector(sim).unlock(request({"id": USER_ID}))

    assert result.actions == ["password.unlock", "account.unlock"]
    assert sim.users[USER_ID].can_sign_in
    assert sim.events == [("PASSWORD.UNLOCKED", USER_ID), ("USER.UNLOCKED", USER_ID)]


@pytest.mark.parametrize("status", ["OK", "NO_PASSWORD", "PASSWORD_EXPIRED", "MUST_CHANGE_PASSWORD", "EXTERNAL"])
def test_only_password_locked_out_is_unlocked(sim: PingOneSimulator, status: str) -> None:
    """The password statuses of "User Passwords": only PASSWORD_LOCKED_OUT is a lockout to clear."""
    user = sim.users[USER_ID]
    user.password_locked, user.password_status = False, status

    result = connector(sim).unlock(request({"id": USER_ID}))

    assert sim.calls("POST", "/password$") == []
    assert result.actions == ["account.unlock"]


def test_password_not_touched_when_disabled(sim: PingOneSimulator) -> None:
    result = connector(sim, unlock_password=False).unlock(request({"id": USER_ID}))
    assert sim.calls(path="/password$") == []
    assert result.actions == ["account.unlock"]


def test_not_locked_user_gets_no_write_and_is_already_unlocked(sim: PingOneSimulator) -> None:
    user = sim.users[USER_ID]
    user.account_locked = user.password_locked = False

    result = connector(sim).unlock(request({"username": "jdoe"}))

    assert [c.method for c in sim.requests if "/v1/" in c.path] == ["GET", "GET"]  # the user, the password state
    assert result.actions == []
    assert result.already_unlocked
    assert sim.events == []


def test_account_unlock_answer_must_say_ok(sim: PingOneSimulator) -> None:
    """ "User Account Unlock" answers the user with account.status back to OK; anything else is not an unlock."""
    sim.users[USER_ID].password_locked = False
    still_locked = {
        "id": USER_ID,
        "environment": {"id": ENV},
        "account": {"canAuthenticate": False, "status": "LOCKED"},
    }
    sim.fail(200, still_locked, path=f"/users/{USER_ID}$", times=2)  # the read, then the unlock's answer

    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request({"id": USER_ID}))
    assert raised.value.reason == "unlock_not_confirmed"


def test_external_identity_provider_user_password_is_not_touched(sim: PingOneSimulator) -> None:
    """ "User Passwords": users of an authoritative identity provider cannot have password operations."""
    user = sim.add_user("fed", "fed@example.com", identity_provider="OPENID_CONNECT")

    result = connector(sim).unlock(request({"id": user.id}))

    assert sim.calls(path="/password$") == []
    assert result.actions == ["account.unlock"]
    assert "external identity provider" in result.message


def test_request_failed_on_the_password_does_not_fail_the_account_unlock(sim: PingOneSimulator) -> None:
    sim.fail(400, {"id": "e9", "code": "REQUEST_FAILED", "message": "managed externally"}, path="/password$")

    result = connector(sim).unlock(request({"id": USER_ID}))

    assert result.actions == ["account.unlock"]
    assert "REQUEST_FAILED" in result.message
    assert not sim.users[USER_ID].account_locked


@pytest.mark.parametrize("base_url", ["{url}/v1", "{url}/v1/", "{url}", "{url}/"])
def test_base_url_with_or_without_v1(sim: PingOneSimulator, base_url: str) -> None:
    built = connector(sim, base_url=base_url.format(url=sim.url))
    assert built.api == f"{sim.url}/v1"  # type: ignore[attr-defined]
    built.unlock(request({"id": USER_ID}))
    assert all(c.path.startswith("/v1/environments/") for c in sim.requests if "/as/token" not in c.path)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("username", 'username eq "jdoe"'), ("login_id", 'username eq "jdoe"'), ("email", 'email eq "jdoe@example.com"')],
)
def test_user_look_up_filter(sim: PingOneSimulator, kind: str, expected: str) -> None:
    value = "jdoe@example.com" if kind == "email" else "jdoe"
    connector(sim).unlock(request({kind: value}))

    [look_up] = sim.calls("GET", "/users$")
    assert look_up.path == f"/v1/environments/{ENV}/users"
    assert look_up.query == {"filter": [expected]}


@pytest.mark.parametrize(
    ("region", "api", "auth"),
    [
        ("com", "https://api.pingone.com/v1", "https://auth.pingone.com"),
        ("eu", "https://api.pingone.eu/v1", "https://auth.pingone.eu"),
        ("ca", "https://api.pingone.ca/v1", "https://auth.pingone.ca"),
        ("com.au", "https://api.pingone.com.au/v1", "https://auth.pingone.com.au"),
        ("sg", "https://api.pingone.sg/v1", "https://auth.pingone.sg"),
        ("asia", "https://api.pingone.asia/v1", "https://auth.pingone.asia"),
    ],
)
def test_regional_hosts(region: str, api: str, auth: str) -> None:
    built = PingOneConnector.from_secret(
        {"vendor": "pingone", "environment_id": ENV, "client_id": "c", "client_secret": "s", "region": region}
    )
    assert (built.api, built.auth) == (api, auth)  # type: ignore[attr-defined]


def test_unknown_region_is_a_configuration_error() -> None:
    with pytest.raises(PermanentError) as raised:
        PingOneConnector.from_secret(
            {"vendor": "pingone", "environment_id": ENV, "client_id": "c", "client_secret": "s3cr3t", "region": "us"}
        )
    assert raised.value.reason == "config_invalid"
    assert "region" in raised.value.message
    assert "s3cr3t" not in raised.value.message


@pytest.mark.parametrize(
    "user", [{"id": "../../environments"}, {"id": "not-a-uuid"}, {"ip": "10.0.0.1"}, {"username": 'x" or email pr "'}]
)
def test_invalid_identifiers_fail_before_any_request(sim: PingOneSimulator, user: dict[str, str]) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(user))
    assert raised.value.reason in {"invalid_identifier", "unsupported_identifier"}
    assert sim.requests == []


def test_unknown_user_id_is_permanent_not_found(sim: PingOneSimulator) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request({"id": "00000000-0000-4000-8000-000000000000"}))
    assert raised.value.reason == "user_not_found"
    assert raised.value.vendor_reference  # PingOne's error id
    assert sim.calls("POST", "/users/") == []


def test_bad_client_secret_is_permanent(sim: PingOneSimulator) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim, client_secret="wrong").unlock(request({"id": USER_ID}))
    assert raised.value.reason == "bad_credentials"
    assert "wrong" not in raised.value.message
    assert len(sim.calls("POST", "/as/token$")) == 1


def test_ambiguous_username(sim: PingOneSimulator) -> None:
    sim.add_user("jdoe", "other@example.com")
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request({"username": "jdoe"}))
    assert raised.value.reason == "ambiguous_user"
    assert sim.calls("POST", "/users/") == []


def test_access_failed_is_forbidden(sim: PingOneSimulator) -> None:
    sim.fail(403, {"id": "e1", "code": "ACCESS_FAILED", "message": "Insufficient permissions"}, path="/users/")
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request({"id": USER_ID}))
    assert raised.value.reason == "forbidden"
    assert "ACCESS_FAILED" in raised.value.message


def test_unexpected_error_is_transient_after_retries(sim: PingOneSimulator) -> None:
    built = connector(sim)
    built.http = VendorHttp("pingone", retries=1, backoff_factor=0)
    sim.fail(500, {"id": "e2", "code": "UNEXPECTED_ERROR", "message": "boom"}, path="/users/", times=5)
    with pytest.raises(TransientError) as raised:
        built.unlock(request({"id": USER_ID}))
    assert raised.value.reason == "vendor_unavailable"
    assert len(sim.calls("GET", "/users/")) == 2  # a read: retried in-process


def test_rate_limit_until_retries_run_out_is_transient_with_retry_after(sim: PingOneSimulator) -> None:
    built = connector(sim)
    built.http = VendorHttp("pingone", retries=1, backoff_factor=0)
    sim.fail(
        429,
        {"id": "e3", "code": "REQUEST_LIMITED", "message": "slow"},
        headers={"Retry-After": "1"},
        path="/users/",
        times=5,
    )
    with pytest.raises(TransientError) as raised:
        built.unlock(request({"id": USER_ID}))
    assert raised.value.reason in {"rate_limited", "vendor_unavailable"}
    assert raised.value.retry_after == 1


def test_transient_failure_after_the_password_unlock_never_repeats_it(sim: PingOneSimulator) -> None:
    """The password unlock succeeds, then re-reading the user fails until the retries run out: the retry of
    the request (same recorded steps) sends no second password unlock, only the remaining account unlock."""
    built = connector(sim)
    built.http = VendorHttp("pingone", retries=1, backoff_factor=0)
    steps = MemorySteps()
    sim.fail(200, sim.users[USER_ID].body(ENV), method="GET", path=f"/users/{USER_ID}$")  # the first read
    sim.fail(
        500,
        {"id": "e5", "code": "UNEXPECTED_ERROR", "message": "boom"},
        method="GET",
        path=f"/users/{USER_ID}$",
        times=2,
    )

    with pytest.raises(TransientError):
        built.unlock(request({"id": USER_ID}), steps)
    assert len(sim.calls("POST", "/password$")) == 1

    result = built.unlock(request({"id": USER_ID}), steps)

    assert len(sim.calls("POST", "/password$")) == 1
    assert len(sim.calls("POST", f"/users/{USER_ID}$")) == 1
    assert result.actions == ["password.unlock", "account.unlock"]
    assert sim.events == [("PASSWORD.UNLOCKED", USER_ID), ("USER.UNLOCKED", USER_ID)]


def test_retry_without_a_record_reads_the_state_and_repeats_no_write(sim: PingOneSimulator) -> None:
    """Second guard: a retry whose record is gone (an archive replay after the TTL) reads PingOne's state."""
    connector(sim).unlock(request({"id": USER_ID}))
    writes = list(sim.events)

    result = connector(sim).unlock(request({"id": USER_ID}))

    assert sim.events == writes
    assert result.already_unlocked


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_5xx_on_the_unlock_is_not_retried_in_process(sim: PingOneSimulator, status: int) -> None:
    """A 5xx on a write may come after PingOne acted: it is raised, never re-sent in-process."""
    sim.users[USER_ID].password_locked = False
    built = connector(sim)
    built.http = VendorHttp("pingone", retries=3, backoff_factor=0)
    sim.fail(
        status, {"id": "e6", "code": "UNEXPECTED_ERROR", "message": "boom"}, method="POST", path="/users/", times=5
    )

    with pytest.raises(TransientError):
        built.unlock(request({"id": USER_ID}))
    assert len(sim.calls("POST", f"/users/{USER_ID}$")) == 1


def test_a_late_answer_to_the_unlock_is_not_retried_in_process(sim: PingOneSimulator) -> None:
    """PingOne unlocks but answers after the read timeout: one POST, a transient error, then the retry of the
    request reads the account as OK and writes nothing."""
    sim.users[USER_ID].password_locked = False
    built = connector(sim)
    built.http = VendorHttp("pingone", retries=3, backoff_factor=0, read_timeout=0.2)
    sim.delay(1.0, method="POST", path=f"/users/{USER_ID}$")

    with pytest.raises(TransientError) as raised:
        built.unlock(request({"id": USER_ID}))
    assert raised.value.reason == "vendor_timeout"
    assert len(sim.calls("POST", f"/users/{USER_ID}$")) == 1
    assert not sim.users[USER_ID].account_locked

    assert built.unlock(request({"id": USER_ID})).already_unlocked
    assert len(sim.calls("POST", f"/users/{USER_ID}$")) == 1


def test_a_rate_limited_write_is_retried_in_process(sim: PingOneSimulator) -> None:
    """A 429 means PingOne refused before acting: the write is retried after Retry-After."""
    sim.users[USER_ID].password_locked = False
    built = connector(sim)
    built.http = VendorHttp("pingone", retries=2, backoff_factor=0)
    limited = {"id": "e7", "code": "REQUEST_LIMITED", "message": "slow"}
    sim.fail(429, limited, headers={"Retry-After": "0"}, method="POST", path=f"/users/{USER_ID}$")

    result = built.unlock(request({"id": USER_ID}))

    assert [c.status for c in sim.calls("POST", f"/users/{USER_ID}$")] == [429, 200]
    assert result.actions == ["account.unlock"]
