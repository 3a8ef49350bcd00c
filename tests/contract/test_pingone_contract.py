"""The exact requests the PingOne connector sends (seed 002, reference/vendors.md), and how it reads the answers."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.vendors.pingone import PingOneConnector
from local.simulators.pingone import PingOneSimulator
from tests.fixtures.pingone import CLIENT_ID, CLIENT_SECRET, ENV, USER_ID, connector, request


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


def test_account_unlock_request_matches_the_seed(sim: PingOneSimulator) -> None:
    connector(sim).unlock(request({"id": USER_ID}))

    [unlock] = sim.calls("POST", f"/users/{USER_ID}$")
    assert unlock.path == f"/v1/environments/{ENV}/users/{USER_ID}"
    assert unlock.query == {}
    assert unlock.header("content-type") == "application/vnd.pingidentity.account.unlock+json"
    assert (unlock.header("authorization") or "").startswith("Bearer ")
    assert unlock.body == b""


def test_password_state_then_password_unlock(sim: PingOneSimulator) -> None:
    result = connector(sim).unlock(request({"id": USER_ID}))

    calls = [(c.method, c.path.removeprefix(f"/v1/environments/{ENV}")) for c in sim.requests if "/v1/" in c.path]
    assert calls == [
        ("POST", f"/users/{USER_ID}"),
        ("GET", f"/users/{USER_ID}/password"),
        ("POST", f"/users/{USER_ID}/password"),
    ]
    [password] = sim.calls("POST", "/password$")
    assert password.header("content-type") == "application/vnd.pingidentity.password.unlock+json"
    assert password.body == b""
    assert result.actions == ["account.unlock", "password.unlock"]


def test_password_not_touched_when_not_locked_or_disabled(sim: PingOneSimulator) -> None:
    sim.users[USER_ID].password_locked = False
    connector(sim).unlock(request({"id": USER_ID}))
    assert sim.calls("POST", "/password$") == []

    sim.clear()
    sim.users[USER_ID].password_locked = True
    connector(sim, unlock_password=False).unlock(request({"id": USER_ID}))
    assert sim.calls(path="/password$") == []


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
    assert len(sim.calls("POST", "/users/")) == 1


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
    assert len(sim.calls("POST", "/users/")) == 2


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
