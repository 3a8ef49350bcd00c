"""Gigya connector against the Gigya simulator over real sockets.

Codes: Response Codes and Errors REST (https://developers.gigya.com/display/GD/Response+Codes+and+Errors+REST),
whose first three digits are the HTTP status a code stands for: 5xxxxx is server side, transient. The unlock
(accounts.rba.unlock REST, https://developers.gigya.com/display/GD/accounts.rba.unlock+REST) goes through
``steps.once("gigya.unlock", …)``; with ``read_lockout_state`` the account's ``isLockedOut`` is read first
(accounts.getAccountInfo JS, https://developers.gigya.com/display/GD/accounts.getAccountInfo+JS).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp, budget
from account_unlock.steps import Steps
from account_unlock.vendors.gigya import GigyaConnector
from local.simulators.gigya import GigyaSimulator
from tests.fixtures import gigya
from tests.fixtures.gigya import SECRET, UID, secret_for
from tests.fixtures.gigya import request as unlock_request
from tests.fixtures.steps import MemorySteps

pytestmark = pytest.mark.integration

CALL_ID = "3353d2fbac894289977c102298df60d1"


@pytest.fixture
def sim(gigya_sim: GigyaSimulator) -> Iterator[GigyaSimulator]:
    yield gigya_sim
    budget.stop()


@pytest.fixture
def eu(gigya_eu_sim: GigyaSimulator) -> GigyaSimulator:
    return gigya_eu_sim


def connector_for(sim: GigyaSimulator, **changes: Any) -> GigyaConnector:
    connector = gigya.connector_for(sim, **changes)
    connector.code_backoff = 0  # keep the HTTP-200 retry loop fast; the attempt count is what is tested
    return connector


def gigya_body(code: int, call_id: str = CALL_ID, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"statusCode": 200 if code == 0 else code // 1000, "errorCode": code, "callId": call_id}
    if code:
        body |= {"errorMessage": "Error", "errorDetails": "details"}
    return body | {"statusReason": "OK", "time": "2015-03-22T11:42:25.943Z", **extra}


# successful unlocks ---------------------------------------------------------------------------
def test_unlock_by_uid(sim):
    account = sim.add_account(UID, "jane@example.com")
    other = sim.add_account("other-uid", "other@example.com")

    result = connector_for(sim).unlock(unlock_request(id=UID))

    assert account.locked is False
    assert other.locked is True
    assert result.actions == ["accounts.rba.unlock"]
    assert result.message == "account unlocked"
    assert result.vendor_reference
    assert len(result.vendor_reference) == 32


@pytest.mark.parametrize(
    ("user", "login_id"),
    [
        ({"email": "jane@example.com"}, "jane@example.com"),
        ({"login_id": "Jane@Example.com"}, "jane@example.com"),
        ({"username": "jdoe"}, "jdoe"),
    ],
)
def test_unlock_by_login_id(sim, user, login_id):
    account = sim.add_account("uid-1", login_id)
    other = sim.add_account("uid-2", "someone-else")

    connector_for(sim).unlock(unlock_request(**user))

    assert account.locked is False
    assert other.locked is True
    assert sim.requests[0].form()["loginID"] == next(iter(user.values()))


@pytest.mark.parametrize("ip", ["203.0.113.7", "2001:db8::1"])
def test_unlock_an_ip_address(sim, ip):
    sim.lock_ip(ip)
    sim.lock_ip("198.51.100.1")

    result = connector_for(sim).unlock(unlock_request(ip=ip))

    assert sim.locked_ips == {"198.51.100.1"}
    assert result.message == "IP address unlocked"


def test_call_id_is_the_vendor_reference(sim):
    sim.fail(200, gigya_body(0))

    result = connector_for(sim).unlock(unlock_request(id=UID))

    assert result.vendor_reference == CALL_ID


# HTTP 200 with an error code -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (400001, "bad_request"),
        (400002, "bad_request"),
        (400006, "bad_request"),
        (400093, "bad_credentials"),
        (403002, "bad_request"),
        (403003, "bad_credentials"),
        (403006, "config_invalid"),
        (403007, "forbidden"),
        (403011, "forbidden"),
        (403047, "user_not_found"),
        (404000, "user_not_found"),
        (123456, "vendor_error"),
    ],
)
def test_error_codes_in_an_http_200_are_permanent_failures(sim, code, reason):
    sim.fail(200, gigya_body(code, call_id=f"call-{code}"))

    with pytest.raises(PermanentError) as caught:
        connector_for(sim).unlock(unlock_request(id=UID))

    assert caught.value.reason == reason
    assert str(code) in caught.value.message
    assert caught.value.vendor_reference == f"call-{code}"
    assert len(sim.requests) == 1  # permanent: never retried


def test_status_code_200_in_the_body_is_not_success_when_error_code_is_not_zero(sim):
    sim.fail(200, gigya_body(403047) | {"statusCode": 200, "statusReason": "OK"})

    with pytest.raises(PermanentError) as caught:
        connector_for(sim).unlock(unlock_request(email="jane@example.com"))

    assert caught.value.reason == "user_not_found"


@pytest.mark.parametrize(
    "body", [{}, {"statusCode": 200, "statusReason": "OK"}, "<html>OK</html>", {"errorCode": None}]
)
def test_an_answer_without_error_code_is_never_success(sim, body):
    sim.fail(200, body)

    with pytest.raises(TransientError) as caught:
        connector_for(sim).unlock(unlock_request(id=UID))

    assert caught.value.reason == "vendor_unavailable"


def test_rate_limit_code_then_success(sim):
    sim.add_account(UID, "jane@example.com")
    sim.fail_with_code(403048)

    result = connector_for(sim).unlock(unlock_request(id=UID))

    assert len(sim.requests) == 2
    assert sim.accounts[UID].locked is False
    assert result.vendor_reference


def test_rate_limit_code_until_attempts_run_out(sim):
    sim.add_account(UID, "jane@example.com")
    sim.fail_with_code(403048, times=10)

    with pytest.raises(TransientError) as caught:
        connector_for(sim).unlock(unlock_request(id=UID))

    assert caught.value.reason == "rate_limited"
    assert "403048" in caught.value.message
    assert caught.value.vendor_reference
    assert len(sim.requests) == 3  # refused before processing: one attempt and two retries
    assert sim.accounts[UID].locked is True


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (500001, "vendor_unavailable"),  # General Server error
        (500026, "vendor_unavailable"),  # another server-side code of the 500 family
        (503001, "vendor_unavailable"),
        (504001, "vendor_timeout"),  # Timeout
        (504002, "vendor_timeout"),  # General timeout
        (409030, "vendor_unavailable"),  # concurrent updates not allowed
    ],
)
def test_server_side_codes_are_transient_and_never_resent_in_process(sim, code, reason):
    """After a 5xxxxx the unlock may have happened: raised at once, for the retry of the request to re-read."""
    sim.add_account(UID, "jane@example.com")
    sim.fail_with_code(code, times=10)

    with pytest.raises(TransientError) as caught:
        connector_for(sim).unlock(unlock_request(id=UID))

    assert caught.value.reason == reason
    assert str(code) in caught.value.message
    assert caught.value.vendor_reference
    assert len(sim.requests) == 1


def test_transient_code_retries_stop_at_the_time_budget(sim):
    sim.add_account(UID, "jane@example.com")
    sim.fail_with_code(403048)
    connector = connector_for(sim)
    connector.code_backoff = 30
    budget.start(20)

    with pytest.raises(TransientError):
        connector.unlock(unlock_request(id=UID))

    assert len(sim.requests) == 1  # the wait would overrun the budget: hand over to the caller's retries


# wrong data center -----------------------------------------------------------------------------
def test_wrong_data_center_is_followed_once_to_the_api_domain(sim, eu):
    sim.wrong_data_center = True
    sim.data_center = "eu1"
    account = eu.add_account(UID, "jane@example.com")
    connector = connector_for(sim)
    asked: list[str] = []
    connector.api_root_for = lambda domain: asked.append(domain) or eu.url

    result = connector.unlock(unlock_request(id=UID))

    assert asked == ["eu1.gigya.com"]
    assert len(sim.requests) == 1
    assert len(eu.requests) == 1
    assert account.locked is False
    assert "eu1.gigya.com" in result.message


def test_second_wrong_data_center_is_permanent(sim, eu):
    sim.wrong_data_center = eu.wrong_data_center = True
    sim.data_center = "eu1"
    eu.data_center = "au1"
    connector = connector_for(sim)
    connector.api_root_for = lambda domain: eu.url

    with pytest.raises(PermanentError) as caught:
        connector.unlock(unlock_request(id=UID))

    assert caught.value.reason == "config_invalid"
    assert caught.value.vendor_reference
    assert (len(sim.requests), len(eu.requests)) == (1, 1)


@pytest.mark.parametrize(
    "api_domain",
    ["evil.example.com", "eu1.gigya.com.evil.example", "evilgigya.com", "gigya.com", "eu1.gigya.com/x", "", None],
)
def test_api_domain_outside_gigya_is_never_sent_the_secret(sim, api_domain):
    sim.fail(200, gigya_body(301001, apiDomain=api_domain))
    connector = connector_for(sim)
    asked: list[str] = []
    connector.api_root_for = lambda domain: asked.append(domain) or sim.url

    with pytest.raises(PermanentError) as caught:
        connector.unlock(unlock_request(id=UID))

    assert caught.value.reason == "config_invalid"
    assert asked == []
    assert len(sim.requests) == 1


def test_cn1_api_domain_is_accepted(sim, eu):
    sim.wrong_data_center = True
    sim.data_center = "cn1"
    eu.add_account(UID, "jane@example.com")
    connector = connector_for(sim)
    asked: list[str] = []
    connector.api_root_for = lambda domain: asked.append(domain) or eu.url

    connector.unlock(unlock_request(id=UID))

    assert asked == ["cn1.gigya-api.cn"]


def test_redirect_to_plain_http_is_refused(sim):
    sim.wrong_data_center = True
    connector = connector_for(sim)
    connector.api_root_for = lambda domain: f"http://accounts.{domain}"

    with pytest.raises(PermanentError) as caught:
        connector.unlock(unlock_request(id=UID))

    assert caught.value.reason == "config_invalid"
    assert len(sim.requests) == 1


# credentials and users -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"secret": "d3Jvbmctc2VjcmV0"}, "bad_credentials"),
        ({"user_key": "AKwrongKey"}, "bad_credentials"),
        ({"api_key": "3_wrong"}, "bad_credentials"),
    ],
)
def test_bad_credentials_are_permanent(sim, changes, reason):
    sim.add_account(UID, "jane@example.com")

    with pytest.raises(PermanentError) as caught:
        connector_for(sim, **changes).unlock(unlock_request(id=UID))

    assert caught.value.reason == reason
    assert caught.value.vendor_reference
    assert len(sim.requests) == 1
    assert sim.accounts[UID].locked is True
    assert "d3Jvbmctc2VjcmV0" not in caught.value.message
    assert SECRET not in caught.value.message


@pytest.mark.parametrize("user", [{"id": "no-such-uid"}, {"email": "nobody@example.com"}, {"username": "nobody"}])
def test_unknown_user_is_permanent(sim, user):
    sim.add_account(UID, "jane@example.com")

    with pytest.raises(PermanentError) as caught:
        connector_for(sim).unlock(unlock_request(**user))

    assert caught.value.reason == "user_not_found"
    assert caught.value.vendor_reference
    assert len(sim.requests) == 1


def test_unauthorized_user_without_unknown_user_details_is_forbidden(sim):
    sim.fail_with_code(403005, details="Unauthorized user")

    with pytest.raises(PermanentError) as caught:
        connector_for(sim).unlock(unlock_request(id=UID))

    assert caught.value.reason == "forbidden"


# configuration ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"secret": "s3cr3t value\n"}, "secret"),
        ({"secret": ""}, "secret"),
        ({"secret": 12345}, "secret"),
        ({"user_key": "AK key"}, "user_key"),
        ({"api_key": ""}, "api_key"),
        ({"data_center": "xx9"}, "data_center"),
        ({"data_center": None}, "data_center"),  # no base_url either: one of the two is needed
        ({"base_url": "https://accounts.eu1.gigya.com", "data_center": "xx9"}, "data_center"),
        ({"read_lockout_state": "maybe"}, "read_lockout_state"),
        ({"client_secret": "s3cr3t value"}, "client_secret"),
    ],
)
def test_malformed_connection_secret_names_the_field_not_the_value(changes, field):
    with pytest.raises(PermanentError) as caught:
        GigyaConnector.from_secret(secret_for(None, **changes))

    assert caught.value.reason == "config_invalid"
    assert field in caught.value.message
    assert "s3cr3t" not in caught.value.message
    assert SECRET not in caught.value.message
    assert "12345" not in caught.value.message


def test_data_center_is_not_required_when_base_url_is_given():
    secret = secret_for("https://accounts.eu1.gigya.com")
    del secret["data_center"]

    connector = GigyaConnector.from_secret(secret)

    assert isinstance(connector, GigyaConnector)
    assert connector.api == "https://accounts.eu1.gigya.com"
    assert connector.config.data_center is None


def test_missing_secret_is_config_invalid():
    secret = secret_for(None)
    del secret["secret"]

    with pytest.raises(PermanentError) as caught:
        GigyaConnector.from_secret(secret)

    assert caught.value.reason == "config_invalid"
    assert "secret" in caught.value.message


@pytest.mark.parametrize(
    "url", ["http://accounts.us1.gigya.com", "http://10.0.0.5:8080", "ftp://accounts.us1.gigya.com"]
)
def test_non_https_base_url_is_refused(url):
    with pytest.raises(PermanentError) as caught:
        GigyaConnector.from_secret(secret_for(url))

    assert caught.value.reason == "config_invalid"
    assert "base_url" in caught.value.message


def test_secret_is_never_in_any_url(sim, eu):
    sim.add_account(UID, "jane@example.com")
    sim.lock_ip("203.0.113.7")
    connector = connector_for(sim)
    connector.unlock(unlock_request(id=UID))
    connector.unlock(unlock_request(email="jane@example.com"))
    connector.unlock(unlock_request(ip="203.0.113.7"))
    sim.wrong_data_center = True
    sim.data_center = "eu1"
    eu.add_account(UID, "jane@example.com")
    connector.api_root_for = lambda domain: eu.url
    connector.unlock(unlock_request(id=UID))

    requests = sim.requests + eu.requests
    assert len(requests) == 5
    for request in requests:
        assert SECRET not in request.path
        assert request.query == {}
        assert all(SECRET not in value for value in request.headers.values())
        assert request.form()["secret"] == SECRET


# HTTP-level faults -----------------------------------------------------------------------------
def test_http_5xx_on_the_unlock_is_transient_and_not_resent(sim):
    """The unlock is a write: after a 5xx it may have been applied, so VendorHttp does not resend it."""
    sim.add_account(UID, "jane@example.com")
    sim.fail(503, {"message": "unavailable"}, times=5)
    connector = connector_for(sim)
    connector.http = VendorHttp("gigya", retries=1, backoff_factor=0)

    with pytest.raises(TransientError) as caught:
        connector.unlock(unlock_request(id=UID))

    assert caught.value.reason == "vendor_unavailable"
    assert len(sim.requests) == 1


def test_http_5xx_on_the_lockout_read_is_retried_by_vendor_http_only(sim):
    sim.add_account(UID, "jane@example.com")
    sim.fail(503, {"message": "unavailable"}, times=5)
    connector = connector_for(sim, read_lockout_state=True)
    connector.http = VendorHttp("gigya", retries=1, backoff_factor=0)

    with pytest.raises(TransientError) as caught:
        connector.unlock(unlock_request(id=UID))

    assert caught.value.reason == "vendor_unavailable"
    assert [request.path for request in sim.requests] == ["/accounts.getAccountInfo"] * 2  # no second loop


def test_http_429_with_retry_after_then_success(sim):
    sim.add_account(UID, "jane@example.com")
    sim.fail(429, {"message": "slow down"}, headers={"Retry-After": "0"})

    connector_for(sim).unlock(unlock_request(id=UID))

    assert len(sim.requests) == 2
    assert sim.accounts[UID].locked is False


def test_http_4xx_without_error_code_is_permanent(sim):
    sim.fail(404, "<html>Not Found</html>")

    with pytest.raises(PermanentError) as caught:
        connector_for(sim).unlock(unlock_request(id=UID))

    assert caught.value.reason == "bad_request"


def test_unreachable_vendor_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = GigyaConnector.from_secret(secret_for(f"http://127.0.0.1:{port}"))
    connector.http = VendorHttp("gigya", retries=0, backoff_factor=0)

    with pytest.raises(TransientError) as caught:
        connector.unlock(unlock_request(id=UID))

    assert caught.value.reason == "vendor_unavailable"


# exactly once ------------------------------------------------------------------------------------
def test_recorded_unlock_is_not_repeated_by_a_retry_of_the_request(sim):
    """A later step of the request failed after the unlock: the retry gets the recorded write back."""
    account = sim.add_account(UID, "jane@example.com")
    steps = MemorySteps()
    first = connector_for(sim).unlock(unlock_request(id=UID), steps)
    account.locked = True  # even if locked again, the recorded unlock is not sent again

    again = connector_for(sim).unlock(unlock_request(id=UID), steps)

    assert len(sim.calls("POST", r"/accounts\.rba\.unlock$")) == 1
    assert again.actions == first.actions == ["accounts.rba.unlock"]
    assert again.vendor_reference == first.vendor_reference
    assert set(steps.recorded) == {"gigya.unlock"}


def test_with_the_lockout_read_a_not_locked_account_gets_no_unlock(sim):
    account = sim.add_account(UID, "jane@example.com", locked=False)

    result = connector_for(sim, read_lockout_state=True).unlock(unlock_request(id=UID), Steps())

    assert [request.path for request in sim.requests] == ["/accounts.getAccountInfo"]
    assert result.actions == []
    assert result.already_unlocked
    assert result.vendor_reference  # the callId of the read
    assert account.locked is False


def test_with_the_lockout_read_an_unlock_whose_answer_was_lost_is_sent_once(sim):
    """The unlock is applied but its answer never arrives: the retry reads isLockedOut false and stops."""
    account = sim.add_account(UID, "jane@example.com")
    connector = connector_for(sim, read_lockout_state=True)
    connector.http = VendorHttp("gigya", retries=0, read_timeout=0.2)
    sim.delay(1.0, path=r"/accounts\.rba\.unlock$")  # handled at once, answered too late
    steps = MemorySteps()

    with pytest.raises(TransientError):
        connector.unlock(unlock_request(id=UID), steps)
    assert account.locked is False  # Gigya did act
    assert steps.recorded == {}

    result = connector.unlock(unlock_request(id=UID), steps)

    assert len(sim.calls("POST", r"/accounts\.rba\.unlock$")) == 1
    assert len(sim.calls("POST", r"/accounts\.getAccountInfo$")) == 2
    assert result.already_unlocked


def test_without_the_lockout_read_a_lost_answer_is_followed_by_a_second_unlock(sim):
    """Open point: without a readable lock state (the default, and every loginID / IP) the retry of an
    unlock whose answer was lost sends it again; Gigya answers it with success."""
    sim.add_account(UID, "jane@example.com")
    connector = connector_for(sim)
    connector.http = VendorHttp("gigya", retries=0, read_timeout=0.2)
    sim.delay(1.0, path=r"/accounts\.rba\.unlock$")
    steps = MemorySteps()

    with pytest.raises(TransientError):
        connector.unlock(unlock_request(id=UID), steps)
    result = connector.unlock(unlock_request(id=UID), steps)

    assert len(sim.calls("POST", r"/accounts\.rba\.unlock$")) == 2
    assert result.actions == ["accounts.rba.unlock"]


def test_lockout_read_without_the_permission_is_forbidden_and_unlocks_nothing(sim):
    account = sim.add_account(UID, "jane@example.com")
    sim.denied_methods.add("accounts.getAccountInfo")

    with pytest.raises(PermanentError) as caught:
        connector_for(sim, read_lockout_state=True).unlock(unlock_request(id=UID))

    assert caught.value.reason == "forbidden"
    assert "403007" in caught.value.message
    assert sim.calls("POST", r"/accounts\.rba\.unlock$") == []
    assert account.locked is True


def test_lockout_read_of_an_unknown_uid_is_user_not_found(sim):
    with pytest.raises(PermanentError) as caught:
        connector_for(sim, read_lockout_state=True).unlock(unlock_request(id="no-such-uid"))

    assert caught.value.reason == "user_not_found"
    assert [request.path for request in sim.requests] == ["/accounts.getAccountInfo"]


def test_lockout_read_answer_without_is_locked_out_still_unlocks(sim):
    """Fail safe: only an explicit isLockedOut false skips the unlock."""
    account = sim.add_account(UID, "jane@example.com")
    sim.fail(200, gigya_body(0) | {"UID": UID}, path=r"/accounts\.getAccountInfo$")

    result = connector_for(sim, read_lockout_state=True).unlock(unlock_request(id=UID))

    assert result.actions == ["accounts.rba.unlock"]
    assert account.locked is False


def test_wrong_data_center_on_the_read_sends_the_unlock_to_the_right_one(sim, eu):
    sim.wrong_data_center = True
    sim.data_center = "eu1"
    account = eu.add_account(UID, "jane@example.com")
    connector = connector_for(sim, read_lockout_state=True)
    connector.api_root_for = lambda domain: eu.url

    result = connector.unlock(unlock_request(id=UID))

    assert [request.path for request in sim.requests] == ["/accounts.getAccountInfo"]
    assert [request.path for request in eu.requests] == ["/accounts.getAccountInfo", "/accounts.rba.unlock"]
    assert account.locked is False
    assert "eu1.gigya.com" in result.message
