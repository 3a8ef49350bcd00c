"""The exact requests the SailPoint connector sends, as SailPoint's API pages define them.

- Authentication — https://developer.sailpoint.com/docs/api/authentication
- Accounts list — https://developer.sailpoint.com/docs/api/v3/list-accounts
- Account details — https://developer.sailpoint.com/docs/api/v3/get-account
- Unlock account — https://developer.sailpoint.com/docs/api/v3/unlock-account
- List identities — https://developer.sailpoint.com/docs/api/v2025/list-identities
- Standard Collection Parameters — https://developer.sailpoint.com/docs/api/standard-collection-parameters
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from account_unlock.errors import PermanentError
from account_unlock.vendors.sailpoint import SailPointConnector
from local.simulators.sailpoint import SailPointSimulator
from tests.fixtures.sailpoint import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, SOURCE_A, SOURCE_B, connector, request


@pytest.fixture
def sim(sailpoint_sim: SailPointSimulator) -> SailPointSimulator:
    return sailpoint_sim


def test_token_request_is_client_credentials_in_the_form(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim).unlock(request({"id": ACCOUNT_ID}))

    [token] = sim.calls("POST", "oauth/token")
    assert token.path == "/oauth/token"
    assert token.query == {}
    assert token.header("content-type") == "application/x-www-form-urlencoded"
    assert token.header("authorization") is None
    assert token.form() == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_token_url_override_is_used_instead_of_the_api_host(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, token_url=f"{sim.url}/vanity/oauth/token").unlock(request({"id": ACCOUNT_ID}))

    assert [r.path for r in sim.calls("POST", "oauth/token")] == ["/vanity/oauth/token"]


def test_base_url_comes_from_the_tenant_by_default() -> None:
    secret = {"vendor": "sailpoint", "tenant": "acme-sb", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    built = SailPointConnector.from_secret(secret)

    assert built.api == "https://acme-sb.api.identitynow.com"  # type: ignore[attr-defined]
    assert built.token_url == "https://acme-sb.api.identitynow.com/oauth/token"  # type: ignore[attr-defined]


def test_base_url_with_a_trailing_slash_is_the_same_root(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, base_url=f"{sim.url}/").unlock(request({"id": ACCOUNT_ID}))

    assert [r.path for r in sim.requests] == [
        "/oauth/token",
        f"/v3/accounts/{ACCOUNT_ID}",
        f"/v3/accounts/{ACCOUNT_ID}/unlock",
    ]


@pytest.mark.parametrize("suffix", ["/v3", "/v3/", "/beta", "/v2025", "/V3"])
def test_base_url_that_names_an_api_version_is_refused(sim: SailPointSimulator, suffix: str) -> None:
    with pytest.raises(PermanentError) as caught:
        connector(sim, base_url=f"{sim.url}{suffix}")

    assert caught.value.reason == "config_invalid"
    assert "base_url" in caught.value.message
    assert "without an API version path" in caught.value.message
    assert sim.url not in caught.value.message


def test_account_id_is_read_before_the_unlock(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim).unlock(request({"id": ACCOUNT_ID}))

    read = sim.calls("GET")[0]
    assert (read.path, read.query, read.body) == (f"/v3/accounts/{ACCOUNT_ID}", {}, b"")
    assert read.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
    assert read.header("accept") == "application/json"


def test_username_is_looked_up_by_account_name_with_the_full_account(sim: SailPointSimulator) -> None:
    sim.add_account("E100234", name="jdoe", account_id=ACCOUNT_ID)
    connector(sim).unlock(request({"username": "jdoe"}))

    [lookup] = sim.calls("GET", "^/v3/accounts$")
    # No detailLevel: FULL is the default and the documented Account carries `locked`.
    assert lookup.query == {"filters": ['name eq "jdoe"'], "limit": ["2"]}
    assert lookup.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
    assert lookup.header("accept") == "application/json"
    assert lookup.body == b""


def test_login_id_is_looked_up_by_native_identity_within_the_source_when_configured(sim: SailPointSimulator) -> None:
    dn = "CN=John Doe,OU=Staff,DC=acme,DC=example"
    sim.add_account(dn, name="jdoe", account_id=ACCOUNT_ID, source_id=SOURCE_A)
    connector(sim, account_attribute="nativeIdentity", source_id=SOURCE_A).unlock(request({"login_id": dn}))

    [lookup] = sim.calls("GET", "^/v3/accounts$")
    assert lookup.query == {"filters": [f'nativeIdentity eq "{dn}" and sourceId eq "{SOURCE_A}"'], "limit": ["2"]}


def test_email_is_resolved_through_the_identity_then_its_account_on_the_source(sim: SailPointSimulator) -> None:
    account = sim.add_account("E100234", name="jdoe", email="jdoe@acme.example", source_id=SOURCE_A)
    sim.add_account("jdoe-hr", identity=account.identity, source_id=SOURCE_B)
    connector(sim, source_id=SOURCE_A).unlock(request({"email": "jdoe@acme.example"}))

    assert [(r.method, r.path) for r in sim.requests] == [
        ("POST", "/oauth/token"),
        ("GET", "/v2025/identities"),
        ("GET", "/v3/accounts"),
        ("POST", f"/v3/accounts/{account.id}/unlock"),
    ]
    identities, accounts = sim.calls("GET")
    assert identities.query == {"filters": ['email eq "jdoe@acme.example"'], "limit": ["2"]}
    assert identities.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
    assert accounts.query == {
        "filters": [f'identityId eq "{account.identity_id}" and sourceId eq "{SOURCE_A}"'],
        "limit": ["2"],
    }


def test_filter_spaces_are_sent_as_percent_20(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe")
    sailpoint = connector(sim)
    sent: list[str] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        sent.append(response.request.url or "")

    sailpoint.http.session.hooks["response"].append(record)
    sailpoint.unlock(request({"username": "jdoe"}))

    [lookup] = [url for url in sent if "/v3/accounts?" in url]
    assert lookup.endswith("/v3/accounts?filters=name%20eq%20%22jdoe%22&limit=2")


def test_unlock_request_body_is_empty_by_default(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    result = connector(sim).unlock(request({"id": ACCOUNT_ID}))

    [unlock] = sim.calls("POST", "/unlock$")
    assert unlock.path == f"/v3/accounts/{ACCOUNT_ID}/unlock"
    assert unlock.query == {}
    assert unlock.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
    assert unlock.header("content-type") == "application/json"
    assert unlock.header("accept") == "application/json"
    assert json.loads(unlock.body) == {}  # the body is required, externalVerificationId is opt-in
    assert result.vendor_reference == sim.tasks[-1]["id"]


def test_external_verification_id_is_the_ticket_when_opted_in(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, send_external_verification_id=True).unlock(request({"id": ACCOUNT_ID}))

    assert sim.calls("POST", "/unlock$")[0].json() == {"externalVerificationId": "INC-1042"}


def test_external_verification_id_without_a_ticket_is_the_request_id(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, send_external_verification_id=True).unlock(request({"id": ACCOUNT_ID}, ticket_id=None))

    assert sim.calls("POST", "/unlock$")[0].json() == {"externalVerificationId": "req-7f3a"}


def test_unlock_options_are_sent_only_when_enabled(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, unlock_idn_account=True, force_provisioning=True).unlock(request({"id": ACCOUNT_ID}))

    assert sim.calls("POST", "/unlock$")[0].json() == {"unlockIDNAccount": True, "forceProvisioning": True}


def test_confirmation_reads_the_account(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, confirm=True, confirm_interval_seconds=0).unlock(request({"username": "jdoe"}))

    [read] = sim.calls("GET", "^/v3/accounts/")
    assert read.path == f"/v3/accounts/{ACCOUNT_ID}"
    assert read.query == {}
    assert read.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
