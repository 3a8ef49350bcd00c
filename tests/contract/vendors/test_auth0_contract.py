"""The exact requests the Auth0 connector sends, and how it reads the answers.

Expected values come from Auth0's pages: "Get Management API Access Tokens for Production", "Get a User",
"Search Users by Email", "List or Search Users", "Get blocks for a user" / "Unblock a user", "Get blocks by
identifier" / "Unblock by identifier", "Update a User", "Block and Unblock Users" and "Rate Limit Policy"
(https://auth0.com/docs/api/management/v2, https://auth0.com/docs/users/block-and-unblock-users,
https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import pytest

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import VendorHttp
from account_unlock.policy import parse_policy
from account_unlock.steps import Account, Steps
from account_unlock.vendors.auth0 import RESET_HEADER, Auth0Connector
from local.simulators.auth0 import READ, Auth0Simulator, Auth0User, error, rate_limit_headers
from tests.fixtures.auth0 import CLIENT_ID, CLIENT_SECRET, DOMAIN, USER_ID, connector, request
from tests.fixtures.steps import MemorySteps

ENCODED_ID = "auth0%7C5457edea1b8f22891a000004"
LIMITED = error(429, "Too Many Requests", "Global limit has been reached", "too_many_requests").body


@pytest.fixture
def sim(auth0_sim: Auth0Simulator) -> Auth0Simulator:
    return auth0_sim


@pytest.fixture
def jdoe(sim: Auth0Simulator) -> Auth0User:
    user = sim.add_user("jdoe@example.com", "jdoe", user_id=USER_ID)
    sim.fail_sign_ins(user)
    return user


def api_calls(sim: Auth0Simulator) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in sim.requests if c.path.startswith("/api/v2/")]


def quick(built: Auth0Connector, **settings: float) -> Auth0Connector:
    """The connector with no back-off between retries (waits come from the rate-limit headers only)."""
    built.http = VendorHttp("auth0", backoff_factor=0, reset_header=RESET_HEADER, **settings)  # type: ignore[arg-type]
    return built


# token -----------------------------------------------------------------------------------------
def test_token_request_is_client_credentials_with_the_management_api_audience(sim, jdoe):
    connector(sim).unlock(request({"id": USER_ID}))

    [token] = sim.calls("POST", "/oauth/token$")
    assert token.header("content-type") == "application/x-www-form-urlencoded"
    assert token.header("authorization") is None
    assert parse_qs(token.body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "audience": [f"https://{DOMAIN}/api/v2/"],
    }
    assert all((c.header("authorization") or "").startswith("Bearer ") for c in sim.calls(path="^/api/v2/"))


def test_a_custom_domain_connection_names_the_canonical_audience(sim, jdoe):
    connector(sim, domain="login.acme.example", audience=f"https://{DOMAIN}/api/v2/").unlock(request({"id": USER_ID}))

    [token] = sim.calls("POST", "/oauth/token$")
    assert parse_qs(token.body.decode())["audience"] == [f"https://{DOMAIN}/api/v2/"]


def test_the_token_is_cached_across_unlocks(sim, jdoe):
    built = connector(sim)
    built.unlock(request({"id": USER_ID}))
    built.unlock(request({"email": "jdoe@example.com"}))
    assert len(sim.calls("POST", "/oauth/token$")) == 1


def test_a_wrong_client_secret_is_bad_credentials_without_the_secret(sim, jdoe):
    with pytest.raises(PermanentError) as raised:
        connector(sim, client_secret="wr0ng-s3cret").unlock(request({"id": USER_ID}))
    assert raised.value.reason == "bad_credentials"
    assert "wr0ng-s3cret" not in raised.value.message
    assert len(sim.calls("POST", "/oauth/token$")) == 1
    assert api_calls(sim) == []


def test_an_audience_without_a_client_grant_is_forbidden(sim, jdoe):
    with pytest.raises(PermanentError) as raised:
        connector(sim, audience="https://other.eu.auth0.com/api/v2/").unlock(request({"id": USER_ID}))
    assert raised.value.reason == "forbidden"
    assert api_calls(sim) == []


def test_an_expired_token_is_refreshed_once(sim, jdoe):
    built = connector(sim)
    built.tokens.get()
    sim.revoke_tokens()

    result = built.unlock(request({"id": USER_ID}))

    assert result.actions == ["user_blocks.delete"]
    assert len(sim.calls("POST", "/oauth/token$")) == 2
    assert [c.status for c in sim.calls("GET", "/users/")] == [401, 200]


# brute-force blocks ----------------------------------------------------------------------------
def test_unlock_by_user_id_reads_then_removes_the_users_blocks(sim, jdoe):
    result = connector(sim).unlock(request({"id": USER_ID}))

    assert api_calls(sim) == [
        ("GET", f"/api/v2/users/{ENCODED_ID}"),
        ("GET", f"/api/v2/user-blocks/{ENCODED_ID}"),
        ("DELETE", f"/api/v2/user-blocks/{ENCODED_ID}"),
    ]
    [delete] = sim.calls("DELETE")
    assert (delete.body, delete.status) == (b"", 204)
    assert result.actions == ["user_blocks.delete"]
    assert result.vendor_reference == USER_ID
    assert jdoe.can_sign_in


def test_unlock_by_email_finds_the_user_and_removes_the_identifiers_blocks(sim, jdoe):
    result = connector(sim).unlock(request({"email": "jdoe@example.com"}))

    assert [c.path for c in sim.calls(path="^/api/v2/")] == [
        "/api/v2/users-by-email",
        "/api/v2/user-blocks",
        "/api/v2/user-blocks",
    ]
    [look_up] = sim.calls("GET", "/users-by-email$")
    assert look_up.query == {"email": ["jdoe@example.com"]}
    [delete] = sim.calls("DELETE")
    assert delete.query == {"identifier": ["jdoe@example.com"]}
    assert result.actions == ["user_blocks.delete"]
    assert jdoe.can_sign_in


@pytest.mark.parametrize(
    ("kind", "query"),
    [("username", 'username:"jdoe"'), ("login_id", 'email:"jdoe" OR username:"jdoe" OR phone_number:"jdoe"')],
)
def test_a_username_or_login_id_is_searched_with_the_v3_engine(sim, jdoe, kind, query):
    sim.fail_sign_ins(jdoe, "jdoe")
    connector(sim).unlock(request({kind: "jdoe"}))

    [search] = sim.calls("GET", "^/api/v2/users$")
    assert search.query == {"q": [query], "search_engine": ["v3"]}
    [delete] = sim.calls("DELETE")
    assert delete.query == {"identifier": ["jdoe"]}


@pytest.mark.parametrize("user", [{"id": USER_ID}, {"email": "jdoe@example.com"}])
def test_a_user_with_no_block_gets_no_write_and_is_already_unlocked(sim, jdoe, user):
    jdoe.blocks.clear()

    result = connector(sim).unlock(request(user))

    assert sim.calls("DELETE") == sim.calls("PATCH") == []
    assert result.already_unlocked
    assert result.message == "Auth0 reported no block: no write"


def test_a_block_on_another_identifier_is_not_removed_by_identifier(sim, jdoe):
    """ "Unblock by identifier" removes the blocks of that identifier; the user's other identifiers keep theirs."""
    jdoe.blocks.clear()
    sim.fail_sign_ins(jdoe, "jdoe")

    result = connector(sim).unlock(request({"email": "jdoe@example.com"}))

    assert result.already_unlocked
    assert not jdoe.can_sign_in
    assert connector(sim).unlock(request({"id": USER_ID})).actions == ["user_blocks.delete"]  # by id: every identifier
    assert jdoe.can_sign_in


