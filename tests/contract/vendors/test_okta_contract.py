"""The exact requests the Okta connector sends, and how it reads the answers.

Expected values come from Okta's pages: "User Lifecycle" (Unlock a user), "User" (Retrieve a user,
List all users with ``search``), "User Resources" (List all groups of a user), "Implement OAuth for
Okta with a service app" (Create and sign the JWT), "Okta Management: Authentication" (SSWS), "Rate
limit best practices" and "Okta error codes and descriptions" (https://developer.okta.com/docs/...).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.steps import Account, Steps
from account_unlock.vendors.okta import OktaConnector
from local.simulators.okta import OktaSimulator, new_service_app_key, public_pem, too_many_requests
from tests.fixtures.okta import API_TOKEN, CLIENT_ID, PRIVATE_KEY, USER_ID, api_token_connector, connector, request
from tests.fixtures.steps import MemorySteps


@pytest.fixture
def sim(okta_sim: OktaSimulator) -> OktaSimulator:
    okta_sim.add_user("jdoe@acme.example", user_id=USER_ID)
    return okta_sim


class Wanting(Steps):
    """A policy naming ``attributes``: records what the connector handed to ``admit``."""

    def __init__(self, *attributes: str) -> None:
        self.attributes = frozenset(attributes)
        self.admitted: list[Account] = []

    def wanted(self) -> frozenset[str]:
        return self.attributes

    def admit(self, account: Account) -> None:
        self.admitted.append(account)


# token -----------------------------------------------------------------------------------------
def test_token_request_is_client_credentials_with_a_private_key_jwt_assertion(sim: OktaSimulator) -> None:
    connector(sim, key_id="key-1").unlock(request(id=USER_ID))

    [token] = sim.calls("POST", "/oauth2/v1/token$")
    form = {key: value[0] for key, value in parse_qs(token.body.decode()).items()}
    assert set(form) == {"grant_type", "scope", "client_assertion_type", "client_assertion"}
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "okta.users.manage"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert token.header("authorization") is None  # the assertion authenticates the client, no secret
    header = jwt.get_unverified_header(form["client_assertion"])
    assert (header["alg"], header["kid"]) == ("ES256", "key-1")
    claims = jwt.decode(
        form["client_assertion"], public_pem(PRIVATE_KEY), algorithms=["ES256"], audience=f"{sim.url}/oauth2/v1/token"
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert 0 < claims["exp"] - claims["iat"] <= 3600  # "a maximum of only an hour in the future"
    assert claims["jti"]


def test_rs256_keys_sign_too(sim: OktaSimulator) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    sim.clients["0oarsa"] = public_pem(pem)

    result = connector(sim, client_id="0oarsa", private_key=pem.decode(), algorithm="RS256").unlock(request(id=USER_ID))

    assert result.actions == ["user.unlock"]


def test_token_is_cached_and_each_assertion_is_new(sim: OktaSimulator) -> None:
    other = sim.add_user("asmith@acme.example")
    okta = connector(sim)

    okta.unlock(request(id=USER_ID))
    okta.unlock(request(id=other.id))
    sim.revoke_tokens()  # expired: a 401 E0000011 refreshes the token once
    okta.unlock(request(id=USER_ID))

    assertions = [parse_qs(t.body.decode())["client_assertion"][0] for t in sim.calls("POST", "/oauth2/v1/token$")]
    assert len(assertions) == 2
    assert len({jwt.decode(a, options={"verify_signature": False})["jti"] for a in assertions}) == 2


def test_refused_assertion_is_bad_credentials_without_the_key(sim: OktaSimulator) -> None:
    other = new_service_app_key()
    with pytest.raises(PermanentError) as raised:
        connector(sim, private_key=other.decode()).unlock(request(id=USER_ID))
    assert raised.value.reason == "bad_credentials"
    assert "invalid_client" in raised.value.message
    assert "PRIVATE KEY" not in raised.value.message
    assert sim.calls("GET") == []


def test_a_scope_the_app_was_not_granted_is_forbidden(sim: OktaSimulator) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim, scopes=["okta.users.manage", "okta.groups.manage"]).unlock(request(id=USER_ID))
    assert raised.value.reason == "forbidden"
    assert "invalid_scope" in raised.value.message


def test_a_token_without_the_scope_of_the_call_is_forbidden_and_says_so(sim: OktaSimulator) -> None:
    sim.granted.add("okta.users.read")
    with pytest.raises(PermanentError) as raised:
        connector(sim, scopes=["okta.users.read"]).unlock(request(id=USER_ID))
    assert raised.value.reason == "forbidden"
    assert "E0000006" in raised.value.message
    assert "lacks a scope" in raised.value.message
    assert sim.users[USER_ID].locked


def test_not_a_pem_key_is_a_configuration_error() -> None:
    okta = OktaConnector.from_secret(
        {"vendor": "okta", "org_url": "https://acme.okta.com", "client_id": CLIENT_ID, "private_key": "s3cr3t"}
    )
    with pytest.raises(PermanentError) as raised:
        okta.unlock(request(id=USER_ID))
    assert raised.value.reason == "config_invalid"
    assert "private_key" in raised.value.message
    assert "s3cr3t" not in raised.value.message


def test_api_token_is_sent_as_ssws_and_no_token_is_requested(sim: OktaSimulator) -> None:
    result = api_token_connector(sim).unlock(request(id=USER_ID))

    assert sim.calls("POST", "/oauth2/") == []
    assert {r.header("authorization") for r in sim.requests} == {f"SSWS {API_TOKEN}"}
    assert result.actions == ["user.unlock"]


def test_a_refused_api_token_is_bad_credentials(sim: OktaSimulator) -> None:
    with pytest.raises(PermanentError) as raised:
        api_token_connector(sim, api_token="00wrong").unlock(request(id=USER_ID))
    assert raised.value.reason == "bad_credentials"
    assert "E0000011" in raised.value.message
    assert "00wrong" not in raised.value.message
    assert len(sim.requests) == 1  # an API token is not refreshed


# configuration ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"auth": "api_token", "api_token": "s3cr3t"}, "client_id"),  # the key-pair fields with an API token
        ({"api_token": "s3cr3t"}, "api_token"),  # an API token with private_key_jwt
        ({"org_url": "https://acme.okta.com/api/v1"}, "org_url"),
        ({"org_url": "http://acme.okta.com"}, "org_url"),
        ({"client_id": "0oa/../x"}, "client_id"),
        ({"scopes": ["openid"]}, "scopes"),
    ],
)
def test_invalid_connections_name_the_field_not_the_value(sim: OktaSimulator, fields: dict, named: str) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim, **fields)
    assert raised.value.reason == "config_invalid"
    assert named in raised.value.message
    assert "s3cr3t" not in raised.value.message


# look-up ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "expression"),
    [
        ({"username": "jdoe@acme.example"}, 'profile.login eq "jdoe@acme.example"'),
        ({"login_id": "jdoe@acme.example"}, 'profile.login eq "jdoe@acme.example"'),
        ({"email": "jdoe@acme.example"}, 'profile.email eq "jdoe@acme.example"'),
    ],
)
def test_a_login_or_email_is_searched_then_read_by_id(sim: OktaSimulator, user: dict, expression: str) -> None:
    connector(sim).unlock(request(user))

    reads = [(r.path, r.query) for r in sim.calls("GET")]
    assert reads == [("/api/v1/users", {"search": [expression], "limit": ["2"]}), (f"/api/v1/users/{USER_ID}", {})]


def test_an_id_is_read_directly(sim: OktaSimulator) -> None:
    connector(sim).unlock(request(id=USER_ID))
    assert [r.path for r in sim.calls("GET")] == [f"/api/v1/users/{USER_ID}"]
    assert {r.header("accept") for r in sim.calls("GET")} == {"application/json"}


def test_unknown_id_is_user_not_found_with_okta_error_id(sim: OktaSimulator) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(id="00u0000000000000ghost"))
    assert raised.value.reason == "user_not_found"
    assert "E0000007" in raised.value.message
    assert (raised.value.vendor_reference or "").startswith("oae")
    assert sim.calls("POST", "/lifecycle/") == []


def test_no_match_and_several_matches(sim: OktaSimulator) -> None:
    sim.add_user("john.doe@acme.example", email="jdoe@acme.example")
    with pytest.raises(PermanentError) as none:
        connector(sim).unlock(request(username="ghost@acme.example"))
    with pytest.raises(PermanentError) as several:
        connector(sim).unlock(request(email="jdoe@acme.example"))
    assert (none.value.reason, several.value.reason) == ("user_not_found", "ambiguous_user")
    assert sim.calls("POST", "/lifecycle/") == []


@pytest.mark.parametrize(
    "user", [{"id": "../groups"}, {"id": "00u-x"}, {"ip": "10.0.0.1"}, {"email": 'x" or profile.login sw "'}]
)
def test_invalid_identifiers_fail_before_any_request(sim: OktaSimulator, user: dict) -> None:
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(user))
    assert raised.value.reason in {"invalid_identifier", "unsupported_identifier"}
    assert sim.requests == []


# the unlock ------------------------------------------------------------------------------------
def test_unlock_request_matches_unlock_a_user(sim: OktaSimulator) -> None:
    result = connector(sim).unlock(request(id=USER_ID))

    [unlock] = sim.calls("POST", "/lifecycle/unlock$")
    assert unlock.path == f"/api/v1/users/{USER_ID}/lifecycle/unlock"
    assert unlock.query == {}
    assert unlock.body == b""
    assert (unlock.header("authorization") or "").startswith("Bearer ")
    assert (result.actions, result.vendor_reference) == (["user.unlock"], USER_ID)
    assert sim.users[USER_ID].status == "ACTIVE"
    assert sim.writes[("user.unlock", USER_ID)] == 1


@pytest.mark.parametrize("status", ["ACTIVE", "SUSPENDED", "PASSWORD_EXPIRED", "RECOVERY", "DEPROVISIONED"])
def test_only_a_locked_out_user_is_unlocked(sim: OktaSimulator, status: str) -> None:
    sim.users[USER_ID].status = status

    result = connector(sim).unlock(request(id=USER_ID))

    assert sim.calls("POST", "/lifecycle/") == []
    assert result.already_unlocked
    assert status in result.message


@pytest.mark.parametrize("provider", ["ACTIVE_DIRECTORY", "LDAP"])
def test_directory_sourced_users_are_refused_before_the_write(sim: OktaSimulator, provider: str) -> None:
    sim.users[USER_ID].provider = provider
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(id=USER_ID))
    assert raised.value.reason == "unsupported_user"
    assert provider in raised.value.message
    assert sim.calls("POST", "/lifecycle/") == []


def test_unlocked_meanwhile_is_already_unlocked(sim: OktaSimulator) -> None:
    """The user read LOCKED_OUT, then the policy's auto-unlock ran: Okta refuses the unlock (E0000001)."""
    locked = sim.users[USER_ID].body()
    sim.users[USER_ID].status = "ACTIVE"
    sim.fail(200, locked, method="GET", path=f"/users/{USER_ID}$")

    result = connector(sim).unlock(request(id=USER_ID))

    assert [r.status for r in sim.calls("POST", "/lifecycle/")] == [400]
    assert result.already_unlocked


