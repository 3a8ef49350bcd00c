"""The exact requests the SailPoint connector sends (seed 001, reference/vendors.md)."""

from __future__ import annotations

import json

import pytest

from account_unlock.vendors.sailpoint import SailPointConnector
from local.simulators.sailpoint import SailPointSimulator
from tests.fixtures.sailpoint import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, SOURCE_A, connector, request


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


def test_lookup_by_native_identity(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim).unlock(request({"username": "jdoe"}))

    [lookup] = sim.calls("GET", "^/v3/accounts$")
    assert lookup.query == {"filters": ['nativeIdentity eq "jdoe"'], "detailLevel": ["SLIM"], "limit": ["2"]}
    assert lookup.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
    assert lookup.header("accept") == "application/json"
    assert lookup.body == b""


def test_lookup_within_the_configured_source(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe@acme.example", account_id=ACCOUNT_ID, source_id=SOURCE_A)
    connector(sim, source_id=SOURCE_A).unlock(request({"email": "jdoe@acme.example"}))

    [lookup] = sim.calls("GET", "^/v3/accounts$")
    assert lookup.query == {
        "filters": [f'nativeIdentity eq "jdoe@acme.example" and sourceId eq "{SOURCE_A}"'],
        "detailLevel": ["SLIM"],
        "limit": ["2"],
    }


def test_unlock_request_carries_the_ticket_reference(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    result = connector(sim).unlock(request({"id": ACCOUNT_ID}))

    assert [(r.method, r.path) for r in sim.requests] == [
        ("POST", "/oauth/token"),
        ("POST", f"/v3/accounts/{ACCOUNT_ID}/unlock"),
    ]
    unlock = sim.requests[-1]
    assert unlock.query == {}
    assert unlock.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
    assert unlock.header("content-type") == "application/json"
    assert unlock.header("accept") == "application/json"
    assert unlock.json() == {"externalVerificationId": "INC-1042"}
    assert result.vendor_reference == sim.tasks[-1]["id"]


def test_unlock_without_a_ticket_uses_the_request_id(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim).unlock(request({"id": ACCOUNT_ID}, ticket_id=None))

    assert sim.calls("POST", "/unlock$")[0].json() == {"externalVerificationId": "req-7f3a"}


def test_unlock_options_are_sent_only_when_enabled(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, unlock_idn_account=True, force_provisioning=True).unlock(request({"id": ACCOUNT_ID}))

    assert sim.calls("POST", "/unlock$")[0].json() == {
        "externalVerificationId": "INC-1042",
        "unlockIDNAccount": True,
        "forceProvisioning": True,
    }


def test_unlock_body_is_an_empty_object_when_nothing_is_sent(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, send_external_verification_id=False).unlock(request({"id": ACCOUNT_ID}))

    unlock = sim.calls("POST", "/unlock$")[0]
    assert unlock.header("content-type") == "application/json"
    assert json.loads(unlock.body) == {}


def test_confirmation_reads_the_account(sim: SailPointSimulator) -> None:
    sim.add_account("jdoe", account_id=ACCOUNT_ID)
    connector(sim, confirm=True, confirm_interval_seconds=0).unlock(request({"id": ACCOUNT_ID}))

    [read] = sim.calls("GET", "^/v3/accounts/")
    assert read.path == f"/v3/accounts/{ACCOUNT_ID}"
    assert read.query == {}
    assert read.header("authorization") == f"Bearer {next(iter(sim.tokens))}"
