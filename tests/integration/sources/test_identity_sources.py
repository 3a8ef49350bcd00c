"""Identity-event webhooks (LoginRadius, Gigya, PingOne subscriptions) → bus → unlock → simulator.

Requests are built the way each sender builds them (local/identity_senders.py, local/signing.py)
and go through the API handler over the local stack. The three kinds are put into ``SOURCE_KINDS``
by a fixture until sources/__init__.py registers them. Gigya signs with the Gigya simulator's site
key, which the webhook fetches from the simulator's ``accounts.getJWTPublicKey``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.gigya_keys import REFETCH_INTERVAL_SECONDS, SITE_KEYS
from account_unlock.sources.gigya_webhook import GigyaWebhook
from account_unlock.sources.loginradius_webhook import LoginRadiusWebhook
from account_unlock.sources.pingone_subscription import MAX_EVENTS, PingOneSubscription
from account_unlock.sources.signatures import SIGNED_BODY_WINDOW_SECONDS
from account_unlock.webhook import handle_webhook
from local.identity_senders import (
    GIGYA_SOURCE,
    GIGYA_WEBHOOK_SECRET,
    LOGINRADIUS_SOURCE,
    LOGINRADIUS_WEBHOOK_SECRET,
    PINGONE_SOURCE,
    PINGONE_SUBSCRIPTION_SECRET,
    configure_sources,
    gigya_headers,
    gigya_notification,
    loginradius_event,
    loginradius_headers,
    pingone_activity,
    pingone_headers,
    source_secret,
)
from local.samples import GIGYA_API_KEY, GIGYA_CONNECTION, LOGINRADIUS_CONNECTION, PINGONE_CONNECTION
from local.signing import encode, gigya_webhook_headers, gigya_webhook_jwt
from local.simulators.gigya import new_site_key
from tests.integration.helpers import outcomes, pending_unlock_events, unique

pytestmark = pytest.mark.integration

# Sources with the same senders' secrets but nothing opted in (no "resolved_statuses").
DEFAULT_SOURCES = {
    "loginradius-webhook": ("loginradius-no-opt-in", LOGINRADIUS_WEBHOOK_SECRET, LOGINRADIUS_CONNECTION),
    "pingone-subscription": ("pingone-no-opt-in", PINGONE_SUBSCRIPTION_SECRET, PINGONE_CONNECTION),
}
ROTATED_GIGYA_SECRET = base64.b64encode(b"the-next-gigya-secret-24b").decode()
GIGYA_LEGACY_SOURCE = "gigya-legacy-hmac"


class Clock:
    """The key cache's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def gigya_source(env, unlock_events: list[str] | None, **changes) -> dict:
    """A ``gigya-webhook`` source verifying JWTs with the Gigya simulator's site keys."""
    value = {
        "kind": "gigya-webhook",
        "api_key": GIGYA_API_KEY,
        "base_url": env.gigya.url,
        "connections": [GIGYA_CONNECTION],
        "default_connection": GIGYA_CONNECTION,
    }
    return value | ({"resolved_statuses": unlock_events} if unlock_events is not None else {}) | changes


@pytest.fixture(autouse=True)
def identity_sources(env, monkeypatch):
    for kind in (LoginRadiusWebhook(), GigyaWebhook(), PingOneSubscription()):
        monkeypatch.setitem(SOURCE_KINDS, kind.kind, kind)
    configure_sources(env)
    for kind, (name, secret, connection) in DEFAULT_SOURCES.items():
        env.put_secret("source", name, source_secret(kind, secret, connection, None))
    env.put_secret("source", GIGYA_SOURCE, gigya_source(env, ["accountUpdated"]))
    env.put_secret("source", "gigya-no-opt-in", gigya_source(env, None))
    env.put_secret(
        "source",
        GIGYA_LEGACY_SOURCE,
        source_secret("gigya-webhook", GIGYA_WEBHOOK_SECRET, GIGYA_CONNECTION, ["accountUpdated"])
        | {"signature": "hmac-sha1", "secrets": [GIGYA_WEBHOOK_SECRET, ROTATED_GIGYA_SECRET]},
    )
    SITE_KEYS.clear()
    monkeypatch.setattr(SITE_KEYS, "clock", Clock())
    yield env
    SITE_KEYS.clear()