def test_a_refused_unlock_of_a_still_locked_user_is_a_failure(sim: OktaSimulator) -> None:
    body = {"errorCode": "E0000001", "errorSummary": "Api validation failed: unlock", "errorId": "oae1"}
    sim.fail(400, body, method="POST", path="/lifecycle/unlock$")
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(id=USER_ID))
    assert raised.value.reason == "bad_request"
    assert raised.value.vendor_reference == "oae1"


def test_a_retry_after_the_unlock_gets_the_recorded_write_back(sim: OktaSimulator) -> None:
    steps = MemorySteps()
    okta = connector(sim)

    first = okta.unlock(request(id=USER_ID), steps)
    again = okta.unlock(request(id=USER_ID), steps)

    assert first.actions == again.actions == ["user.unlock"]
    assert len(sim.calls("POST", "/lifecycle/")) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_5xx_on_the_unlock_is_not_retried_in_process(sim: OktaSimulator, status: int) -> None:
    okta = connector(sim)
    okta.http = VendorHttp("okta", retries=3, backoff_factor=0)
    sim.fail(status, {"errorCode": "E0000009"}, method="POST", path="/lifecycle/unlock$", times=5)
    with pytest.raises(TransientError):
        okta.unlock(request(id=USER_ID))
    assert len(sim.calls("POST", "/lifecycle/")) == 1