# an administrator's block ----------------------------------------------------------------------
def test_an_admin_block_is_refused_before_any_write_unless_the_connection_allows_it(sim, jdoe):
    jdoe.blocked = True

    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request({"id": USER_ID}))

    assert raised.value.reason == "account_blocked"
    assert "lift_admin_blocks" in raised.value.message
    assert sim.calls("DELETE") == sim.calls("PATCH") == []
    assert jdoe.blocks  # the brute-force block is left too: a partial unlock would be reported as none


def test_an_allowed_admin_block_is_lifted_as_its_own_action_after_the_blocks(sim, jdoe):
    jdoe.blocked = True

    result = connector(sim, lift_admin_blocks=True).unlock(request({"id": USER_ID}))

    [patch] = sim.calls("PATCH")
    assert patch.path == f"/api/v2/users/{ENCODED_ID}"
    assert patch.header("content-type") == "application/json"
    assert patch.json() == {"blocked": False}
    assert result.actions == ["user_blocks.delete", "user.unblock"]
    assert jdoe.can_sign_in


def test_removing_the_blocks_never_lifts_an_admin_block_at_the_simulator(sim, jdoe):
    """ "Unblock a user": "does not unblock users that were blocked by a tenant administrator"."""
    jdoe.blocked = True
    jdoe.blocks.clear()

    result = connector(sim, lift_admin_blocks=True).unlock(request({"email": "jdoe@example.com"}))

    assert result.actions == ["user.unblock"]
    assert sim.calls("DELETE") == []


