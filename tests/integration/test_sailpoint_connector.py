"""SailPoint connector against the SailPoint simulator over real sockets."""

from __future__ import annotations

from typing import Any

import pytest

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.vendors.sailpoint import STILL_LOCKED
from local.simulators.sailpoint import EXPIRED, RATE_LIMITED, SailPointSimulator, error_body
from tests.fixtures.sailpoint import ACCOUNT_ID, SOURCE_A, SOURCE_B, connector, request

pytestmark = pytest.mark.integration


@pytest.fixture
def sim(sailpoint_sim: SailPointSimulator) -> SailPointSimulator:
    """The module's simulator, back to a fresh state."""
    return sailpoint_sim


# success ---------------------------------------------------------------------------------------
def test_unlock_by_account_id(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)

    result = connector(sim).unlock(request(id=ACCOUNT_ID))

    assert account.locked is False
    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert len(result.vendor_reference) == 32
    assert result.actions == ["account.unlock"]
    assert result.message == "unlock task submitted"
    assert sim.calls("GET") == []  # an id is used as is, no look-up


def test_unlock_by_native_identity(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe")
    other = sim.add_account("asmith")

    result = connector(sim).unlock(request(username="jdoe"))

    assert account.locked is False
    assert other.locked is True
    assert sim.tasks[-1]["accountId"] == account.id
    assert result.vendor_reference == sim.tasks[-1]["id"]


def test_unlock_by_native_identity_within_the_source(sim: SailPointSimulator) -> None:
    in_a = sim.add_account("jdoe", source_id=SOURCE_A)
    in_b = sim.add_account("jdoe", source_id=SOURCE_B)

    connector(sim, source_id=SOURCE_B).unlock(request(login_id="jdoe"))

    assert (in_a.locked, in_b.locked) == (True, False)


def test_token_is_cached_across_unlocks(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe")
    sim.add_account("asmith")
    sailpoint = connector(sim)

    sailpoint.unlock(request(username="jdoe"))
    sailpoint.unlock(request(username="asmith"))

    assert len(sim.calls("POST", "/oauth/token")) == 1
    assert len(sim.calls("POST", "/unlock$")) == 2


# tokens ----------------------------------------------------------------------------------------
def test_expired_token_is_refreshed_once(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sailpoint = connector(sim)
    sailpoint.tokens.get()
    sim.revoke_tokens()  # the cached token is now rejected: 401 "JWT is expired"

    result = sailpoint.unlock(request(id=ACCOUNT_ID))

    assert account.locked is False
    assert result.vendor_reference
    assert len(sim.calls("POST", "/oauth/token")) == 2
    assert [r.path for r in sim.calls("POST", "/unlock$")] == [f"/v3/accounts/{ACCOUNT_ID}/unlock"] * 2


def test_401_after_a_refresh_is_bad_credentials(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(401, EXPIRED, path="/unlock$", times=2)

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=ACCOUNT_ID))

    assert caught.value.reason == "bad_credentials"
    assert "JWT is expired" in caught.value.message
    assert len(sim.calls("POST", "/oauth/token")) == 2
    assert len(sim.calls("POST", "/unlock$")) == 2
    assert account.locked is True


def test_refused_client_credentials_are_bad_credentials(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)

    with pytest.raises(PermanentError) as caught:
        connector(sim, client_secret="not-the-secret-value").unlock(request(id=ACCOUNT_ID))

    assert caught.value.reason == "bad_credentials"
    assert "invalid_client" in caught.value.message
    assert "not-the-secret-value" not in caught.value.message
    assert len(sim.calls("POST", "/oauth/token")) == 1  # a 401 from the token endpoint is not retried
    assert sim.calls("POST", "/unlock$") == []


# not found / ambiguous -------------------------------------------------------------------------
def test_no_account_with_that_native_identity(sim: SailPointSimulator) -> None:
    sim.add_account("asmith")

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(username="jdoe"))

    assert caught.value.reason == "user_not_found"
    assert sim.calls("POST", "/unlock$") == []


def test_404_on_unlock_surfaces_the_tracking_id(sim: SailPointSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=ACCOUNT_ID))

    error = caught.value
    assert error.reason == "user_not_found"
    assert error.vendor_reference is not None
    assert len(error.vendor_reference) == 32
    assert f"trackingId {error.vendor_reference}" in error.message
    assert "404 Not found" in error.message
    assert len(sim.calls("POST", "/unlock$")) == 1  # 404 is never retried


def test_same_native_identity_in_two_sources_is_ambiguous(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", source_id=SOURCE_A)
    sim.add_account("jdoe", source_id=SOURCE_B)

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(username="jdoe"))

    assert caught.value.reason == "ambiguous_user"
    assert "source_id" in caught.value.message
    assert sim.calls("POST", "/unlock$") == []