# rate limits -----------------------------------------------------------------------------------
def test_every_answer_carries_the_rate_limit_headers(sim: OktaSimulator) -> None:
    answers = [requests.get(f"{sim.url}/api/v1/users/{USER_ID}", timeout=5), requests.get(f"{sim.url}/x", timeout=5)]
    for answer in answers:
        assert {"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} <= set(answer.headers)
    assert [answer.json()["errorCode"] for answer in answers] == ["E0000011", "E0000007"]


def test_429_is_retried_once_the_window_resets(sim: OktaSimulator) -> None:
    sim.rate_limit(0, method="POST", path="/lifecycle/unlock$")

    result = connector(sim).unlock(request(id=USER_ID))

    assert [r.status for r in sim.calls("POST", "/lifecycle/")] == [429, 200]
    assert result.actions == ["user.unlock"]
    assert sim.writes[("user.unlock", USER_ID)] == 1


def test_429_whose_reset_is_beyond_the_wait_is_not_hammered(sim: OktaSimulator) -> None:
    """X-Rate-Limit-Reset a minute away, no Retry-After: one request, then a transient error carrying the wait."""
    sim.rate_limit(60, times=5, path="/users/")

    with pytest.raises(TransientError) as raised:
        connector(sim).unlock(request(id=USER_ID))

    assert len(sim.calls("GET", "/users/")) == 1
    assert raised.value.reason == "rate_limited"
    assert 55 <= (raised.value.retry_after or 0) <= 61
    assert "E0000047" in raised.value.message


def test_the_simulators_429_has_no_retry_after() -> None:
    reply = too_many_requests(30)
    assert "Retry-After" not in reply.headers
    assert int(reply.headers["X-Rate-Limit-Reset"]) >= time.time() + 29
    assert reply.headers["X-Rate-Limit-Remaining"] == "0"


# policy ----------------------------------------------------------------------------------------
def test_the_policy_gets_login_email_type_and_provider_without_an_extra_read(sim: OktaSimulator) -> None:
    steps = Wanting("user_type")
    connector(sim).unlock(request(id=USER_ID), steps)

    [account] = steps.admitted
    assert account.ids == (USER_ID,)
    assert account.usernames == account.emails == ("jdoe@acme.example",)
    assert account.attributes == {"user_type": ("oty1162QAr8hJjTaq0g4",), "provider": ("OKTA",)}
    assert sim.calls("GET", "/groups") == []


def test_groups_are_read_every_page_only_when_the_policy_names_them(sim: OktaSimulator) -> None:
    sim.users[USER_ID].groups = [(f"00g{index:017d}", f"Group {index}") for index in range(450)]
    steps = Wanting("group")

    connector(sim).unlock(request(id=USER_ID), steps)

    pages = sim.calls("GET", "/groups$")
    assert [p.query.get("after") for p in pages] == [None, ["200"], ["400"]]
    [account] = steps.admitted
    assert len(account.attributes["group"]) == 450
    assert account.attributes["group_name"][0] == "Group 0"


def test_a_next_page_off_the_org_is_not_followed(sim: OktaSimulator) -> None:
    sim.users[USER_ID].groups = [("00g1", "Admins")]
    link = '<https://elsewhere.example/api/v1/users/x/groups?after=1>; rel="next"'
    sim.fail(200, [{"id": "00g1", "profile": {"name": "Admins"}}], headers={"Link": link}, path="/groups$")
    steps = Wanting("group")

    connector(sim).unlock(request(id=USER_ID), steps)

    assert "group" not in steps.admitted[0].attributes  # cannot be checked: the policy refuses
    assert len(sim.calls("GET", "/groups")) == 1