def post(env, source: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    status, _, payload = env.stack.api_request("POST", f"/webhooks/{source}", headers, raw)
    return status, json.loads(payload)


def delivered_detail_types(env) -> list[str]:
    return [invocation.event["detail-type"] for invocation in env.stack.invocations_of("UnlockFunction")]


def assert_nothing_on_the_bus(env) -> None:
    assert pending_unlock_events(env) == []
    assert outcomes(env) == []


# LoginRadius ---------------------------------------------------------------------------------------
@pytest.fixture
def ann(env):
    return env.loginradius.add_user(f"{unique('ann')}@example.com", unique("ann"), locked=True)


def lr(user, hook_name: str = "ResetPassword", **kwargs) -> bytes:
    return encode(loginradius_event(hook_name, user.uid, user.email, **kwargs))


def test_loginradius_genuine_event_is_ignored_without_opt_in(env, ann):
    raw = lr(ann)
    status, body = post(env, "loginradius-no-opt-in", raw, loginradius_headers(raw))

    assert status == 200
    assert body["status"] == "ignored"
    assert "status ResetPassword" in body["reasons"][0]
    assert_nothing_on_the_bus(env)
    assert ann.locked


def test_loginradius_opted_in_event_unlocks_at_the_simulator(env, ann):
    raw = lr(ann)
    status, body = post(env, LOGINRADIUS_SOURCE, raw, loginradius_headers(raw))

    assert status == 202
    [event] = outcomes(env)
    assert delivered_detail_types(env) == ["Unlock Requested"]
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["request_id"] == body["request_id"]
    assert event["detail"]["vendor"] == "loginradius"
    assert event["detail"]["connection"] == LOGINRADIUS_CONNECTION
    assert event["detail"]["user"] == {"id": ann.uid}
    assert event["detail"]["origin"]["system"] == LOGINRADIUS_SOURCE
    assert event["detail"]["requested_by"] == "loginradius:ResetPassword"
    assert not ann.locked
    assert env.loginradius.calls("PUT", f"/identity/v2/manage/account/{ann.uid}$")


def test_loginradius_event_type_not_opted_in_is_ignored(env, ann):
    raw = lr(ann, "Login")
    status, body = post(env, LOGINRADIUS_SOURCE, raw, loginradius_headers(raw))
    assert (status, body["status"]) == (200, "ignored")
    assert_nothing_on_the_bus(env)
    assert ann.locked


def test_loginradius_resent_event_unlocks_once(env, ann):
    raw = lr(ann)
    first = post(env, LOGINRADIUS_SOURCE, raw, loginradius_headers(raw))
    second = post(env, LOGINRADIUS_SOURCE, raw, loginradius_headers(raw))

    assert first == second
    assert first[0] == 202
    assert len(outcomes(env)) == 1
    assert len(env.loginradius.calls("PUT", f"/identity/v2/manage/account/{ann.uid}$")) == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("tampered", "signature verification failed"),
        ("other secret", "signature verification failed"),
        ("unsigned", "missing header signature"),
        ("stale", "Time is outside the replay window"),
        ("future", "Time is outside the replay window"),
    ],
)
def test_loginradius_forged_or_stale_requests_are_401(env, ann, case, message):
    moment = {"stale": time.time() - SIGNED_BODY_WINDOW_SECONDS - 60, "future": time.time() + 600}.get(case)
    raw = lr(ann, moment=moment)
    headers = loginradius_headers(raw, "another-secret" if case == "other secret" else LOGINRADIUS_WEBHOOK_SECRET)
    if case == "tampered":
        raw = raw.replace(b"ResetPassword", b"ResetPasswor_")
    if case == "unsigned":
        del headers["signature"]

    status, body = post(env, LOGINRADIUS_SOURCE, raw, headers)

    assert (status, body) == (401, {"error": message})
    assert_nothing_on_the_bus(env)
    assert ann.locked
    failures = [r for r in env.stack.output.records() if "WebhookAuthFailures" in r]
    assert failures[-1]["source"] == LOGINRADIUS_SOURCE
    assert failures[-1]["kind"] == "loginradius-webhook"