# vendor errors ---------------------------------------------------------------------------------
def test_429_with_retry_after_then_success(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(429, RATE_LIMITED, headers={"Retry-After": "1"}, path="/unlock$")

    result = connector(sim).unlock(request(id=ACCOUNT_ID))

    assert account.locked is False
    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert len(sim.calls("POST", "/unlock$")) == 2


def test_per_token_rate_limit_is_waited_out(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe")
    sim.rate_limit, sim.rate_window = 1, 1.0  # the look-up uses the window's only request

    connector(sim).unlock(request(username="jdoe"))

    assert account.locked is False
    assert len(sim.calls("POST", "/unlock$")) == 2  # one 429 with Retry-After, then the unlock


def test_500_until_retries_run_out_is_transient(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    body = error_body(500)
    sim.fail(500, body, path="/unlock$", times=5)
    sailpoint = connector(sim)
    sailpoint.http = VendorHttp("sailpoint", retries=1, backoff_factor=0)

    with pytest.raises(TransientError) as caught:
        sailpoint.unlock(request(id=ACCOUNT_ID))

    error = caught.value
    assert error.reason == "vendor_unavailable"
    assert error.vendor_reference == body["trackingId"]
    assert "500.0 Internal Fault" in error.message
    assert len(sim.calls("POST", "/unlock$")) == 2
    assert account.locked is True


def test_rate_limit_until_retries_run_out_is_transient(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(429, RATE_LIMITED, headers={"Retry-After": "1"}, path="/unlock$", times=5)
    sailpoint = connector(sim)
    sailpoint.http = VendorHttp("sailpoint", retries=1, backoff_factor=0)

    with pytest.raises(TransientError) as caught:
        sailpoint.unlock(request(id=ACCOUNT_ID))

    assert caught.value.reason == "rate_limited"
    assert caught.value.retry_after == 1
    assert "Rate Limit Exceeded" in caught.value.message
    assert len(sim.calls("POST", "/unlock$")) == 2


def test_403_is_forbidden_and_not_retried(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.provisioning_scope = False

    with pytest.raises(PermanentError) as caught:
        connector(sim, force_provisioning=True).unlock(request(id=ACCOUNT_ID))

    assert caught.value.reason == "forbidden"
    assert "403 Forbidden" in caught.value.message
    assert caught.value.vendor_reference
    assert len(sim.calls("POST", "/unlock$")) == 1
    assert account.locked is True


def test_400_is_bad_request_and_not_retried(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    body = error_body(400, "externalVerificationId is invalid")
    sim.fail(400, body, path="/unlock$")

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=ACCOUNT_ID))

    assert caught.value.reason == "bad_request"
    assert caught.value.vendor_reference == body["trackingId"]
    assert "400.1 Bad Request Content" in caught.value.message
    assert len(sim.calls("POST", "/unlock$")) == 1


# confirmation ----------------------------------------------------------------------------------
def test_confirmation_polls_until_the_account_is_unlocked(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.unlock_after_reads = 2  # the task completes after two reads that still say locked

    result = connector(sim, confirm=True, confirm_attempts=5, confirm_interval_seconds=0).unlock(request(id=ACCOUNT_ID))

    assert result.message == "account unlocked"
    assert result.actions == ["account.unlock", "account.unlock.confirmed"]
    assert len(sim.calls("GET", f"^/v3/accounts/{ACCOUNT_ID}$")) == 3


def test_confirmation_gives_up_without_failing(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.unlock_after_reads = None  # the task never completes

    result = connector(sim, confirm=True, confirm_attempts=3, confirm_interval_seconds=0).unlock(request(id=ACCOUNT_ID))

    assert account.locked is True
    assert result.message == STILL_LOCKED
    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert result.actions == ["account.unlock"]
    assert len(sim.calls("GET", f"^/v3/accounts/{ACCOUNT_ID}$")) == 3


def test_confirmation_read_error_keeps_the_submitted_task(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(404, error_body(404), path=f"^/v3/accounts/{ACCOUNT_ID}$")

    result = connector(sim, confirm=True, confirm_interval_seconds=0).unlock(request(id=ACCOUNT_ID))

    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert result.message == "unlock task submitted; could not confirm (user_not_found)"


# input and configuration -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "user",
    [{"id": "../../x"}, {"id": "2c91808474683da6017468693c26019/"}, {"username": 'jdoe" or name eq "x'}],
)
def test_bad_identifiers_are_rejected_before_any_request(sim: SailPointSimulator, user: dict[str, str]) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(**user))

    assert caught.value.reason == "invalid_identifier"
    assert sim.requests == []


def test_ip_is_not_an_identifier_sailpoint_unlocks_by(sim: SailPointSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(ip="192.0.2.10"))

    assert caught.value.reason == "unsupported_identifier"
    assert sim.requests == []


@pytest.mark.parametrize(
    ("fields", "named", "value"),
    [
        ({"client_secret": 918273645}, "client_secret", "918273645"),
        ({"tenant": "Acme_Corp!", "base_url": None}, "tenant", "Acme_Corp!"),
        ({"source_id": "jdoe-source-7"}, "source_id", "jdoe-source-7"),
        ({"confirm_attempts": 1000}, "confirm_attempts", "1000"),
        ({"client_id": None}, "client_id", "None"),
        ({"unexpected_field": "s3cr3t-looking"}, "unexpected_field", "s3cr3t-looking"),
        ({"base_url": None}, "tenant", "None"),
        ({"base_url": "http://sailpoint.example.com"}, "base_url", "sailpoint.example.com"),
        ({"token_url": "ftp://tokens.example.com/oauth/token"}, "token_url", "tokens.example.com"),
    ],
)
def test_malformed_secret_names_the_field_not_the_value(
    sim: SailPointSimulator, fields: dict[str, Any], named: str, value: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim, **fields)

    assert caught.value.reason == "config_invalid"
    assert named in caught.value.message
    assert value not in caught.value.message
    assert sim.requests == []
