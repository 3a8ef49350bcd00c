"""The policy guard through the local stack: bus → unlock function (or portal → self-service function) →
simulator, with a ``policy`` in the connection secret. Vendor calls and writes are counted at the
simulators; outcomes, audit items and metrics are read where the functions put them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from account_unlock.policy import REFUSALS
from local.samples import LOGINRADIUS_API_KEY, LOGINRADIUS_API_SECRET, SAILPOINT_CLIENT_ID, SAILPOINT_CLIENT_SECRET
from local.samples import unlock_requested as sample_request
from tests.integration.helpers import audit_items, outcomes, unique

pytestmark = pytest.mark.integration

UNEXPECTED = {"id": "e1", "code": "UNEXPECTED_ERROR", "message": "The request could not be completed."}
HOUR = 3600


# connections with a policy ---------------------------------------------------------------------
def connection(env, vendor: str, policy: Any, **settings: Any) -> str:
    """A connection of its own (so that its counters are too) with ``policy`` in its secret."""
    name = unique(f"policy-{vendor}")
    if vendor == "pingone":
        secret = env.pingone_connection()
    elif vendor == "loginradius":
        secret = {
            "vendor": "loginradius",
            "api_key": LOGINRADIUS_API_KEY,
            "api_secret": LOGINRADIUS_API_SECRET,
            "base_url": env.loginradius.url,
        }
    elif vendor == "sailpoint":
        secret = {
            "vendor": "sailpoint",
            "client_id": SAILPOINT_CLIENT_ID,
            "client_secret": SAILPOINT_CLIENT_SECRET,
            "base_url": env.sailpoint.url,
        }
    else:
        secret = env.gigya_connection()
    env.put_secret("connection", name, secret | settings | {"policy": policy})
    return name


def request(user: dict[str, str], name: str, **fields: Any) -> dict[str, Any]:
    return sample_request(user, connection=name) | fields


def run(env, detail: dict[str, Any]) -> dict[str, Any]:
    """Put one Unlock Requested event on the bus and return the one outcome event it led to."""
    env.stack.put_event("Unlock Requested", detail)
    [event] = outcomes(env)
    return event


def limited(scope: str, maximum: int) -> dict[str, Any]:
    return {"rate_limits": {scope: {"max": maximum, "window_seconds": HOUR}}}


def locked_pingone_user(env, **state: Any):
    name = unique("pol")
    return env.pingone.add_user(name, f"{name}@example.com", **state)


def pingone_writes(env) -> list[Any]:
    return env.pingone.calls("POST", "/users/")


def refusals_printed(env, start: int) -> list[dict[str, Any]]:
    """The PolicyRefusals EMF records the functions printed since ``start``."""
    lines = env.stack.output.getvalue()[start:].splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [
        record
        for record in records
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", [])
        if any(metric["Name"] == "PolicyRefusals" for metric in directive["Metrics"])
    ]


# protected accounts ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("vendor", "protected", "user"),
    [
        ("pingone", {"usernames": ["break-glass"]}, {"username": "BREAK-GLASS"}),
        ("pingone", {"ids": ["3f1c*"]}, {"id": "3f1c0b9e-6d2a-4e1b-9a57-0e5d1c2b3a4f"}),
        ("loginradius", {"emails": ["*@admins.example.com"]}, {"email": "root@admins.example.com"}),
        ("gigya", {"usernames": ["svc-*"], "emails": ["*@ops.example.com"]}, {"login_id": "ceo@ops.example.com"}),
        ("sailpoint", {"usernames": ["adm-?"]}, {"username": "adm-1"}),
    ],
)
def test_a_protected_identifier_is_refused_before_any_vendor_call(env, vendor, protected, user):
    name = connection(env, vendor, {"protected": protected})
    detail = request(user, name)

    event = run(env, detail)

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["reason"] == "protected_account"
    assert "policy.protected" in event["detail"]["message"]
    assert all(simulator.requests == [] for simulator in env.simulators)  # not even a token request
    [item] = audit_items(env, detail["request_id"])
    assert item["reason"]["S"] == "protected_account"
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1  # permanent: never retried


def test_a_user_named_by_id_whose_username_is_protected_is_refused_after_the_look_up(env):
    user = locked_pingone_user(env)
    name = connection(env, "pingone", {"protected": {"usernames": [user.username]}})

    event = run(env, request({"id": user.id}, name))

    assert event["detail"]["reason"] == "protected_account"
    assert len(env.pingone.calls("GET", f"/users/{user.id}$")) == 1  # the look-up
    assert pingone_writes(env) == []
    assert user.account_locked


def test_a_pingone_group_member_is_refused_after_the_look_up_with_no_write(env):
    group = str(uuid.uuid4())
    user = locked_pingone_user(env)
    user.group_ids = [str(uuid.uuid4()), group]
    name = connection(env, "pingone", {"protected": {"attributes": {"group": [group]}}})

    event = run(env, request({"username": user.username}, name))

    assert event["detail"]["reason"] == "protected_account"
    assert "policy.protected.attributes.group" in event["detail"]["message"]
    [read] = env.pingone.calls("GET", f"/users/{user.id}$")
    assert read.query["include"] == ["memberOfGroupIDs"]  # "Read User by ID", include=memberOfGroupIDs
    assert pingone_writes(env) == []
    assert env.pingone.calls("GET", "/password$") == []
    assert user.account_locked


def test_a_pingone_population_member_is_refused_and_another_population_unlocks(env):
    admins = str(uuid.uuid4())
    admin, staff = locked_pingone_user(env), locked_pingone_user(env)
    admin.population_id = admins
    name = connection(env, "pingone", {"protected": {"attributes": {"population": [admins]}}})

    refused = run(env, request({"username": admin.username}, name))
    unlocked = run(env, request({"username": staff.username}, name))

    assert refused["detail"]["reason"] == "protected_account"
    assert admin.account_locked
    assert unlocked["detail-type"] == "Account Unlocked"
    assert not staff.account_locked
    assert all("include" not in call.query for call in env.pingone.requests)  # no group rule: no group read


def test_a_loginradius_role_holder_is_refused_after_the_role_read_with_no_write(env):
    suffix = uuid.uuid4().hex[:8]
    user = env.loginradius.add_user(f"lr-{suffix}@example.com", f"lr-{suffix}")
    user.roles = ["Customer", "Administrator"]
    name = connection(env, "loginradius", {"protected": {"attributes": {"role": ["admin*"]}}})

    event = run(env, request({"email": user.email}, name))

    assert event["detail"]["reason"] == "protected_account"
    assert len(env.loginradius.calls("GET", f"/manage/account/{user.uid}/role$")) == 1  # Roles by UID
    assert env.loginradius.calls("PUT") == []
    assert user.locked


def test_a_sailpoint_identity_attribute_is_refused_with_no_unlock_task(env):
    account = env.sailpoint.add_account(unique("sp"))
    account.identity.attributes = {"department": "Security Operations"}
    name = connection(env, "sailpoint", {"protected": {"attributes": {"identity.department": ["security*"]}}})

    event = run(env, request({"username": account.name}, name))

    assert event["detail"]["reason"] == "protected_account"
    [listed] = env.sailpoint.calls("GET", "/v2025/identities$")
    assert listed.query["filters"] == [f'id eq "{account.identity.id}"']
    assert env.sailpoint.calls("POST", "/unlock$") == []
    assert account.locked


def test_a_gigya_data_field_is_refused_after_get_account_info_and_a_login_id_cannot_be_checked(env):
    vip = env.gigya.add_account(unique("uid"), f"{unique('vip')}@example.com")
    vip.data = {"tier": "vip"}
    name = connection(env, "gigya", {"protected": {"attributes": {"data.tier": ["vip"]}}})

    by_uid = run(env, request({"id": vip.uid}, name))
    by_login_id = run(env, request({"login_id": vip.login_id}, name))

    assert by_uid["detail"]["reason"] == by_login_id["detail"]["reason"] == "protected_account"
    assert "could not be checked" in by_login_id["detail"]["message"]
    [read] = env.gigya.calls("POST", "/accounts.getAccountInfo$")
    assert read.form()["include"] == "profile,data"
    assert env.gigya.calls("POST", "/accounts.rba.unlock$") == []
    assert vip.locked


def test_a_pingone_user_answered_without_group_ids_cannot_be_checked_and_is_refused(env):
    user = locked_pingone_user(env)
    name = connection(env, "pingone", {"protected": {"attributes": {"group": ["*"]}}})
    # PingOne leaves memberOfGroupIDs out without the Identity Data Admin role ("Read User by ID").
    env.pingone.fail(
        200, {"id": user.id, "username": user.username, "account": {"status": "LOCKED"}}, method="GET", path=user.id
    )

    event = run(env, request({"id": user.id}, name))

    assert event["detail"]["reason"] == "protected_account"
    assert "could not be checked" in event["detail"]["message"]
    assert pingone_writes(env) == []


# rate limits -----------------------------------------------------------------------------------
def test_the_unlock_over_the_per_user_limit_is_refused_with_the_limit(env):
    user = locked_pingone_user(env)
    name = connection(env, "pingone", limited("per_user", 2))
    events = []
    for by in ({"username": user.username}, {"id": user.id}, {"email": user.email}):  # one user, three names
        user.account_locked = True
        events.append(run(env, request(by, name)))

    assert [e["detail"]["reason"] for e in events] == ["unlocked", "unlocked", "rate_limited_policy"]
    assert events[2]["detail"]["message"].endswith("at most 2 unlocks of this user per 3600 s")
    assert len(pingone_writes(env)) == 2
    assert user.account_locked


def test_the_unlock_over_the_per_requester_limit_is_refused(env):
    name = connection(env, "pingone", limited("per_requester", 2))
    users = [locked_pingone_user(env) for _ in range(3)]
    helpdesk = unique("agent") + "@example.com"

    events = [run(env, request({"username": u.username}, name, requested_by=helpdesk)) for u in users]
    other = locked_pingone_user(env)
    other_requester = run(env, request({"username": other.username}, name, requested_by="someone@example.com"))

    assert [e["detail"]["reason"] for e in events] == ["unlocked", "unlocked", "rate_limited_policy"]
    assert events[2]["detail"]["message"].endswith("at most 2 unlocks requested by this requester per 3600 s")
    assert users[2].account_locked
    assert other_requester["detail"]["reason"] == "unlocked"


def test_the_unlock_over_the_per_source_limit_is_refused(env):
    name = connection(env, "pingone", limited("per_source", 1))
    first, second = locked_pingone_user(env), locked_pingone_user(env)
    origin = {"system": unique("wf"), "ticket_id": unique("T")}

    events = [
        run(env, request({"username": u.username}, name, requested_by=unique("r"), origin=origin | {"ticket_id": t}))
        for u, t in ((first, unique("T")), (second, unique("T")))
    ]

    assert [e["detail"]["reason"] for e in events] == ["unlocked", "rate_limited_policy"]
    assert events[1]["detail"]["message"].endswith("at most 1 unlocks from this source per 3600 s")
    assert second.account_locked


def test_a_lambda_retry_after_a_transient_vendor_failure_does_not_take_a_second_admission(env):
    user = locked_pingone_user(env)
    name = connection(env, "pingone", limited("per_user", 1))
    # The account unlock fails after the admission (a write: not retried in-process), so Lambda retries.
    env.pingone.fail(500, UNEXPECTED, method="POST", path=f"/users/{user.id}$")

    event = run(env, request({"username": user.username}, name))

    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 2
    assert event["detail"]["reason"] == "unlocked"  # counted twice, the retry would be over the limit of 1
    assert not user.account_locked


def test_a_dead_letter_redrive_does_not_take_a_second_admission(env):
    user = locked_pingone_user(env)
    name = connection(env, "pingone", limited("per_user", 1))
    env.pingone.fail(500, UNEXPECTED, method="POST", path=f"/users/{user.id}$", times=1000)
    env.stack.put_event("Unlock Requested", request({"username": user.username}, name))
    assert outcomes(env) == []
    [record] = env.stack.drain("UnlockDeadLetterQueue")
    env.pingone.faults.clear()

    redriven = env.stack.invoke_async("UnlockFunction", record["requestPayload"])

    assert redriven.error is None
    assert redriven.result["reason"] == "unlocked"
    assert not user.account_locked


def test_counters_are_per_connection_and_hold_digests_only(env):
    user = locked_pingone_user(env)
    name = connection(env, "pingone", limited("per_user", 1))
    run(env, request({"username": user.username}, name, requested_by="agent-x@example.com"))

    items = env.stack.client("dynamodb").scan(TableName=env.stack.names["PolicyCountersTable"])["Items"]
    ours = [item for item in items if item["id"]["S"].startswith(f"{name}#user#")]
    assert [item["unlocks"]["N"] for item in ours] == ["1"]
    assert int(ours[0]["expires_at"]["N"]) > 0
    assert user.id not in json.dumps(items)
    assert user.username not in json.dumps(items)


# dry run ---------------------------------------------------------------------------------------
def test_a_dry_run_writes_nothing_and_publishes_and_audits_what_it_would_have_done(env):
    user = locked_pingone_user(env, password_locked=True)
    name = connection(env, "pingone", {"dry_run": True} | limited("per_user", 1))
    detail = request({"username": user.username}, name)

    event = run(env, detail)
    again = run(env, request({"username": user.username}, name))  # a dry run takes no admission

    assert event["detail-type"] == "Unlock Failed"
    assert event["detail"]["status"] == "failed"
    assert event["detail"]["reason"] == "dry_run"
    assert event["detail"]["planned_actions"] == ["password.unlock", "account.unlock"]
    assert event["detail"]["actions"] == []
    assert event["detail"]["vendor_reference"] == user.id
    assert "would have done: password.unlock, account.unlock" in event["detail"]["message"]
    assert pingone_writes(env) == []
    assert [e for e in env.pingone.events if e[1] == user.id] == []
    assert user.account_locked
    assert user.password_locked
    [item] = audit_items(env, detail["request_id"])
    assert item["reason"]["S"] == "dry_run"
    assert "would have done" in item["message"]["S"]
    assert again["detail"]["reason"] == "dry_run"


@pytest.mark.parametrize("vendor", ["loginradius", "sailpoint", "gigya"])
def test_a_dry_run_sends_no_write_to_any_vendor(env, vendor):
    name = connection(env, vendor, {"dry_run": True}, **({"confirm": True} if vendor == "sailpoint" else {}))
    if vendor == "loginradius":
        lr = env.loginradius.add_user(f"{unique('d')}@example.com", unique("d"))
        user, is_locked, writes = {"email": lr.email}, lambda: lr.locked, lambda: env.loginradius.calls("PUT")
    elif vendor == "sailpoint":
        account = env.sailpoint.add_account(unique("d"))
        user, is_locked, writes = (
            {"username": account.name},
            lambda: account.locked,
            lambda: env.sailpoint.calls("POST", "/unlock$"),
        )
    else:
        account = env.gigya.add_account(unique("uid"), f"{unique('d')}@example.com")
        user, is_locked, writes = {"id": account.uid}, lambda: account.locked, lambda: env.gigya.calls("POST", "rba")

    event = run(env, request(user, name))

    assert event["detail"]["reason"] == "dry_run"
    assert event["detail"]["planned_actions"]
    assert writes() == []
    assert is_locked()


# invalid policy --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"rate_limits": {"per_user": {"max": 0, "window_seconds": HOUR}}}, "policy.rate_limits.per_user.max"),
        ({"dry_run": "yes"}, "policy.dry_run"),
        ({"protected": {"user_names": ["x"]}}, "policy.protected.user_names"),
        ({"protected": {"attributes": {"role": ["admin"]}}}, "policy.protected.attributes.role"),  # not PingOne's
        (["not", "an", "object"], "policy (model_type)"),
    ],
)
def test_an_invalid_policy_fails_closed_naming_the_field_with_no_vendor_call(env, policy, field):
    name = connection(env, "pingone", policy)
    user = locked_pingone_user(env)

    event = run(env, request({"username": user.username}, name))

    assert event["detail"]["reason"] == "config_invalid"
    assert field in event["detail"]["message"]
    assert env.pingone.requests == []
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1


def test_no_policy_keeps_todays_behaviour_with_no_counter(env):
    user = locked_pingone_user(env)
    name = unique("no-policy")
    env.put_secret("connection", name, env.pingone_connection())
    before = env.stack.client("dynamodb").scan(TableName=env.stack.names["PolicyCountersTable"])["Count"]

    event = run(env, request({"username": user.username}, name))

    assert event["detail"]["reason"] == "unlocked"
    assert env.stack.client("dynamodb").scan(TableName=env.stack.names["PolicyCountersTable"])["Count"] == before


# metrics ---------------------------------------------------------------------------------------
def test_refusals_are_counted_by_reason_only(env):
    start = len(env.stack.output.getvalue())
    name = connection(env, "pingone", {"protected": {"usernames": ["root"]}} | limited("per_user", 1))
    user = locked_pingone_user(env)
    run(env, request({"username": "root"}, name))
    run(env, request({"username": user.username}, name))
    user.account_locked = True
    run(env, request({"username": user.username}, name))

    records = refusals_printed(env, start)

    assert sorted(record["reason"] for record in records) == sorted(REFUSALS)
    for record in records:
        [directive] = record["_aws"]["CloudWatchMetrics"]
        assert [set(names) for names in directive["Dimensions"]] == [{"reason", "service"}]


# self-service ----------------------------------------------------------------------------------
PORTAL = "https://portal.example.com"


def portal_connection(env, policy: dict[str, Any]) -> str:
    return connection(env, "loginradius", policy, self_service_enabled=True)


def portal_user(env):
    suffix = uuid.uuid4().hex[:8]
    user = env.loginradius.add_user(f"ss-{suffix}@example.com", f"ss-{suffix}")
    password = f"Pw-{uuid.uuid4().hex}"
    env.loginradius.set_password(user.uid, password)
    return user, env.loginradius.issue_token(user.uid), password


def self_unlock(env, name: str, token: str, password: str) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "Origin": PORTAL, "Authorization": f"Bearer {token}"}
    body = json.dumps({"password": password, "g-recaptcha-response": f"03AGdBq24-{uuid.uuid4().hex}"}).encode()
    ip = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"
    status, _, payload = env.stack.api_request("POST", f"/self-service/{name}/unlock", headers, body, source_ip=ip)
    return status, json.loads(payload)


def token_unlocks(env) -> list[Any]:
    return env.loginradius.calls("PUT", "/auth/account/unlock$")


def test_self_service_refuses_a_protected_role_after_the_password_with_no_unlock(env):
    user, token, password = portal_user(env)
    user.roles = ["Administrator"]
    name = portal_connection(env, {"protected": {"attributes": {"role": ["Administrator"]}}})

    status, answer = self_unlock(env, name, token, password)

    assert (status, answer["error"]) == (409, "contact_helpdesk")
    assert len(env.loginradius.calls("PUT", "/reauth/password$")) == 1
    assert len(env.loginradius.calls("GET", "/auth/account$")) == 1  # Auth Read all Profiles by Token
    assert token_unlocks(env) == []
    assert user.locked
    [outcome] = [i for i in audit_items(env, answer["request_id"]) if i["status"]["S"] != "attempted"]
    assert outcome["reason"]["S"] == "protected_account"


def test_self_service_refuses_a_protected_username(env):
    user, token, password = portal_user(env)
    name = portal_connection(env, {"protected": {"usernames": [user.username.upper()]}})

    status, answer = self_unlock(env, name, token, password)

    assert (status, answer["error"]) == (409, "contact_helpdesk")
    assert token_unlocks(env) == []


def test_self_service_over_the_per_user_limit_is_429_with_no_unlock(env):
    user, token, password = portal_user(env)
    name = portal_connection(env, limited("per_user", 1))

    first, _ = self_unlock(env, name, token, password)
    user.locked = True
    second, answer = self_unlock(env, name, env.loginradius.issue_token(user.uid), password)  # a new session

    assert (first, second, answer["error"]) == (200, 429, "too_many_unlocks")
    assert len(token_unlocks(env)) == 1
    assert user.locked


def test_self_service_dry_run_verifies_the_password_and_sends_no_unlock(env):
    user, token, password = portal_user(env)
    name = portal_connection(env, {"dry_run": True})

    status, answer = self_unlock(env, name, token, password)

    assert (status, answer["error"]) == (422, "not_unlocked")
    assert len(env.loginradius.calls("PUT", "/reauth/password$")) == 1
    assert token_unlocks(env) == []
    assert user.locked
    [outcome] = [i for i in audit_items(env, answer["request_id"]) if i["status"]["S"] != "attempted"]
    assert outcome["reason"]["S"] == "dry_run"


def test_self_service_with_an_invalid_policy_is_refused_with_no_vendor_call(env):
    _, token, password = portal_user(env)
    name = portal_connection(env, {"rate_limits": {"per_source": {"max": -1, "window_seconds": HOUR}}})

    status, _ = self_unlock(env, name, token, password)

    assert status == 404
    assert env.loginradius.requests == []