def test_loginradius_opted_in_event_without_uid_is_400_naming_the_user(env, ann):
    payload = loginradius_event("ResetPassword", ann.uid, ann.email)
    del payload["Data"]["Uid"]
    raw = encode(payload)
    status, body = post(env, LOGINRADIUS_SOURCE, raw, loginradius_headers(raw))
    assert status == 400
    assert "user" in body["error"]
    assert_nothing_on_the_bus(env)


# Gigya -------------------------------------------------------------------------------------------
@pytest.fixture
def gigya_users(env):
    return (
        env.gigya.add_account(unique("uid-bob"), "bob@example.com", locked=True),
        env.gigya.add_account(unique("uid-cho"), "cho@example.com", locked=True),
    )


def gigya_signed(raw: bytes, **signing) -> dict[str, str]:
    return gigya_webhook_headers(raw, GIGYA_API_KEY, **signing)


def key_requests(env) -> int:
    return len(env.gigya.calls("GET", r"/accounts\.getJWTPublicKey$"))


def test_gigya_genuine_notification_is_ignored_without_opt_in(env, gigya_users):
    bob, cho = gigya_users
    raw = encode(gigya_notification([("accountUpdated", bob.uid), ("accountLoggedIn", cho.uid)]))
    status, body = post(env, "gigya-no-opt-in", raw, gigya_signed(raw))

    assert (status, body["status"]) == (200, "ignored")
    assert len(body["reasons"]) == 2
    assert_nothing_on_the_bus(env)
    assert bob.locked
    assert cho.locked


def test_gigya_opted_in_event_unlocks_while_others_in_the_batch_are_ignored(env, gigya_users):
    bob, cho = gigya_users
    payload = gigya_notification([("accountLoggedIn", cho.uid), ("accountUpdated", bob.uid)])
    raw = encode(payload)
    status, body = post(env, GIGYA_SOURCE, raw, gigya_signed(raw))

    assert status == 202
    assert len(body["request_ids"]) == 1
    [ignored] = body["ignored"]
    assert "status accountLoggedIn" in ignored
    [event] = outcomes(env)
    assert delivered_detail_types(env) == ["Unlock Requested"]
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["vendor"] == "gigya"
    assert event["detail"]["user"] == {"id": bob.uid}
    assert event["detail"]["origin"]["ticket_id"] == payload["events"][1]["id"]
    assert event["detail"]["origin"]["delivery_id"] == payload["events"][1]["id"]
    assert not bob.locked
    assert cho.locked
    [unlock] = env.gigya.calls("POST", "/accounts.rba.unlock")
    assert unlock.form()["UID"] == bob.uid


def test_gigya_bad_event_is_skipped_and_the_rest_of_the_batch_proceeds(env, gigya_users):
    bob, _ = gigya_users
    payload = gigya_notification([("accountUpdated", bob.uid), ("accountUpdated", "x")])
    del payload["events"][1]["data"]
    raw = encode(payload)
    status, body = post(env, GIGYA_SOURCE, raw, gigya_signed(raw))

    assert status == 202
    assert body["ignored"] == [
        "item 1: field user needs exactly one of id, username, email, login_id, ip (at '{id: data.uid}')"
    ]
    [event] = outcomes(env)
    assert event["detail"]["user"] == {"id": bob.uid}


