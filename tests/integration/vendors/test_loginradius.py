"""LoginRadius connector against the LoginRadius simulator over real sockets.

The unlock reads ``IsLoginLocked`` first (Account Profiles by Email / by UID,
https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-profiles-by-uid/) and sends the
Account Update (https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-update/) through
``steps.once("loginradius.unlock", …)``: at most once across every retry of the request.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.steps import Steps
from account_unlock.vendors.loginradius import LoginRadiusConnector
from local.simulators.loginradius import LoginRadiusSimulator, error_body
from tests.fixtures.loginradius import ACCOUNT, API_KEY, API_SECRET, UID, connector, request
from tests.fixtures.steps import MemorySteps

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def sim(loginradius_sim: LoginRadiusSimulator) -> Iterator[LoginRadiusSimulator]:
    yield loginradius_sim
    # Whatever a test did, the API secret never travelled in a URL.
    for seen in loginradius_sim.requests:
        assert API_SECRET not in seen.path
        assert all(API_SECRET not in value for values in seen.query.values() for value in values)
        assert "apisecret" not in {key.lower() for key in seen.query}


def fast(built: LoginRadiusConnector) -> LoginRadiusConnector:
    built.http = VendorHttp("loginradius", retries=1, backoff_factor=0)
    return built


# success ---------------------------------------------------------------------------------------
def test_unlock_by_email(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    result = connector(sim).unlock(request(email="jane@example.com"))
    assert user.locked is False
    assert result.vendor_reference == UID
    assert result.actions == ["account.update:IsLoginLocked=false"]
    assert [(r.method, r.path) for r in sim.requests] == [("GET", ACCOUNT), ("PUT", f"{ACCOUNT}/{UID}")]
    assert sim.requests[0].query == {"email": ["jane@example.com"]}


def test_unlock_by_username(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane.doe", uid=UID)
    sim.add_user("other@example.com", "other")
    result = connector(sim).unlock(request(username="jane.doe"))
    assert user.locked is False
    assert result.vendor_reference == UID
    assert sim.requests[0].query == {"userName": ["jane.doe"]}


@pytest.mark.parametrize(("login_id", "query"), [("jane@example.com", "email"), ("jane.doe", "userName")])
def test_login_id_is_email_when_it_has_an_at_sign(sim: LoginRadiusSimulator, login_id: str, query: str) -> None:
    user = sim.add_user("jane@example.com", "jane.doe", uid=UID)
    assert connector(sim).unlock(request(login_id=login_id)).vendor_reference == UID
    assert user.locked is False
    assert sim.requests[0].query == {query: [login_id]}


def test_unlock_by_uid_reads_the_profile_by_uid_first(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    result = connector(sim).unlock(request(id=UID))
    assert user.locked is False
    assert result.vendor_reference == UID
    assert [(r.method, r.path) for r in sim.requests] == [("GET", f"{ACCOUNT}/{UID}"), ("PUT", f"{ACCOUNT}/{UID}")]


@pytest.mark.parametrize("user_ref", [{"id": UID}, {"email": "jane@example.com"}, {"username": "jane"}])
def test_a_user_who_is_not_locked_gets_no_write_and_no_actions(
    sim: LoginRadiusSimulator, user_ref: dict[str, str]
) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID, locked=False)
    result = connector(sim).unlock(request(**user_ref), Steps())
    assert user.locked is False
    assert sim.calls("PUT") == []
    assert result.actions == []
    assert result.already_unlocked
    assert result.vendor_reference == UID
    assert "already unlocked" in result.message


# exactly once ------------------------------------------------------------------------------------
def test_write_then_lost_answer_retried_with_the_same_steps_writes_once(sim: LoginRadiusSimulator) -> None:
    """The update is applied but its answer never arrives (read timeout): the retry reads the state."""
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    built = connector(sim)
    built.http = VendorHttp("loginradius", retries=0, read_timeout=0.2)
    sim.delay(1.0, path=f"{ACCOUNT}/{UID}$", method="PUT")  # handled at once, answered too late
    steps = MemorySteps()

    with pytest.raises(TransientError):
        built.unlock(request(email="jane@example.com"), steps)
    assert user.locked is False  # LoginRadius did act
    assert steps.recorded == {}  # nothing recorded: the write did not finish

    result = built.unlock(request(email="jane@example.com"), steps)

    assert len(sim.calls("PUT", f"{ACCOUNT}/{UID}$")) == 1
    assert len(sim.calls("GET", f"{ACCOUNT}$")) == 2
    assert result.already_unlocked


def test_recorded_write_is_not_repeated_by_a_retry_of_the_request(sim: LoginRadiusSimulator) -> None:
    """A later step of the request failed after the update: the retry gets the recorded write back."""
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    steps = MemorySteps()
    first = connector(sim).unlock(request(id=UID), steps)
    user.locked = True  # even if the user were locked again, the recorded write is not sent again

    again = connector(sim).unlock(request(id=UID), steps)

    assert len(sim.calls("PUT")) == 1
    assert again.actions == first.actions == ["account.update:IsLoginLocked=false"]
    assert set(steps.recorded) == {"loginradius.unlock"}


def test_transient_failure_of_the_read_sends_no_write(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    sim.fail(503, {"Message": "busy"}, method="GET", times=10)
    with pytest.raises(TransientError):
        fast(connector(sim)).unlock(request(id=UID), MemorySteps())
    assert sim.calls("PUT") == []


# Block-type lockouts ----------------------------------------------------------------------------
def test_block_is_lifted_when_the_connection_allows_it(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID, blocked=True)
    result = connector(sim, lift_block=True).unlock(request(email="jane@example.com"))
    assert (user.locked, user.blocked) == (False, False)
    assert result.actions == ["account.update:IsLoginLocked=false", "account.update:IsActive=true"]
    assert sim.calls("PUT")[0].json() == {"IsLoginLocked": False, "IsActive": True}


def test_block_is_kept_and_reported_when_lifting_is_off(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID, blocked=True)
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jane@example.com"))
    assert caught.value.reason == "account_blocked"
    assert caught.value.vendor_reference == UID
    assert "lift_block" in caught.value.message
    assert (user.locked, user.blocked) == (False, True)  # login lock cleared, block left in place
    assert sim.calls("PUT")[0].json() == {"IsLoginLocked": False}


def test_lift_block_on_an_active_account_changes_nothing_else(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    result = connector(sim, lift_block=True).unlock(request(id=UID))
    assert (user.locked, user.blocked) == (False, False)
    assert result.message == "account unlocked and block lifted"


# not confirmed ------------------------------------------------------------------------------------
def test_profile_still_locked_after_update_is_not_confirmed(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    sim.fail(200, {**user.profile(), "IsLoginLocked": True}, path=f"{ACCOUNT}/", method="PUT")
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=UID))
    assert caught.value.reason == "unlock_not_confirmed"
    assert caught.value.vendor_reference == UID


def test_profile_still_inactive_after_lifting_is_not_confirmed(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    sim.fail(200, {**user.profile(), "IsLoginLocked": False, "IsActive": False}, path=f"{ACCOUNT}/", method="PUT")
    with pytest.raises(PermanentError) as caught:
        connector(sim, lift_block=True).unlock(request(id=UID))
    assert caught.value.reason == "unlock_not_confirmed"


# user not found -----------------------------------------------------------------------------------
def test_unknown_email_is_permanent_and_not_retried(sim: LoginRadiusSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="nobody@example.com"))
    assert caught.value.reason == "user_not_found"
    assert "938" in caught.value.message
    assert len(sim.calls("GET")) == 1
    assert sim.calls("PUT") == []


def test_unknown_uid_is_permanent_and_not_retried(sim: LoginRadiusSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=UID))
    assert caught.value.reason == "user_not_found"
    assert caught.value.vendor_reference == UID
    assert len(sim.calls("GET", f"{ACCOUNT}/{UID}$")) == 1
    assert sim.calls("PUT") == []


def test_lookup_answering_http_404_is_user_not_found(sim: LoginRadiusSimulator) -> None:
    sim.fail(404, {"Message": "Not Found"}, path=f"{ACCOUNT}$")
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(username="ghost"))
    assert caught.value.reason == "user_not_found"
    assert len(sim.requests) == 1


def test_lookup_without_a_uid_is_user_not_found(sim: LoginRadiusSimulator) -> None:
    sim.fail(200, {}, path=f"{ACCOUNT}$")
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(username="ghost"))
    assert caught.value.reason == "user_not_found"
    assert sim.calls("PUT") == []


# credentials --------------------------------------------------------------------------------------
def test_wrong_api_secret_is_bad_credentials_902(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    with pytest.raises(PermanentError) as caught:
        connector(sim, api_secret="not-the-secret").unlock(request(email="jane@example.com"))
    assert caught.value.reason == "bad_credentials"
    assert "902" in caught.value.message
    assert "not-the-secret" not in caught.value.message
    assert len(sim.requests) == 1


def test_wrong_api_key_is_bad_credentials_901(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    with pytest.raises(PermanentError) as caught:
        connector(sim, api_key="00000000-0000-0000-0000-000000000000").unlock(request(id=UID))
    assert caught.value.reason == "bad_credentials"
    assert "901" in caught.value.message
    assert len(sim.requests) == 1
    assert sim.users[UID].locked is True


# transient failures --------------------------------------------------------------------------------
def test_rate_limited_then_success_honours_retry_after(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    sim.fail(429, {"Message": "Too Many Requests"}, headers={"Retry-After": "1"}, path=f"{ACCOUNT}$")
    result = connector(sim).unlock(request(email="jane@example.com"))
    assert result.vendor_reference == UID
    assert user.locked is False
    assert [r.method for r in sim.requests] == ["GET", "GET", "PUT"]


def test_unknown_error_950_until_retries_run_out_is_transient(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid=UID)
    sim.fail(500, error_body(950), times=10)
    with pytest.raises(TransientError) as caught:
        fast(connector(sim)).unlock(request(id=UID))
    assert caught.value.reason == "vendor_unavailable"
    assert caught.value.vendor_reference == UID
    assert len(sim.requests) == 2  # the first try and VendorHttp's one retry, no more
    assert sim.users[UID].locked is True


def test_503_until_retries_run_out_is_transient(sim: LoginRadiusSimulator) -> None:
    sim.fail(503, b"upstream unavailable", times=10)
    with pytest.raises(TransientError) as caught:
        fast(connector(sim)).unlock(request(email="jane@example.com"))
    assert caught.value.reason == "vendor_unavailable"
    assert len(sim.requests) == 2


def test_error_code_950_is_transient_whatever_the_status(sim: LoginRadiusSimulator) -> None:
    sim.fail(400, error_body(950))
    with pytest.raises(TransientError) as caught:
        connector(sim).unlock(request(id=UID))
    assert caught.value.reason == "vendor_unavailable"
    assert len(sim.requests) == 1  # not a status VendorHttp retries: left to the Lambda's retries


def test_unreachable_vendor_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    built = LoginRadiusConnector.from_secret(
        {"vendor": "loginradius", "api_key": API_KEY, "api_secret": API_SECRET, "base_url": f"http://127.0.0.1:{port}"}
    )
    built.http = VendorHttp("loginradius", retries=1, backoff_factor=0)
    with pytest.raises(TransientError) as caught:
        built.unlock(request(id=UID))
    assert caught.value.reason == "vendor_unavailable"


def test_retry_after_longer_than_allowed_is_transient_without_waiting(sim: LoginRadiusSimulator) -> None:
    sim.fail(429, {"Message": "Too Many Requests"}, headers={"Retry-After": "3600"})
    with pytest.raises(TransientError) as caught:
        connector(sim).unlock(request(id=UID))
    assert caught.value.reason == "rate_limited"
    assert caught.value.retry_after == 3600
    assert len(sim.requests) == 1


# input and configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize("bad_id", ["../../x", "a/b", "a%2Fb", "x y", "a?b=c", "é", "a" * 65])
def test_path_injection_in_user_id_is_refused_before_any_request(sim: LoginRadiusSimulator, bad_id: str) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=bad_id))
    assert caught.value.reason == "invalid_identifier"
    assert sim.requests == []


def test_uid_returned_by_the_lookup_is_validated_too(sim: LoginRadiusSimulator) -> None:
    sim.add_user("jane@example.com", "jane", uid="../../admin")
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jane@example.com"))
    assert caught.value.reason == "invalid_identifier"
    assert sim.calls("PUT") == []


def test_email_with_a_quote_is_refused_before_any_request(sim: LoginRadiusSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email='jane"@example.com'))
    assert caught.value.reason == "invalid_identifier"
    assert sim.requests == []


def test_ip_is_unsupported(sim: LoginRadiusSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(ip="203.0.113.7"))
    assert caught.value.reason == "unsupported_identifier"
    assert sim.requests == []


@pytest.mark.parametrize("base_url", ["http://api.loginradius.com", "http://10.0.0.5:8080", "ftp://127.0.0.1"])
def test_insecure_base_url_is_rejected(base_url: str) -> None:
    with pytest.raises(PermanentError) as caught:
        LoginRadiusConnector.from_secret(
            {"vendor": "loginradius", "api_key": API_KEY, "api_secret": API_SECRET, "base_url": base_url}
        )
    assert caught.value.reason == "config_invalid"
    assert "base_url" in caught.value.message
    assert API_SECRET not in caught.value.message


def test_default_base_url_is_loginradius() -> None:
    built = LoginRadiusConnector.from_secret({"vendor": "loginradius", "api_key": API_KEY, "api_secret": API_SECRET})
    assert isinstance(built, LoginRadiusConnector)
    assert built.api == "https://api.loginradius.com/identity/v2"
    assert built.config.lift_block is False


def test_missing_api_secret_names_the_field_not_any_value() -> None:
    with pytest.raises(PermanentError) as caught:
        LoginRadiusConnector.from_secret({"vendor": "loginradius", "api_key": API_KEY})
    assert caught.value.reason == "config_invalid"
    assert "api_secret" in caught.value.message
    assert API_KEY not in caught.value.message


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"api_secret": "has a space\r\nX-Evil: 1"}, "api_secret"),
        ({"api_key": ""}, "api_key"),
        ({"lift_block": "maybe"}, "lift_block"),
        ({"apisecret": "typo"}, "apisecret"),
    ],
)
def test_malformed_fields_are_config_invalid_without_values(fields: dict[str, str], named: str) -> None:
    secret = {"vendor": "loginradius", "api_key": API_KEY, "api_secret": API_SECRET, **fields}
    with pytest.raises(PermanentError) as caught:
        LoginRadiusConnector.from_secret(secret)
    assert caught.value.reason == "config_invalid"
    assert named in caught.value.message
    for value in (API_KEY, API_SECRET, *fields.values()):
        if value:
            assert str(value) not in caught.value.message


def test_api_secret_never_in_any_url(sim: LoginRadiusSimulator) -> None:
    user = sim.add_user("jane@example.com", "jane", uid=UID)
    built = connector(sim, lift_block=True)
    for user_ref in ({"email": "jane@example.com"}, {"username": "jane"}, {"id": UID}):
        user.locked = True
        built.unlock(request(**user_ref))
    assert len(sim.requests) == 6
    for seen in sim.requests:
        assert seen.header("x-loginradius-apisecret") == API_SECRET
        assert API_SECRET not in seen.path
        assert API_SECRET not in repr(seen.query)
        assert API_KEY not in repr(seen.query)