def test_two_admin_blocked_users_with_one_e_mail_are_ambiguous(sim, jdoe):
    jdoe.blocked = True
    sim.add_user("jdoe@example.com", connection="google-oauth2", user_id="google-oauth2|1069", blocked=True)

    with pytest.raises(PermanentError) as raised:
        connector(sim, lift_admin_blocks=True).unlock(request({"email": "jdoe@example.com"}))

    assert raised.value.reason == "ambiguous_user"
    assert sim.calls("DELETE") == sim.calls("PATCH") == []


def test_an_update_answered_still_blocked_is_not_an_unlock(sim, jdoe):
    jdoe.blocked = True
    jdoe.blocks.clear()
    sim.fail(200, jdoe.body(), method="PATCH", path="/users/")  # the answer still says blocked: true

    with pytest.raises(PermanentError) as raised:
        connector(sim, lift_admin_blocks=True).unlock(request({"id": USER_ID}))
    assert raised.value.reason == "unlock_not_confirmed"


# look-ups and identifiers ----------------------------------------------------------------------
@pytest.mark.parametrize("user", [{"id": "auth0|000000000000000000000000"}, {"email": "ghost@example.com"}])
def test_an_unknown_user_is_permanent_not_found_with_no_write(sim, jdoe, user):
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(user))
    assert raised.value.reason == "user_not_found"
    assert sim.calls("DELETE") == []


@pytest.mark.parametrize(
    "user",
    [{"id": "5457edea1b8f22891a000004"}, {"id": "../../clients"}, {"ip": "10.0.0.1"}, {"username": 'x" OR email:"*'}],
)
def test_invalid_identifiers_fail_before_any_request(sim, user):
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request(user))
    assert raised.value.reason in {"invalid_identifier", "unsupported_identifier"}
    assert sim.requests == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"domain": "https://acme.auth0.com"}, "domain"),
        ({"domain": "acme.auth0.com/api"}, "domain"),
        ({"audience": "https://acme.auth0.com/api/v1/"}, "audience"),
        ({"base_url": "http://acme.auth0.com"}, "base_url"),
        ({"client_secret": ""}, "client_secret"),
        ({"scopes": "read:users"}, "scopes"),
    ],
)
def test_invalid_configuration_names_the_field_never_its_value(sim, fields, field):
    with pytest.raises(PermanentError) as raised:
        connector(sim, **fields).unlock(request({"id": USER_ID}))
    assert raised.value.reason == "config_invalid"
    assert field in raised.value.message
    assert CLIENT_SECRET not in raised.value.message
    assert sim.requests == []


def test_a_missing_scope_is_forbidden_and_names_it(sim, jdoe):
    sim.scopes = (READ,)  # the client grant lacks update:users
    with pytest.raises(PermanentError) as raised:
        connector(sim).unlock(request({"id": USER_ID}))
    assert raised.value.reason == "forbidden"
    assert "update:users" in raised.value.message
    assert raised.value.vendor_code == "insufficient_scope"
    assert jdoe.blocks


# rate limits and failures ----------------------------------------------------------------------
def test_a_rate_limited_read_waits_for_x_ratelimit_reset_then_succeeds(sim, jdoe):
    sim.fail(429, LIMITED, headers=rate_limit_headers(remaining=0, reset_in=1), method="GET", path="/users/")

    result = quick(connector(sim)).unlock(request({"id": USER_ID}))

    assert [c.status for c in sim.calls("GET", "/users/")] == [429, 200]
    assert result.actions == ["user_blocks.delete"]


