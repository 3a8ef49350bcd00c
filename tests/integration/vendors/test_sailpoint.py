"""SailPoint connector against the SailPoint simulator over real sockets.

Expected values come from SailPoint's pages: Unlock account
(https://developer.sailpoint.com/docs/api/v3/unlock-account), Accounts list
(https://developer.sailpoint.com/docs/api/v3/list-accounts), Account details
(https://developer.sailpoint.com/docs/api/v3/get-account), List identities
(https://developer.sailpoint.com/docs/api/v2025/list-identities), Standard Collection Parameters
(https://developer.sailpoint.com/docs/api/standard-collection-parameters) and Rate Limiting
(https://developer.sailpoint.com/docs/api/rate-limit).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.steps import Steps
from account_unlock.vendors.sailpoint import NOT_LOCKED, STILL_LOCKED
from local.simulators.sailpoint import EXPIRED, RATE_LIMITED, SailPointSimulator, error_body
from tests.fixtures.sailpoint import ACCOUNT_ID, SOURCE_A, SOURCE_B, connector, request
from tests.fixtures.steps import MemorySteps

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
    assert [r.path for r in sim.calls("GET")] == [f"/v3/accounts/{ACCOUNT_ID}"]  # `locked` read, no look-up


def test_username_finds_the_account_by_name_not_by_native_identity(sim: SailPointSimulator) -> None:
    # Accounts list: nativeIdentity is the source's own id (an employee number, a DN); name is filterable too.
    account = sim.add_account("E100234", name="jdoe")
    other = sim.add_account("E100235", name="asmith")

    result = connector(sim).unlock(request(username="jdoe"))

    assert (account.locked, other.locked) == (False, True)
    assert sim.tasks[-1]["accountId"] == account.id
    assert result.vendor_reference == sim.tasks[-1]["id"]


def test_native_identity_look_up_when_the_connection_chooses_it(sim: SailPointSimulator) -> None:
    in_a = sim.add_account("E100234", name="jdoe", source_id=SOURCE_A)
    in_b = sim.add_account("E100234", name="john.doe", source_id=SOURCE_B)

    connector(sim, account_attribute="nativeIdentity", source_id=SOURCE_B).unlock(request(login_id="E100234"))

    assert (in_a.locked, in_b.locked) == (True, False)


def test_email_unlocks_the_identitys_account_on_the_configured_source(sim: SailPointSimulator) -> None:
    ad = sim.add_account("CN=John Doe,OU=Staff", name="jdoe", email="jdoe@acme.example", source_id=SOURCE_A)
    hr = sim.add_account("E100234", identity=ad.identity, source_id=SOURCE_B)
    sim.add_account("asmith", email="asmith@acme.example", source_id=SOURCE_A)

    result = connector(sim, source_id=SOURCE_A).unlock(request(email="JDoe@acme.example"))

    assert (ad.locked, hr.locked) == (False, True)
    assert sim.tasks[-1]["accountId"] == ad.id
    assert result.actions == ["account.unlock"]


def test_email_of_an_identity_with_one_account_needs_no_source(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", email="jdoe@acme.example")

    connector(sim).unlock(request(email="jdoe@acme.example"))

    assert account.locked is False


def test_token_is_cached_across_unlocks(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe")
    sim.add_account("asmith")
    sailpoint = connector(sim)

    sailpoint.unlock(request(username="jdoe"))
    sailpoint.unlock(request(username="asmith"))

    assert len(sim.calls("POST", "/oauth/token")) == 1
    assert len(sim.calls("POST", "/unlock$")) == 2


# exactly once ----------------------------------------------------------------------------------
def test_retry_after_a_submitted_unlock_does_not_submit_again(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe")
    sim.unlock_after_reads = None  # the task stays pending: the account keeps reading as locked
    steps = MemorySteps()
    sailpoint = connector(sim)

    first = sailpoint.unlock(request(username="jdoe"), steps)
    again = sailpoint.unlock(request(username="jdoe"), steps)

    assert account.locked is True
    assert len(sim.calls("POST", "/unlock$")) == 1
    assert again.vendor_reference == first.vendor_reference == sim.tasks[-1]["id"]
    assert again.actions == first.actions == ["account.unlock"]


@pytest.mark.parametrize("user", [{"username": "jdoe"}, {"id": ACCOUNT_ID}, {"email": "jdoe@acme.example"}])
def test_account_shown_as_not_locked_gets_no_unlock(sim: SailPointSimulator, user: dict[str, str]) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID, email="jdoe@acme.example", locked=False)

    result = connector(sim).unlock(request(**user), Steps())

    assert result.actions == []
    assert result.already_unlocked
    assert result.vendor_reference is None
    assert result.message == NOT_LOCKED
    assert sim.calls("POST", "/unlock$") == []


def test_check_locked_off_submits_even_when_shown_as_not_locked(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID, locked=False)

    result = connector(sim, check_locked=False).unlock(request(id=ACCOUNT_ID), Steps())

    assert result.actions == ["account.unlock"]
    assert sim.calls("GET") == []
    assert len(sim.calls("POST", "/unlock$")) == 1


def test_read_timeout_on_the_unlock_is_not_resent_and_the_retry_reads_the_state(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe")
    sim.delay(2.0, path="/unlock$", method="POST")  # the unlock is applied, its answer comes too late
    steps = MemorySteps()
    sailpoint = connector(sim)
    sailpoint.http = VendorHttp("sailpoint", read_timeout=0.5, backoff_factor=0)

    with pytest.raises(TransientError):
        sailpoint.unlock(request(username="jdoe"), steps)
    retried = sailpoint.unlock(request(username="jdoe"), steps)

    assert account.locked is False
    assert len(sim.calls("POST", "/unlock$")) == 1
    assert retried.already_unlocked


def test_500_on_the_unlock_is_not_resent_in_process(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    body = error_body(500)
    sim.fail(500, body, path="/unlock$", times=5)

    with pytest.raises(TransientError) as caught:
        connector(sim).unlock(request(id=ACCOUNT_ID))

    error = caught.value
    assert error.reason == "vendor_unavailable"
    assert error.vendor_reference == body["trackingId"]
    assert "500.0 Internal Fault" in error.message
    assert len(sim.calls("POST", "/unlock$")) == 1
    assert account.locked is True


def test_500_on_a_read_is_retried(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe")
    sim.fail(500, error_body(500), path="^/v3/accounts$")
    sailpoint = connector(sim)
    sailpoint.http = VendorHttp("sailpoint", backoff_factor=0)

    sailpoint.unlock(request(username="jdoe"))

    assert account.locked is False
    assert [r.status for r in sim.calls("GET", "^/v3/accounts$")] == [500, 200]


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
    assert [r.status for r in sim.calls("GET", f"^/v3/accounts/{ACCOUNT_ID}$")] == [401, 200]
    assert len(sim.calls("POST", "/unlock$")) == 1


def test_401_after_a_refresh_is_bad_credentials(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(401, EXPIRED, path="/unlock$", times=2)

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=ACCOUNT_ID))

    assert caught.value.reason == "bad_credentials"
    assert "JWT is expired" in caught.value.message
    assert len(sim.calls("POST", "/oauth/token")) == 2
    assert len(sim.calls("POST", "/unlock$")) == 2  # a 401 is refused before processing: sent again once
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
def test_no_account_with_that_name(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe-employee-id", name="asmith")

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(username="jdoe"))

    assert caught.value.reason == "user_not_found"
    assert "name" in caught.value.message
    assert sim.calls("POST", "/unlock$") == []


def test_unknown_account_id_surfaces_the_tracking_id(sim: SailPointSimulator) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(id=ACCOUNT_ID))

    error = caught.value
    assert error.reason == "user_not_found"
    assert error.vendor_reference is not None
    assert len(error.vendor_reference) == 32
    assert f"trackingId {error.vendor_reference}" in error.message
    assert "404 Not found" in error.message
    assert len(sim.calls("GET", f"^/v3/accounts/{ACCOUNT_ID}$")) == 1  # 404 is never retried
    assert sim.calls("POST", "/unlock$") == []


def test_same_name_in_two_sources_is_ambiguous_without_source_id(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", source_id=SOURCE_A)
    sim.add_account("jdoe", source_id=SOURCE_B)

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(username="jdoe"))

    assert caught.value.reason == "ambiguous_user"
    assert "set source_id" in caught.value.message
    assert sim.calls("POST", "/unlock$") == []


def test_identity_with_several_accounts_is_ambiguous_without_source_id(sim: SailPointSimulator) -> None:
    ad = sim.add_account("jdoe", email="jdoe@acme.example", source_id=SOURCE_A)
    sim.add_account("E100234", identity=ad.identity, source_id=SOURCE_B)

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jdoe@acme.example"))

    assert caught.value.reason == "ambiguous_user"
    assert "set source_id" in caught.value.message
    assert sim.calls("POST", "/unlock$") == []


def test_no_identity_with_that_email(sim: SailPointSimulator) -> None:
    sim.add_account("asmith", email="asmith@acme.example")

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jdoe@acme.example"))

    assert caught.value.reason == "user_not_found"
    assert "identity with that email" in caught.value.message
    assert sim.calls("GET", "^/v3/accounts") == []


def test_two_identities_with_that_email_are_ambiguous(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", email="jdoe@acme.example")
    sim.add_account("jdoe2", email="jdoe@acme.example")

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jdoe@acme.example"))

    assert caught.value.reason == "ambiguous_user"
    assert sim.calls("GET", "^/v3/accounts") == []


def test_identity_without_an_account_on_the_source(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", email="jdoe@acme.example", source_id=SOURCE_B)

    with pytest.raises(PermanentError) as caught:
        connector(sim, source_id=SOURCE_A).unlock(request(email="jdoe@acme.example"))

    assert caught.value.reason == "user_not_found"
    assert "source_id" in caught.value.message


def test_identity_look_up_without_its_scope_is_forbidden(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", email="jdoe@acme.example")
    sim.identity_scope = False

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jdoe@acme.example"))

    assert caught.value.reason == "forbidden"
    assert "403 Forbidden" in caught.value.message
    assert len(sim.calls("GET", "^/v2025/identities$")) == 1
    assert sim.calls("POST", "/unlock$") == []


# vendor errors ---------------------------------------------------------------------------------
def test_429_with_retry_after_on_the_unlock_is_resent(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(429, RATE_LIMITED, headers={"Retry-After": "1"}, path="/unlock$")

    result = connector(sim).unlock(request(id=ACCOUNT_ID))

    assert account.locked is False
    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert [r.status for r in sim.calls("POST", "/unlock$")] == [429, 202]


def test_rate_limit_per_client_and_api_version_is_waited_out(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe")
    sim.rate_limit, sim.rate_window = 1, 1.0  # the look-up uses the v3 window's only request

    connector(sim).unlock(request(username="jdoe"))

    assert account.locked is False
    assert [r.status for r in sim.calls("POST", "/unlock$")] == [429, 202]


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


@pytest.mark.parametrize(
    "filters", ['nativeIdentity co "jdoe"', 'disabled eq "false"', "name eq jdoe", 'name eq "a" or name eq "b"']
)
def test_simulator_answers_an_unsupported_filter_with_400(sim: SailPointSimulator, filters: str) -> None:
    sailpoint = connector(sim)
    headers = {"Authorization": f"Bearer {sailpoint.tokens.get()}"}

    answer = requests.get(f"{sim.url}/v3/accounts", params={"filters": filters}, headers=headers, timeout=5)

    assert answer.status_code == 400
    assert answer.json()["detailCode"] == "400.1 Bad Request Content"
    assert len(answer.json()["trackingId"]) == 32


# confirmation ----------------------------------------------------------------------------------
def test_confirmation_polls_until_the_account_is_unlocked(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.unlock_after_reads = 2  # the task completes after two reads that still say locked

    result = connector(sim, confirm=True, confirm_attempts=5, confirm_interval_seconds=0).unlock(request(id=ACCOUNT_ID))

    assert result.message == "account unlocked"
    assert result.actions == ["account.unlock", "account.unlock.confirmed"]
    assert len(sim.calls("GET", f"^/v3/accounts/{ACCOUNT_ID}$")) == 1 + 3  # the `locked` read, then 3 polls


def test_confirmation_gives_up_without_failing(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.unlock_after_reads = None  # the task never completes

    result = connector(sim, confirm=True, confirm_attempts=3, confirm_interval_seconds=0).unlock(request(id=ACCOUNT_ID))

    assert account.locked is True
    assert result.message == STILL_LOCKED
    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert result.actions == ["account.unlock"]
    assert len(sim.calls("GET", f"^/v3/accounts/{ACCOUNT_ID}$")) == 1 + 3


def test_confirmation_read_error_keeps_the_submitted_task(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    sim.fail(404, error_body(404), path=f"^/v3/accounts/{ACCOUNT_ID}$")

    result = connector(sim, confirm=True, confirm_interval_seconds=0).unlock(request(username="jdoe"))

    assert result.vendor_reference == sim.tasks[-1]["id"]
    assert result.message == "unlock task submitted; could not confirm (user_not_found)"


# input and configuration -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "user",
    [
        {"id": "../../x"},
        {"id": "2c91808474683da6017468693c26019/"},
        {"username": 'jdoe" or name eq "x'},
        {"login_id": "jdoe\\"},
        {"email": 'jdoe@acme.example" or email sw "'},
    ],
)
def test_bad_identifiers_are_rejected_before_any_request(sim: SailPointSimulator, user: dict[str, str]) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(**user))

    assert caught.value.reason == "invalid_identifier"
    assert sim.requests == []


def test_identity_id_that_is_not_32_hex_is_refused(sim: SailPointSimulator) -> None:
    account = sim.add_account("jdoe", email="jdoe@acme.example")
    account.identity.id = 'x" or sourceId sw "'

    with pytest.raises(PermanentError) as caught:
        connector(sim).unlock(request(email="jdoe@acme.example"))

    assert caught.value.reason == "invalid_identifier"
    assert sim.calls("GET", "^/v3/accounts") == []


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
        ({"account_attribute": "mailAddress"}, "account_attribute", "mailAddress"),
        ({"confirm_attempts": 1000}, "confirm_attempts", "1000"),
        ({"client_id": None}, "client_id", "None"),
        ({"unexpected_field": "s3cr3t-looking"}, "unexpected_field", "s3cr3t-looking"),
        ({"base_url": None}, "tenant", "None"),
        ({"base_url": "http://sailpoint.example.com"}, "base_url", "sailpoint.example.com"),
        ({"base_url": "https://sailpoint.example.com/beta"}, "base_url", "sailpoint.example.com"),
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
