"""The exact extra reads a connection policy makes each connector send, and none without one.

- PingOne: "Read User by ID" with ``include=memberOfGroupIDs`` (its ``include`` values; "Read All Group IDs for
  User", https://developer.pingidentity.com/pingone-api/platform/users/group-membership/read-all-group-ids-for-user.html).
- LoginRadius: Roles by UID, ``GET /identity/v2/manage/account/{uid}/role`` (Roles Management,
  https://www.loginradius.com/docs/developer/api/roles-management/), API key and secret in headers (API Security,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/api-security/); the portal's Auth Read all Profiles
  by Token, ``GET /identity/v2/auth/account`` (Authentication API,
  https://www.loginradius.com/docs/developer/api/authentication-api/).
- SailPoint: Account details (https://developer.sailpoint.com/docs/api/v3/get-account) and List identities with
  ``id eq`` (https://developer.sailpoint.com/docs/api/v2025/list-identities).
- Gigya: accounts.getAccountInfo REST with ``include=profile,data``
  (https://developers.gigya.com/display/GD/accounts.getAccountInfo+REST).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from account_unlock.errors import PermanentError
from account_unlock.guard import PolicySteps, Subject
from account_unlock.policy import parse_policy
from account_unlock.steps import Steps
from account_unlock.vendors import CONNECTORS
from account_unlock.vendors.loginradius_portal import LoginRadiusPortal
from local.simulators.gigya import GigyaSimulator
from local.simulators.loginradius import LoginRadiusSimulator
from local.simulators.pingone import PingOneSimulator
from local.simulators.sailpoint import SailPointSimulator
from tests.fixtures import gigya, loginradius, pingone, sailpoint

SUBJECT = Subject("c", "username=x", None, "zendesk")


def guarded(vendor: str, protected: dict[str, Any]) -> PolicySteps:
    """Steps under a policy with protected accounts only (no rate limit: no AWS call)."""
    policy = parse_policy("c", vendor, {"protected": protected}, CONNECTORS[vendor].policy_attributes)
    return PolicySteps(Steps(), policy, SUBJECT, vendor)


def refused(call: Any) -> str:
    with pytest.raises(PermanentError) as caught:
        call()
    assert caught.value.reason == "protected_account"
    return caught.value.message


def test_pingone_reads_the_group_ids_of_a_user_looked_up_by_username(pingone_sim: PingOneSimulator):
    user = pingone_sim.add_user("jdoe", "jdoe@example.com", user_id=pingone.USER_ID)
    user.group_ids = ["g-admins"]
    connector = pingone.connector(pingone_sim)

    refused(
        lambda: connector.unlock(
            pingone.request(username="jdoe"), guarded("pingone", {"attributes": {"group": ["g-admins"]}})
        )
    )

    reads = [(r.method, r.path, r.query) for r in pingone_sim.requests if "/users" in r.path]
    assert reads == [
        ("GET", f"/v1/environments/{pingone.ENV}/users", {"filter": ['username eq "jdoe"']}),
        ("GET", f"/v1/environments/{pingone.ENV}/users/{pingone.USER_ID}", {"include": ["memberOfGroupIDs"]}),
    ]


def test_pingone_by_id_sends_the_include_on_its_one_read(pingone_sim: PingOneSimulator):
    pingone_sim.add_user("jdoe", "jdoe@example.com", user_id=pingone.USER_ID, account_locked=False)
    pingone.connector(pingone_sim).unlock(
        pingone.request(id=pingone.USER_ID), guarded("pingone", {"attributes": {"group": ["g-admins"]}})
    )

    user_reads = [r for r in pingone_sim.requests if r.path.endswith(pingone.USER_ID)]
    assert [r.query for r in user_reads] == [{"include": ["memberOfGroupIDs"]}]


def test_pingone_without_a_group_rule_sends_no_include(pingone_sim: PingOneSimulator):
    pingone_sim.add_user("jdoe", "jdoe@example.com", user_id=pingone.USER_ID)
    pingone.connector(pingone_sim).unlock(
        pingone.request(username="jdoe"), guarded("pingone", {"attributes": {"population": ["p"]}})
    )

    assert all("include" not in r.query for r in pingone_sim.requests)


def test_loginradius_reads_the_roles_by_uid_with_the_admin_headers(loginradius_sim: LoginRadiusSimulator):
    user = loginradius_sim.add_user("jane@example.com", "jane", uid=loginradius.UID)
    user.roles = ["Admin"]
    connector = loginradius.connector(loginradius_sim)

    refused(
        lambda: connector.unlock(
            loginradius.request(email="jane@example.com"), guarded("loginradius", {"attributes": {"role": ["admin"]}})
        )
    )

    [lookup, roles] = loginradius_sim.requests
    assert (roles.method, roles.path, roles.query, roles.body) == (
        "GET",
        f"{loginradius.ACCOUNT}/{loginradius.UID}/role",
        {},
        b"",
    )
    assert roles.header("x-loginradius-apikey") == loginradius.API_KEY
    assert roles.header("x-loginradius-apisecret") == loginradius.API_SECRET
    assert lookup.path == loginradius.ACCOUNT


def test_the_portal_reads_the_token_s_profile_with_the_token_and_no_secret(loginradius_sim: LoginRadiusSimulator):
    user = loginradius_sim.add_user("jane@example.com", "jane", uid=loginradius.UID)
    token = loginradius_sim.issue_token(user.uid)
    secret = {"vendor": "loginradius", "api_key": loginradius.API_KEY, "api_secret": loginradius.API_SECRET}
    portal = LoginRadiusPortal.from_secret(secret | {"base_url": loginradius_sim.url})

    account = portal.account(SecretStr(token), frozenset())

    [seen] = loginradius_sim.requests
    assert (seen.method, seen.path, seen.query, seen.body) == (
        "GET",
        "/identity/v2/auth/account",
        {"apikey": [loginradius.API_KEY]},
        b"",
    )
    assert seen.header("authorization") == f"Bearer {token}"
    assert seen.header("x-loginradius-apisecret") is None
    assert (account.ids, account.usernames, account.emails) == ((loginradius.UID,), ("jane",), ("jane@example.com",))


def test_sailpoint_reads_an_account_named_by_id_and_lists_its_identity_by_id(sailpoint_sim: SailPointSimulator):
    account = sailpoint_sim.add_account("jdoe", account_id=sailpoint.ACCOUNT_ID)
    account.identity.attributes = {"department": "Security"}
    connector = sailpoint.connector(sailpoint_sim)

    refused(
        lambda: connector.unlock(
            sailpoint.request(id=sailpoint.ACCOUNT_ID),
            guarded("sailpoint", {"attributes": {"identity.department": ["security"]}}),
        )
    )

    api = [(r.method, r.path, r.query) for r in sailpoint_sim.requests if not r.path.endswith("/oauth/token")]
    assert api == [
        ("GET", f"/v3/accounts/{sailpoint.ACCOUNT_ID}", {}),
        ("GET", "/v2025/identities", {"filters": [f'id eq "{account.identity.id}"'], "limit": ["2"]}),
    ]


def test_gigya_reads_profile_and_data_of_a_uid_before_the_unlock(gigya_sim: GigyaSimulator):
    account = gigya_sim.add_account(gigya.UID, "jane@example.com")
    account.data = {"tier": "vip"}

    refused(
        lambda: gigya.connector_for(gigya_sim).unlock(
            gigya.request(id=gigya.UID), guarded("gigya", {"attributes": {"data.tier": ["vip"]}})
        )
    )

    [read] = gigya_sim.requests
    assert read.path == "/accounts.getAccountInfo"
    form = read.form()
    assert (form["UID"], form["include"]) == (gigya.UID, "profile,data")
    assert {form["apiKey"], form["userKey"], form["secret"]} == {gigya.API_KEY, gigya.USER_KEY, gigya.SECRET}


def test_gigya_with_read_lockout_state_makes_one_read_for_both(gigya_sim: GigyaSimulator):
    gigya_sim.add_account(gigya.UID, "jane@example.com")

    gigya.connector_for(gigya_sim, read_lockout_state=True).unlock(
        gigya.request(id=gigya.UID), guarded("gigya", {"attributes": {"profile.country": ["FR"]}})
    )

    assert [r.path for r in gigya_sim.requests] == ["/accounts.getAccountInfo", "/accounts.rba.unlock"]
    assert gigya_sim.requests[0].form()["include"] == "isLockedOut,profile,data"