def test_gigya_notification_resent_with_a_new_token_unlocks_once_and_keys_are_fetched_once(env, gigya_users):
    bob, _ = gigya_users
    raw = encode(gigya_notification([("accountUpdated", bob.uid)]))
    first = post(env, GIGYA_SOURCE, raw, gigya_signed(raw, issued_at=int(time.time()) - 30))
    second = post(env, GIGYA_SOURCE, raw, gigya_signed(raw))

    assert first == second
    assert first[0] == 202
    assert len(outcomes(env)) == 1
    assert len(env.gigya.calls("POST", "/accounts.rba.unlock")) == 1
    assert key_requests(env) == 1


def test_gigya_legacy_hmac_source_still_works_when_opted_in(env, gigya_users):
    bob, _ = gigya_users
    raw = encode(gigya_notification([("accountUpdated", bob.uid)]))
    status, _ = post(env, GIGYA_LEGACY_SOURCE, raw, gigya_headers(raw, ROTATED_GIGYA_SECRET))
    assert status == 202
    outcomes(env)
    assert not bob.locked
    assert key_requests(env) == 0


def test_gigya_legacy_hmac_signature_is_refused_by_a_default_source(env, gigya_users):
    _, cho = gigya_users
    raw = encode(gigya_notification([("accountUpdated", cho.uid)]))
    status, body = post(env, GIGYA_SOURCE, raw, gigya_headers(raw))
    assert (status, body) == (401, {"error": "missing header x-gigya-sig-jwt"})
    assert_nothing_on_the_bus(env)
    assert cho.locked


def forged_token(case: str, raw: bytes) -> str:
    """The X-Gigya-Sig-JWT of each forged or stale case; "tampered" and "unsigned" start from a genuine one."""
    if case == "other key":
        return gigya_webhook_jwt(raw, GIGYA_API_KEY, site_key=new_site_key("local-gigya-site-key-1"))
    if case == "unknown kid":
        return gigya_webhook_jwt(raw, GIGYA_API_KEY, site_key=new_site_key("not-published"))
    if case == "expired":
        return gigya_webhook_jwt(raw, GIGYA_API_KEY, issued_at=int(time.time()) - 3600)
    if case == "other site":
        return gigya_webhook_jwt(raw, "3_another-site")
    genuine = gigya_webhook_jwt(raw, GIGYA_API_KEY)
    if case == "alg none":
        header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"local-gigya-site-key-1"}').rstrip(b"=").decode()
        return f"{header}.{genuine.split('.')[1]}."
    return genuine


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("tampered", "the body does not match x-gigya-sig-jwt"),
        ("other key", "signature verification failed"),
        ("unknown kid", "x-gigya-sig-jwt is signed with a key the site does not publish"),
        ("unsigned", "missing header x-gigya-sig-jwt"),
        ("expired", "x-gigya-sig-jwt has expired"),
        ("other site", "x-gigya-sig-jwt was issued for another site"),
        ("alg none", "x-gigya-sig-jwt must be signed with RS256"),
    ],
)
def test_gigya_forged_or_stale_notifications_are_401(env, gigya_users, case, message):
    bob, cho = gigya_users
    raw = encode(gigya_notification([("accountUpdated", cho.uid)]))
    headers = {"Content-Type": "application/json", "X-Gigya-Sig-JWT": forged_token(case, raw)}
    if case == "tampered":
        raw = raw.replace(cho.uid.encode(), bob.uid.encode()[: len(cho.uid)].ljust(len(cho.uid), b"x"))
    if case == "unsigned":
        del headers["X-Gigya-Sig-JWT"]

    status, body = post(env, GIGYA_SOURCE, raw, headers)

    assert (status, body) == (401, {"error": message})
    assert_nothing_on_the_bus(env)
    assert bob.locked
    assert cho.locked
    failures = [r for r in env.stack.output.records() if "WebhookAuthFailures" in r]
    assert failures[-1]["kind"] == "gigya-webhook"