def test_a_rate_limited_removal_is_retried_in_process_and_applied_once(sim, jdoe):
    """A 429 means Auth0 refused before acting: the write is sent again once the window resets."""
    sim.fail(429, LIMITED, headers=rate_limit_headers(remaining=0, reset_in=0), method="DELETE")

    result = quick(connector(sim)).unlock(request({"id": USER_ID}))

    assert [c.status for c in sim.calls("DELETE")] == [429, 204]
    assert sim.writes[("user_blocks.delete", USER_ID)] == 1
    assert result.actions == ["user_blocks.delete"]


def test_a_reset_beyond_the_longest_wait_is_transient_with_its_wait_and_not_slept_through(sim, jdoe):
    reset = {RESET_HEADER: str(int(time.time()) + 3600), "x-ratelimit-remaining": "0"}
    sim.fail(429, LIMITED, headers=reset, path="/users/", times=5)

    with pytest.raises(TransientError) as raised:
        quick(connector(sim)).unlock(request({"id": USER_ID}))

    assert raised.value.reason == "rate_limited"
    assert raised.value.retry_after is not None
    assert raised.value.retry_after > 3000
    assert len(sim.calls("GET", "/users/")) == 1  # no retry: its wait is longer than max_retry_after


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_on_the_removal_is_not_resent_and_the_retry_reads_the_blocks(sim, jdoe, status):
    sim.fail(status, error(status, "Server Error", "boom").body, method="DELETE", handled=True)
    built = quick(connector(sim))

    with pytest.raises(TransientError):
        built.unlock(request({"id": USER_ID}), MemorySteps())
    assert len(sim.calls("DELETE")) == 1

    assert built.unlock(request({"id": USER_ID}), MemorySteps()).already_unlocked
    assert sim.writes[("user_blocks.delete", USER_ID)] == 1


def test_a_retry_after_a_failed_admin_unblock_does_not_remove_the_blocks_again(sim, jdoe):
    jdoe.blocked = True
    built = quick(connector(sim, lift_admin_blocks=True), retries=0)
    steps = MemorySteps()
    sim.fail(503, error(503, "Service Unavailable", "busy").body, method="PATCH")

    with pytest.raises(TransientError):
        built.unlock(request({"id": USER_ID}), steps)
    sim.fail_sign_ins(jdoe)  # blocked again meanwhile: the recorded removal is still not repeated
    result = built.unlock(request({"id": USER_ID}), steps)

    assert len(sim.calls("DELETE")) == 1
    assert result.actions == ["user_blocks.delete", "user.unblock"]
    assert not jdoe.blocked


# policy ----------------------------------------------------------------------------------------
def test_every_user_the_look_up_found_goes_to_the_policy(sim, jdoe):
    jdoe.app_metadata = {"tier": "gold"}
    sim.add_user("jdoe@example.com", connection="google-oauth2", user_id="google-oauth2|1069")
    admitted: list[Account] = []

    class Recording(Steps):
        def wanted(self) -> frozenset[str]:
            return frozenset({"app_metadata.tier", "connection"})

        def admit(self, account: Account) -> None:
            admitted.append(account)

    connector(sim).unlock(request({"email": "jdoe@example.com"}), Recording())

    [account] = admitted
    assert account.ids == (USER_ID, "google-oauth2|1069")
    assert account.emails == ("jdoe@example.com", "jdoe@example.com")
    assert account.attributes == {
        "connection": ("Username-Password-Authentication", "google-oauth2"),
        "app_metadata.tier": ("gold",),
    }


@pytest.mark.parametrize(("attribute", "valid"), [("connection", True), ("app_metadata.tier", True), ("role", False)])
def test_the_policy_attributes_auth0_connections_read(attribute, valid):
    raw = {"protected": {"attributes": {attribute: ["x"]}}}
    if valid:
        assert parse_policy("a0", "auth0", raw, Auth0Connector.policy_attributes).active
    else:
        with pytest.raises(PermanentError, match="not an attribute auth0 connections read"):
            parse_policy("a0", "auth0", raw, Auth0Connector.policy_attributes)
