"""The policy guard's decisions, without AWS or a vendor: parsing, matching, the hook and the admission."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from account_unlock import connections, guard, self_service
from account_unlock.errors import PermanentError, TransientError
from account_unlock.guard import Counter, PolicySteps, Subject, take_admission
from account_unlock.http import VendorHttp
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.policy import NO_POLICY, Policy, PolicyConfig, RateLimit, ReadOnlyHttp, parse_policy
from account_unlock.steps import Account, Steps, Write, WriteBlocked, values
from account_unlock.vendors import CONNECTORS
from tests.fixtures.steps import MemorySteps

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "secrets" / "connections"
SUBJECT = Subject("conn", "username=jdoe", "agent@example.com", "helpdesk")


def policy(vendor: str = "pingone", **config: Any) -> Policy:
    return parse_policy("conn", vendor, config, CONNECTORS[vendor].policy_attributes)


def refused(call: Any) -> PermanentError:
    with pytest.raises(PermanentError) as caught:
        call()
    return caught.value


# parsing ---------------------------------------------------------------------------------------
def test_no_policy_object_checks_nothing():
    parsed = parse_policy("conn", "pingone", None, CONNECTORS["pingone"].policy_attributes)
    assert parsed is NO_POLICY
    assert not parsed.active
    assert not parsed.dry_run
    assert not parsed.needs_account
    parsed.check_user(UserRef(username="root"))
    parsed.check_account(Account(usernames=("root",)), "pingone")


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"rate_limits": {"per_user": {"max": 3}}}, "policy.rate_limits.per_user.window_seconds (missing)"),
        (
            {"rate_limits": {"per_user": {"max": "3", "window_seconds": 60}}},
            "policy.rate_limits.per_user.max (int_type)",
        ),
        ({"rate_limits": {"per_requester": {"max": 1, "window_seconds": 59}}}, "window_seconds (greater_than_equal)"),
        ({"dry_run": 1}, "policy.dry_run (bool_type)"),
        ({"protected": {"usernames": "root"}}, "policy.protected.usernames (list_type)"),
        ({"protected": {"usernames": [""]}}, "policy.protected.usernames.0 (string_too_short)"),
        ({"typo": True}, "policy.typo (extra_forbidden)"),
        ("dry_run", "policy (model_type)"),
    ],
)
def test_an_invalid_policy_is_config_invalid_naming_the_field(raw, named):
    error = refused(lambda: parse_policy("conn", "pingone", raw, CONNECTORS["pingone"].policy_attributes))
    assert error.reason == "config_invalid"
    assert named in error.message
    assert "conn" in error.message


@pytest.mark.parametrize(
    ("vendor", "good", "bad"),
    [
        ("pingone", ["group", "population"], ["role", "identity.department"]),
        ("loginradius", ["role"], ["group", "roles"]),
        ("sailpoint", ["identity.department", "account.memberOf"], ["department", "role", "identity.a.b"]),
        ("gigya", ["data.tier", "profile.address.country"], ["data", "role", "subscriptions.news"]),
    ],
)
def test_each_vendor_accepts_only_the_attributes_its_connector_reads(vendor, good, bad):
    parsed = policy(vendor, protected={"attributes": {key: ["x"] for key in good}})
    assert parsed.wanted == frozenset(good)
    for key in bad:
        error = refused(lambda key=key: policy(vendor, protected={"attributes": {key: ["x"]}}))
        assert error.reason == "config_invalid"
        assert f"policy.protected.attributes.{key}" in error.message


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.name)
def test_every_example_policy_parses_for_its_vendor(path):
    secret = json.loads(path.read_text())
    vendor = secret["vendor"]
    parse_policy(path.stem, vendor, secret.get("policy"), CONNECTORS[vendor].policy_attributes)


def test_at_least_one_example_connection_has_a_policy():
    assert any("policy" in json.loads(path.read_text()) for path in EXAMPLES.glob("*.json"))


# matching --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("protected", "user", "hit"),
    [
        ({"usernames": ["root"]}, UserRef(username="ROOT"), True),  # case-insensitive
        ({"usernames": ["root"]}, UserRef(username="root2"), False),  # the whole value
        ({"usernames": ["svc-*"]}, UserRef(username="svc-backup"), True),
        ({"usernames": ["adm-?"]}, UserRef(username="adm-12"), False),
        ({"usernames": ["[ab]dmin"]}, UserRef(username="bdmin"), True),
        ({"emails": ["*@admins.example.com"]}, UserRef(email="a@admins.example.com"), True),
        ({"emails": ["*@admins.example.com"]}, UserRef(email="a@admins.example.com.evil"), False),
        ({"emails": ["*@ops.example.com"]}, UserRef(login_id="x@OPS.example.com"), True),  # login id: e-mail
        ({"usernames": ["breakglass"]}, UserRef(login_id="breakglass"), True),  # … or username
        ({"ids": ["3f1c*"]}, UserRef(id="3F1C0000"), True),
        ({"ids": ["3f1c*"]}, UserRef(username="3f1c-user"), False),  # ids protect ids only
        ({"usernames": ["*"]}, UserRef(ip="10.0.0.1"), False),  # an IP is no account
    ],
)
def test_the_request_s_identifier_is_matched_with_globs(protected, user, hit):
    parsed = policy(protected=protected)
    if hit:
        error = refused(lambda: parsed.check_user(user))
        assert error.reason == "protected_account"
        assert "policy.protected." in error.message
    else:
        parsed.check_user(user)


def test_what_the_look_up_returned_is_checked_before_the_write():
    parsed = policy(protected={"emails": ["boss@example.com"], "attributes": {"group": ["g-admins"]}})

    by_email = refused(lambda: parsed.check_account(Account(ids=("u1",), emails=("Boss@Example.com",)), "pingone"))
    by_group = refused(lambda: parsed.check_account(Account(attributes={"group": ("g-staff", "g-admins")}), "pingone"))
    unread = refused(lambda: parsed.check_account(Account(emails=("staff@example.com",)), "pingone"))
    parsed.check_account(Account(emails=("staff@example.com",), attributes={"group": ("g-staff",)}), "pingone")

    assert "policy.protected.emails" in by_email.message
    assert "policy.protected.attributes.group" in by_group.message
    assert "could not be checked: pingone did not return it" in unread.message
    assert {by_email.reason, by_group.reason, unread.reason} == {"protected_account"}


def test_vendor_values_become_the_strings_a_policy_matches():
    assert values("x") == ("x",)
    assert values(["a", 1, True, None, {"k": "v"}, 2.5]) == ("a", "1", "true", "2.5")
    assert values(None) == ()
    assert values({"nested": "object"}) == ()


def test_needs_account_for_a_protected_list_or_a_per_user_limit_only():
    assert policy(protected={"ids": ["x"]}).needs_account
    assert policy(rate_limits={"per_user": {"max": 1, "window_seconds": 60}}).needs_account
    assert not policy(rate_limits={"per_source": {"max": 1, "window_seconds": 60}}).needs_account
    assert not policy(dry_run=True).needs_account


# the admission ---------------------------------------------------------------------------------
def test_a_counter_item_counts_under_its_limit_and_a_dry_run_only_checks():
    counter = Counter("conn#user", "id=ABC", RateLimit(max=3, window_seconds=3600), "of this user")

    update = counter.item("table", 7200.0 + 5, dry_run=False)["Update"]
    check = counter.item("table", 7200.0 + 5, dry_run=True)["ConditionCheck"]

    assert update["Key"] == check["Key"]
    assert update["Key"]["id"]["S"].startswith("conn#user#")
    assert update["Key"]["id"]["S"].endswith("#3600#2")
    assert "abc" not in update["Key"]["id"]["S"].lower().replace("conn#user#", "")  # a digest, not the id
    assert update["ConditionExpression"] == check["ConditionExpression"] == guard.UNDER_LIMIT
    assert update["UpdateExpression"] == "ADD unlocks :one SET expires_at = :expires"
    assert update["ExpressionAttributeValues"][":expires"] == {"N": str(4 * 3600)}
    assert set(check["ExpressionAttributeValues"]) == {":max"}  # DynamoDB refuses unused values
    assert "UpdateExpression" not in check


def test_the_user_is_counted_by_the_vendor_s_id_when_the_look_up_returned_one():
    parsed = policy(rate_limits={"per_user": {"max": 1, "window_seconds": 60}})
    by_id = guard.counters(parsed, SUBJECT, Account(ids=("vendor-id",)))
    without = guard.counters(parsed, SUBJECT, Account())
    assert [c.key for c in by_id] == ["id=vendor-id"]
    assert [c.key for c in without] == ["username=jdoe"]


class FakeDynamoDB:
    def __init__(self, error: ClientError | None = None) -> None:
        self.error = error
        self.calls: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:
        self.calls.append(TransactItems)
        if self.error:
            raise self.error


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


ALL_LIMITS = {
    "per_user": {"max": 3, "window_seconds": 3600},
    "per_requester": {"max": 20, "window_seconds": 600},
    "per_source": {"max": 100, "window_seconds": 86400},
}


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (("ConditionalCheckFailed", "None", "None"), "at most 3 unlocks of this user per 3600 s"),
        (("None", "ConditionalCheckFailed", "None"), "at most 20 unlocks requested by this requester per 600 s"),
        (("None", "None", "ConditionalCheckFailed"), "at most 100 unlocks from this source per 86400 s"),
    ],
)
def test_a_full_counter_refuses_with_its_limit(monkeypatch, codes, message):
    dynamodb = FakeDynamoDB(cancelled(*codes))
    monkeypatch.setattr(guard, "client", lambda service: dynamodb)

    error = refused(lambda: take_admission(policy(rate_limits=ALL_LIMITS), SUBJECT, Account(), dry_run=False))

    assert error.reason == "rate_limited_policy"
    assert error.message.endswith(message)
    [items] = dynamodb.calls
    assert [next(iter(item)) for item in items] == ["Update", "Update", "Update"]  # one transaction, all or none


@pytest.mark.parametrize(
    "error",
    [
        cancelled("TransactionConflict", "None", "None"),
        ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems"),
    ],
)
def test_counters_that_cannot_be_updated_fail_closed_as_transient(monkeypatch, error):
    monkeypatch.setattr(guard, "client", lambda service: FakeDynamoDB(error))
    with pytest.raises(TransientError):
        take_admission(policy(rate_limits=ALL_LIMITS), SUBJECT, Account(), dry_run=False)


def test_no_rate_limit_makes_no_aws_call(monkeypatch):
    dynamodb = FakeDynamoDB()
    monkeypatch.setattr(guard, "client", lambda service: dynamodb)
    take_admission(policy(protected={"ids": ["x"]}), SUBJECT, Account(), dry_run=False)
    assert dynamodb.calls == []


# the hook --------------------------------------------------------------------------------------
@pytest.fixture
def admissions(monkeypatch) -> list[bool]:
    """The admissions taken (their ``dry_run``), instead of DynamoDB."""
    taken: list[bool] = []
    monkeypatch.setattr(guard, "take_admission", lambda p, s, a, *, dry_run: taken.append(dry_run))
    return taken


def test_the_admission_is_a_recorded_step_so_a_retried_request_takes_it_once(admissions):
    limited = policy(rate_limits={"per_user": {"max": 1, "window_seconds": 60}})
    recorded = MemorySteps()  # the request's recorded steps, kept across its retries
    writes = []

    for _ in range(2):  # the first attempt, then its retry
        steps = PolicySteps(recorded, limited, SUBJECT, "pingone")
        steps.admit(Account(ids=("u1",)))
        steps.once("write", lambda: writes.append(1) or Write(done=True))

    assert admissions == [False]
    assert "policy.admission" in recorded.recorded
    assert writes == [1]


def test_a_write_before_admit_is_admitted_with_nothing_known_and_an_attribute_rule_refuses(admissions):
    steps = PolicySteps(Steps(), policy(protected={"attributes": {"group": ["*"]}}), SUBJECT, "pingone")
    error = refused(lambda: steps.once("write", lambda: Write(done=True)))
    assert error.reason == "protected_account"
    assert admissions == []


def test_a_refused_account_is_not_counted(admissions):
    parsed = policy(protected={"usernames": ["root"]}, rate_limits={"per_user": {"max": 1, "window_seconds": 60}})
    steps = PolicySteps(MemorySteps(), parsed, SUBJECT, "pingone")
    refused(lambda: steps.admit(Account(usernames=("root",))))
    assert admissions == []


def test_a_dry_run_checks_the_limits_without_counting_and_simulates_each_write(admissions):
    dry = policy(dry_run=True, rate_limits={"per_user": {"max": 1, "window_seconds": 60}})
    steps = PolicySteps(Steps(), dry, SUBJECT, "pingone")

    def write() -> Write:
        raise WriteBlocked("pingone")

    steps.admit(Account(ids=("u1",)))
    blocked = steps.once("write", write)
    nothing = steps.once("read only", lambda: Write(done=False))

    assert admissions == [True]
    assert blocked == Write(done=True, simulated=True)
    assert nothing == Write(done=False)


def test_a_connection_without_policy_runs_the_recorded_steps_unchanged():
    recorded = MemorySteps()
    request = UnlockRequest.model_validate(
        {"request_id": "r", "origin": {"system": "s"}, "connection": "c", "user": {"username": "u"}}
    )
    assert guard.guarded(NO_POLICY, recorded, request, "pingone") is recorded
    assert isinstance(guard.guarded(policy(dry_run=True), recorded, request, "pingone"), PolicySteps)


def test_read_only_http_refuses_a_write_unsent_and_lets_reads_through():
    class Inner(VendorHttp):
        def __init__(self) -> None:
            self.vendor = "pingone"
            self.sent: list[tuple[str, dict[str, Any]]] = []

        def request(self, method: str, url: str, *, write: bool = False, **kwargs: Any) -> Any:
            self.sent.append((method, kwargs))
            return "answer"

    inner = Inner()
    http = ReadOnlyHttp(inner)

    assert http.request("GET", "https://x", params={"a": "b"}) == "answer"
    with pytest.raises(WriteBlocked) as blocked:
        http.request("POST", "https://x", write=True)
    assert inner.sent == [("GET", {"params": {"a": "b"}})]
    assert blocked.value.reason == "dry_run"


# connections -----------------------------------------------------------------------------------
PINGONE = {
    "vendor": "pingone",
    "environment_id": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6",
    "client_id": "c",
    "client_secret": "s",
}


@pytest.fixture
def secrets(monkeypatch) -> dict[str, dict[str, Any]]:
    stored: dict[str, dict[str, Any]] = {}
    monkeypatch.setattr(connections, "load_secret", lambda kind, name: stored[name])
    monkeypatch.setattr(connections, "_connectors", {})
    monkeypatch.setattr(connections, "_self_service", {})
    return stored


def test_the_connector_carries_its_policy_and_a_dry_run_one_cannot_write(secrets):
    secrets["plain"] = PINGONE
    secrets["dry"] = PINGONE | {"policy": {"dry_run": True}}

    plain, dry = connections.connector_for("plain"), connections.connector_for("dry")

    assert plain.policy is NO_POLICY
    assert type(plain.http) is VendorHttp
    assert dry.policy.dry_run
    assert isinstance(dry.http, ReadOnlyHttp)
    assert connections.connector_for("dry") is dry  # kept warm until the secret changes
    secrets["dry"] = PINGONE | {"policy": {"dry_run": False}}
    assert not connections.connector_for("dry").policy.dry_run  # a changed secret applies, no deploy


def test_an_invalid_policy_refuses_the_connection_before_it_is_built(secrets, monkeypatch):
    built: list[Any] = []
    secrets["bad"] = PINGONE | {"policy": {"rate_limits": {"per_user": {"max": 0, "window_seconds": 60}}}}
    monkeypatch.setattr(CONNECTORS["pingone"], "from_secret", classmethod(lambda cls, secret: built.append(secret)))

    error = refused(lambda: connections.connector_for("bad"))

    assert error.reason == "config_invalid"
    assert "policy.rate_limits.per_user.max" in error.message
    assert built == []


def test_the_connection_config_models_accept_a_policy():
    config = CONNECTORS["pingone"].config_model.model_validate(PINGONE | {"policy": {"dry_run": True}})
    assert config.policy == PolicyConfig(dry_run=True)


# self-service answers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "status", "error"),
    [
        ("protected_account", 409, "contact_helpdesk"),
        ("rate_limited_policy", 429, "too_many_unlocks"),
        ("dry_run", 422, "not_unlocked"),
    ],
)
def test_self_service_answers_a_policy_decision(reason, status, error):
    portal_request = self_service.PortalRequest("c", {}, b"", "192.0.2.1", "req-1")
    answer = self_service.reply_for(portal_request, self_service.Result(reason, "internal message"))
    assert (answer.status, answer.body["error"]) == (status, error)
    assert "internal message" not in json.dumps(answer.body)