def test_gigya_unknown_kid_asks_gigya_once_per_interval(env, gigya_users):
    _, cho = gigya_users
    raw = encode(gigya_notification([("accountUpdated", cho.uid)]))
    for _ in range(3):
        status, _ = post(env, GIGYA_SOURCE, raw, gigya_signed(raw, site_key=new_site_key("not-published")))
        assert status == 401
    assert key_requests(env) == 1
    SITE_KEYS.clock.now += REFETCH_INTERVAL_SECONDS
    post(env, GIGYA_SOURCE, raw, gigya_signed(raw, site_key=new_site_key("not-published")))
    assert key_requests(env) == 2


def test_gigya_keys_unavailable_is_503_with_retry_after_then_the_resend_unlocks(env, gigya_users):
    bob, _ = gigya_users
    raw = encode(gigya_notification([("accountUpdated", bob.uid)]))
    env.gigya.fail(503, {"message": "Service Unavailable"}, path=r"/accounts\.getJWTPublicKey$", times=2)

    status, headers, payload = env.stack.api_request("POST", f"/webhooks/{GIGYA_SOURCE}", gigya_signed(raw), raw)

    assert status == 503
    assert headers["Retry-After"] == "30"
    assert json.loads(payload) == {"error": "temporarily unavailable, retry later"}
    assert_nothing_on_the_bus(env)
    assert bob.locked
    SITE_KEYS.clock.now += REFETCH_INTERVAL_SECONDS
    status, _ = post(env, GIGYA_SOURCE, raw, gigya_signed(raw))  # Gigya's re-send, signed anew
    assert status == 202
    outcomes(env)
    assert not bob.locked


def test_gigya_body_without_events_is_400(env):
    raw = encode({"nonce": str(uuid.uuid4()), "timestamp": int(time.time())})
    status, body = post(env, GIGYA_SOURCE, raw, gigya_signed(raw))
    assert (status, body) == (400, {"error": "missing field events (a list)"})
    assert_nothing_on_the_bus(env)


# PingOne subscriptions ---------------------------------------------------------------------------
@pytest.fixture
def dee(env):
    return env.pingone.add_user(unique("dee"), f"{unique('dee')}@example.com", account_locked=True)


def p1(user, *types: str) -> bytes:
    return encode([pingone_activity(kind, user.id, user.username) for kind in types])


def test_pingone_genuine_events_are_ignored_without_opt_in(env, dee):
    raw = p1(dee, "PASSWORD.RECOVERY", "USER.LOCKED")
    status, body = post(env, "pingone-no-opt-in", raw, pingone_headers())
    assert (status, body["status"]) == (200, "ignored")
    assert len(body["reasons"]) == 2
    assert_nothing_on_the_bus(env)
    assert dee.account_locked


def test_pingone_opted_in_event_unlocks_while_others_in_the_batch_are_ignored(env, dee):
    other = env.pingone.add_user(unique("eve"), "eve@example.com", account_locked=True)
    raw = encode(
        [
            pingone_activity("PASSWORD.CHECK_FAILED", other.id, other.username),
            pingone_activity("PASSWORD.RECOVERY", dee.id, dee.username),
        ]
    )
    status, body = post(env, PINGONE_SOURCE, raw, pingone_headers())

    assert 200 <= status < 300
    assert len(body["request_ids"]) == 1
    assert "status PASSWORD.CHECK_FAILED" in body["ignored"][0]
    [event] = outcomes(env)
    assert delivered_detail_types(env) == ["Unlock Requested"]
    assert event["detail-type"] == "Account Unlocked"
    assert event["detail"]["vendor"] == "pingone"
    assert event["detail"]["user"] == {"id": dee.id}
    assert not dee.account_locked
    assert other.account_locked
    assert env.pingone.calls("POST", f"/users/{dee.id}$")


def test_pingone_accepted_delivery_answers_200_as_pingone_requires(env, dee):
    raw = p1(dee, "PASSWORD.RECOVERY")
    status, _ = post(env, PINGONE_SOURCE, raw, pingone_headers())
    outcomes(env)
    assert status == PingOneSubscription.accepted_status


def test_pingone_batch_over_500_events_is_processed_not_refused(env, dee):
    filler = [
        {
            "id": str(uuid.uuid4()),
            "action": {"type": "USER.ACCESS_ALLOWED"},
            "resources": [{"type": "USER", "id": str(uuid.uuid4())}],
        }
        for _ in range(MAX_EVENTS)
    ]
    raw = encode([*filler, pingone_activity("PASSWORD.RECOVERY", dee.id, dee.username)])
    status, body = post(env, PINGONE_SOURCE, raw, pingone_headers())

    assert 200 <= status < 300
    assert len(body["ignored"]) == MAX_EVENTS
    assert len(body["request_ids"]) == 1
    outcomes(env)
    assert not dee.account_locked


def test_pingone_redelivered_event_unlocks_once_even_in_another_batch(env, dee):
    event = pingone_activity("PASSWORD.RECOVERY", dee.id, dee.username)
    raw = encode([event])
    first = post(env, PINGONE_SOURCE, raw, pingone_headers())
    again = post(env, PINGONE_SOURCE, raw, pingone_headers())
    regrouped = post(
        env, PINGONE_SOURCE, encode([pingone_activity("USER.UPDATED", dee.id, dee.username), event]), pingone_headers()
    )
    outcomes(env)

    assert first == again
    assert 200 <= regrouped[0] < 300
    assert len(env.pingone.calls("POST", f"/users/{dee.id}$")) == 1


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "missing header authorization"),
        ("Bearer guessed-token", "secret verification failed"),
        (PINGONE_SUBSCRIPTION_SECRET.removeprefix("Bearer "), "secret verification failed"),
    ],
)
def test_pingone_wrong_or_missing_header_is_401(env, dee, authorization, message):
    headers = {"Content-Type": "application/json"} | ({"Authorization": authorization} if authorization else {})
    status, body = post(env, PINGONE_SOURCE, p1(dee, "PASSWORD.RECOVERY"), headers)
    assert (status, body) == (401, {"error": message})
    assert_nothing_on_the_bus(env)
    assert dee.account_locked


def test_pingone_body_that_is_not_an_array_is_400(env):
    status, body = post(env, PINGONE_SOURCE, encode({"events": []}), pingone_headers())
    assert (status, body) == (400, {"error": "the body must be a JSON array of PingOne events"})


# every kind: arbitrary input never 5xx and never publishes -----------------------------------------
SIGNERS = {
    "loginradius-no-opt-in": lambda raw: loginradius_headers(raw),
    "gigya-no-opt-in": lambda raw: gigya_signed(raw),
    "pingone-no-opt-in": lambda raw: pingone_headers(),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=16),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "events",
                    "nonce",
                    "timestamp",
                    "HookName",
                    "Time",
                    "HookId",
                    "Data",
                    "id",
                    "action",
                    "type",
                    "resources",
                    "data",
                    "uid",
                    "Uid",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    source=st.sampled_from(sorted(SIGNERS)),
    body=st.one_of(st.binary(max_size=300), JSON.map(lambda value: json.dumps(value).encode())),
    sign=st.booleans(),
    headers=st.dictionaries(
        st.sampled_from(["signature", "x-gigya-sig-jwt", "x-gigya-sig-hmac-sha1", "authorization", "x"]),
        st.text(max_size=40),
        max_size=3,
    ),
)
def test_arbitrary_requests_never_5xx_and_never_publish(env, source, body, sign, headers):
    sent = SIGNERS[source](body) if sign else headers
    answer = handle_webhook(source, sent, body)
    assert 200 <= answer.status < 500
    assert answer.status != 202
    assert pending_unlock_events(env) == []
