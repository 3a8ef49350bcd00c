"""Self-service unlock through the local stack: portal → API → self-service function → LoginRadius simulator.

Every token and password used here is remembered; the last test of the module captures everything
the functions printed (logs, EMF metrics), every table, queue and outcome, and asserts that none of
them appears anywhere.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from account_unlock import connections
from local.samples import (
    LOGINRADIUS_API_KEY,
    LOGINRADIUS_API_SECRET,
    LOGINRADIUS_CONNECTION,
    PINGONE_CONNECTION,
    LocalEnvironment,
)
from local.simulators.loginradius import LoginRadiusUser, error_body
from tests.integration.aws_refusals import refused
from tests.integration.helpers import audit_items

pytestmark = pytest.mark.integration

CONNECTION = "lr-self-service"
NO_PASSWORD_CONNECTION = "lr-self-service-token-only"
PORTAL = "https://portal.example.com"  # PortalOrigins default of template.yaml
ROUTE = "/self-service/{}/unlock"


@pytest.fixture
def limit(env: LocalEnvironment) -> Iterator[Callable[[str, str], None]]:
    """Set an attempt limit of the self-service function for this test, as a configuration update would."""
    function = "SelfServiceFunction"
    before = dict(env.stack.function_environment(function))

    def set_limit(name: str, value: str) -> None:
        env.stack.configure(function, **{name: value})

    yield set_limit
    env.stack.configure(function, **before)


def captcha() -> dict[str, str]:
    """A fresh reCAPTCHA answer: a provider verifies each answer once, and so does the simulator
    (Google reCAPTCHA, Verifying the user's response, https://developers.google.com/recaptcha/docs/verify)."""
    return {"g-recaptcha-response": f"03AGdBq24-{uuid.uuid4().hex}"}


# Every secret value the module's requests carried; the last test asserts none leaked.
USED: set[str] = set()
OUTPUT_START: list[int] = []


@pytest.fixture(scope="module", autouse=True)
def captured_logs(local_env) -> Iterator[io.StringIO]:
    """Every record of the Powertools logger during this module, whatever stream it writes to."""
    buffer = io.StringIO()
    service_logger = logging.getLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "service_undefined"))
    handler = logging.StreamHandler(buffer)
    formatter = service_logger.handlers[0].formatter if service_logger.handlers else None
    handler.setFormatter(formatter)
    service_logger.addHandler(handler)
    OUTPUT_START.append(len(local_env.stack.output.getvalue()))
    yield buffer
    service_logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def connections_configured(env) -> None:
    base = {
        "vendor": "loginradius",
        "api_key": LOGINRADIUS_API_KEY,
        "api_secret": LOGINRADIUS_API_SECRET,
        "base_url": env.loginradius.url,
        "self_service_enabled": True,
    }
    env.put_secret("connection", CONNECTION, base | {"prevent_webhook": True})
    env.put_secret("connection", NO_PASSWORD_CONNECTION, base | {"self_service_requires_password": False})


def fresh_prefix() -> str:
    """An IPv6 /64 of its own: IPv6 clients are counted per /64."""
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def fresh_ip() -> str:
    """A source address of its own per test, so that one test's attempts never count in another."""
    return f"{fresh_prefix()}::1"


def locked_user(env, *, password: str | None = None, **state: Any) -> tuple[LoginRadiusUser, str, str]:
    suffix = uuid.uuid4().hex[:8]
    user = env.loginradius.add_user(f"ss-{suffix}@example.com", f"ss-{suffix}", **state)
    password = password or f"Pw-{uuid.uuid4().hex}"
    env.loginradius.set_password(user.uid, password)
    token = env.loginradius.issue_token(user.uid)
    USED.update({token, password})
    return user, token, password


def unlock(
    env,
    token: str | None,
    body: dict[str, Any] | bytes,
    *,
    ip: str | None = None,
    origin: str | None = PORTAL,
    connection: str = CONNECTION,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    sent = {"Content-Type": "application/json"}
    if origin:
        sent["Origin"] = origin
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
        USED.add(token)
    if isinstance(body, dict) and isinstance(body.get("password"), str):
        USED.add(body["password"])
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, answer_headers, payload = env.stack.api_request(
        "POST", ROUTE.format(connection), sent | (headers or {}), raw, source_ip=ip or fresh_ip()
    )
    return status, answer_headers, json.loads(payload) if payload else {}


def vendor_calls(env) -> list[str]:
    return [call.path.rsplit("/", 1)[-1] for call in env.loginradius.requests]


def outcome_items(env, request_id: str) -> list[dict[str, Any]]:
    return [item for item in audit_items(env, request_id) if item["status"]["S"] != "attempted"]


# the documented answers ------------------------------------------------------------------------
def test_valid_token_and_password_unlocks(env):
    user, token, password = locked_user(env)

    answer = captcha()
    status, headers, body = unlock(env, token, {"password": password, **answer})

    assert status == 200
    assert body["status"] == "unlocked"
    assert body["message"]
    assert headers["Access-Control-Allow-Origin"] == PORTAL
    assert headers["Cache-Control"] == "no-store"
    assert user.locked is False
    reauth, unlocked = env.loginradius.requests
    assert (reauth.path, unlocked.path) == (
        "/identity/v2/auth/account/reauth/password",
        "/identity/v2/auth/account/unlock",
    )
    for call in (reauth, unlocked):
        assert call.header("authorization") == f"Bearer {token}"
        assert call.header("x-preventwebhook") == "true"  # the connection says prevent_webhook
        assert call.query == {"apikey": [LOGINRADIUS_API_KEY]}
    # The captcha answer goes to the token unlock only, the call whose body lifts the lockout with it
    # (Auth Unlock Account by Access Token); the re-authentication gets the password only.
    assert reauth.json() == {"password": password}
    assert unlocked.json() == answer


def test_outcome_is_audited_and_measured(env):
    _, token, password = locked_user(env)
    ip = fresh_ip()
    _, _, body = unlock(env, token, {"password": password, **captcha()}, ip=ip)
    _, _, failed = unlock(env, token, {"password": "wrong-" + password, **captcha()}, ip=ip)

    attempted, item = audit_items(env, body["request_id"])
    assert (attempted["status"]["S"], attempted["reason"]["S"]) == ("attempted", "attempted")
    assert attempted["requested_by"]["S"] == f"portal user from {ip}"
    assert attempted["recorded_at"]["S"] < item["recorded_at"]["S"]
    assert item["status"]["S"] == "unlocked"
    assert item["reason"]["S"] == "unlocked"
    assert item["origin_system"]["S"] == "self-service"
    assert item["vendor"]["S"] == "loginradius"
    assert item["connection"]["S"] == CONNECTION
    assert item["user"]["M"] == {}
    assert item["requested_by"]["S"] == f"portal user from {ip}"
    assert item["actions"]["L"] == [{"S": "auth.account.unlock"}]
    [refused] = outcome_items(env, failed["request_id"])
    assert (refused["status"]["S"], refused["reason"]["S"]) == ("failed", "invalid_password")

    records = env.stack.output.records()
    emf = [r for r in records if "_aws" in r]
    assert [r for r in emf if "UnlockSucceeded" in r][-1]["vendor"] == "loginradius"
    by_reason = [r for r in emf if "UnlockFailedByReason" in r][-1]
    assert (by_reason["source"], by_reason["reason"], by_reason["vendor"]) == (
        "self-service",
        "invalid_password",
        "loginradius",
    )
    outcome_logs = [r for r in records if r.get("message") == "unlock outcome"]
    assert outcome_logs[-1]["correlation_id"] == failed["request_id"]  # API Gateway's request id, not the token


def test_wrong_password_is_401_and_unlocks_nothing(env):
    user, token, password = locked_user(env)

    status, _, body = unlock(env, token, {"password": "not-" + password, **captcha()})

    assert (status, body["error"]) == (401, "invalid_password")
    assert vendor_calls(env) == ["password"]  # re-verify only: the unlock is never called
    assert user.locked is True


def test_expired_token_is_401_sign_in_again(env):
    user, _, password = locked_user(env)
    expired = env.loginradius.issue_token(user.uid, expired=True)

    status, headers, body = unlock(env, expired, {"password": password, **captcha()})

    assert (status, body["error"]) == (401, "invalid_token")
    assert headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert user.locked is True


def test_unknown_token_is_401(env):
    user, _, password = locked_user(env)
    status, _, body = unlock(env, str(uuid.uuid4()), {"password": password, **captcha()})
    assert (status, body["error"]) == (401, "invalid_token")
    assert user.locked is True


def test_user_that_does_not_exist_gets_the_same_answer_as_an_invalid_token(env):
    user, token, password = locked_user(env)
    _, expired_token, _ = locked_user(env)
    env.loginradius.tokens[expired_token] = (env.loginradius.tokens[expired_token][0], True)
    del env.loginradius.users[user.uid]  # the token outlived its account: LoginRadius answers 938

    gone = unlock(env, token, {"password": password, **captcha()})
    expired = unlock(env, expired_token, {"password": password, **captcha()})

    assert env.loginradius.requests[0].status == 403  # 938 from the simulator
    assert gone[0] == expired[0] == 401
    assert gone[1] == expired[1]
    assert {k: v for k, v in gone[2].items() if k != "request_id"} == {
        k: v for k, v in expired[2].items() if k != "request_id"
    }
    [item] = outcome_items(env, gone[2]["request_id"])
    assert item["reason"]["S"] == "user_not_found"  # the audit knows; the answer does not tell


@pytest.mark.parametrize("lockout", ["blocked", "suspended"])
def test_block_and_suspend_are_409_contact_the_helpdesk(env, lockout):
    user, token, password = locked_user(env, blocked=lockout == "blocked")
    if lockout == "suspended":
        env.loginradius.lock_account(user.uid, "suspend")

    status, _, body = unlock(env, token, {"password": password, **captcha()})

    assert (status, body["error"]) == (409, "contact_helpdesk")
    assert "helpdesk" in body["message"].lower()
    assert user.locked is True
    [item] = outcome_items(env, body["request_id"])
    assert item["reason"]["S"] == ("account_blocked" if lockout == "blocked" else "account_suspended")
    if lockout == "suspended":
        assert "locked until" in item["message"]["S"]


def test_captcha_lockout_needs_the_captcha_answer(env):
    user, token, password = locked_user(env)

    status, _, body = unlock(env, token, {"password": password})

    assert (status, body["error"]) == (403, "challenge_required")
    assert user.locked is True


def test_a_captcha_answer_used_once_cannot_unlock_again(env):
    user, token, password = locked_user(env)
    answer = captcha()
    assert unlock(env, token, {"password": password, **answer})[0] == 200
    env.loginradius.lock_account(user.uid, "captcha")

    status, _, body = unlock(env, token, {"password": password, **answer})  # the same answer, replayed

    assert (status, body["error"]) == (403, "challenge_required")  # LoginRadius 982 "CAPTCHA is invalid"
    assert env.loginradius.requests[-1].status == 403
    assert user.locked is True


def test_security_question_lockout_is_lifted_with_the_answer(env):
    user, token, password = locked_user(env)
    question, answer = uuid.uuid4().hex, f"Smith-{uuid.uuid4().hex[:6]}"
    env.loginradius.lock_account(user.uid, "security_question", security_answers={question: answer})
    USED.update({answer, "Jones-" + answer})

    wrong = unlock(env, token, {"password": password, "SecurityAnswer": {question: "Jones-" + answer}})
    right = unlock(env, token, {"password": password, "SecurityAnswer": {question: answer}})

    assert (wrong[0], wrong[2]["error"]) == (403, "challenge_required")
    assert right[0] == 200
    assert env.loginradius.requests[-1].json() == {"securityanswer": {question: answer}}
    assert env.loginradius.requests[-2].json() == {"password": password}
    assert user.locked is False


def test_connection_without_password_requirement_calls_the_unlock_only(env):
    user, token, _ = locked_user(env)

    status, _, _ = unlock(env, token, captcha(), connection=NO_PASSWORD_CONNECTION)

    assert status == 200
    assert vendor_calls(env) == ["unlock"]
    assert env.loginradius.requests[0].header("x-preventwebhook") is None
    assert user.locked is False


def test_password_required_but_missing_is_400_without_vendor_call(env):
    user, token, _ = locked_user(env)
    status, _, body = unlock(env, token, captcha())
    assert (status, body["error"]) == (400, "password_required")
    assert env.loginradius.requests == []
    assert user.locked is True


def test_missing_token_is_401_without_vendor_call(env):
    status, headers, body = unlock(env, None, {"password": "whatever-1", **captcha()})
    assert (status, body["error"]) == (401, "missing_token")
    assert headers["WWW-Authenticate"] == "Bearer"
    assert env.loginradius.requests == []


@pytest.mark.parametrize(
    ("raw", "status", "named"),
    [
        (b"{not json", 400, "JSON object"),
        (json.dumps({"password": 42}).encode(), 400, "password"),
        (json.dumps({"password": "p", "access_token": "x"}).encode(), 400, "access_token"),
        (json.dumps({"password": "p", "g-recaptcha-response": "a b"}).encode(), 400, "g-recaptcha-response"),
        (b"{" + b" " * (16 * 1024) + b"}", 413, "16384"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field_without_vendor_call(env, raw, status, named):
    user, token, _ = locked_user(env)
    answer_status, _, body = unlock(env, token, raw)
    assert answer_status == status
    assert named in body["message"]
    assert env.loginradius.requests == []
    assert user.locked is True


@pytest.mark.parametrize("connection", ["no-such-connection", LOGINRADIUS_CONNECTION, PINGONE_CONNECTION, "..%2F.."])
def test_unknown_not_opted_in_and_other_vendor_connections_are_the_same_404(env, connection):
    _, token, password = locked_user(env)
    status, _, body = unlock(env, token, {"password": password}, connection=connection)
    assert (status, body["error"], body["message"]) == (404, "unknown_connection", "Unknown connection.")
    assert env.loginradius.requests == []
    assert env.pingone.requests == []


# abuse limits ----------------------------------------------------------------------------------
def test_flood_of_attempts_with_one_token_gets_429_and_never_reaches_the_vendor(env):
    user, token, password = locked_user(env)

    answers = [unlock(env, token, {"password": f"guess-{n}", **captcha()}) for n in range(7)]  # new IP each time

    assert [status for status, _, _ in answers] == [401] * 5 + [429] * 2
    _, headers, body = answers[-1]
    assert body["error"] == "too_many_attempts"
    assert 1 <= int(headers["Retry-After"]) <= 900
    assert headers["Access-Control-Allow-Origin"] == PORTAL
    assert len(env.loginradius.requests) == 5
    assert unlock(env, token, {"password": password, **captcha()})[0] == 429  # even the right password
    assert user.locked is True


def test_flood_from_one_address_with_new_tokens_gets_429(env, limit):
    limit("SELF_SERVICE_MAX_ATTEMPTS_PER_IP", "3")
    ip = fresh_ip()
    users = [locked_user(env) for _ in range(4)]

    answers = [unlock(env, token, {"password": "guess", **captcha()}, ip=ip) for _, token, _ in users]

    assert [status for status, _, _ in answers] == [401, 401, 401, 429]
    assert len(env.loginradius.requests) == 3


def test_rotating_ipv6_addresses_of_one_64_share_one_counter(env, limit):
    limit("SELF_SERVICE_MAX_ATTEMPTS_PER_IP", "3")
    prefix = fresh_prefix()
    addresses = [f"{prefix}:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}:{n}:1" for n in range(4)]

    # Each request a new token and no password: 400 without a vendor call, but counted.
    answers = [unlock(env, str(uuid.uuid4()), captcha(), ip=address) for address in addresses]

    assert [status for status, _, _ in answers] == [400, 400, 400, 429]
    assert unlock(env, str(uuid.uuid4()), captcha(), ip=f"{fresh_prefix()}::1")[0] == 400  # another /64


def test_every_spelling_of_one_token_counts_against_the_same_limit(env):
    _, token, _ = locked_user(env)
    spellings = [token, token.upper(), token + "=", token.upper() + "==", token[:8].upper() + token[8:], token]

    answers = [unlock(env, spelling, captcha()) for spelling in spellings]  # a new address each time

    assert [status for status, _, _ in answers] == [400] * 5 + [429]
    assert answers[-1][2]["error"] == "too_many_attempts"


def test_a_token_over_its_limit_does_not_use_up_the_allowance_of_its_network(env, limit):
    """Many users behind one NAT: one of them retrying after a 429 must not lock the others out."""
    limit("SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN", "2")
    limit("SELF_SERVICE_MAX_ATTEMPTS_PER_IP", "3")
    nat = fresh_ip()
    retrying, other, third = (locked_user(env)[1] for _ in range(3))

    answers = [unlock(env, token, captcha(), ip=nat) for token in (retrying, retrying, retrying, retrying, other)]
    answers.append(unlock(env, third, captcha(), ip=nat))

    assert [status for status, _, _ in answers] == [400, 400, 429, 429, 400, 429]  # the last one: the NAT's ceiling


# audit before the vendor call ------------------------------------------------------------------
def attempted_item(params: dict[str, Any]) -> bool:
    return params["Item"]["status"]["S"] == "attempted"


def test_an_attempt_that_cannot_be_audited_is_503_and_never_reaches_loginradius(env):
    user, token, password = locked_user(env)

    with refused("dynamodb", "PutItem", attempted_item, code="ProvisionedThroughputExceededException", status=400):
        status, headers, body = unlock(env, token, {"password": password, **captcha()})

    assert (status, body["error"], headers["Retry-After"]) == (503, "unavailable", "30")
    assert env.loginradius.requests == []
    assert user.locked is True
    assert [r for r in env.stack.output.records() if "AuditWriteFailed" in r]


def test_an_outcome_audit_refused_after_the_unlock_still_answers_what_happened(env):
    user, token, password = locked_user(env)

    with refused("dynamodb", "PutItem", lambda params: not attempted_item(params)) as refusals:
        status, _, body = unlock(env, token, {"password": password, **captcha()})

    assert (status, body["status"]) == (200, "unlocked")  # the unlock happened: the user must know
    assert user.locked is False
    assert len(refusals) == 1
    [attempted] = audit_items(env, body["request_id"])  # the trace of the vendor call is there
    assert attempted["status"]["S"] == "attempted"
    metric = [r for r in env.stack.output.records() if "AuditWriteFailed" in r][-1]
    assert metric["_aws"]["CloudWatchMetrics"][0] == {
        "Namespace": "AccountUnlock",
        "Dimensions": [["service"]],
        "Metrics": [{"Name": "AuditWriteFailed", "Unit": "Count"}],
    }


def test_attempt_counters_are_keyed_by_token_hash_never_the_token(env):
    _, token, password = locked_user(env)
    unlock(env, token, {"password": password, **captcha()})
    items = env.stack.client("dynamodb").scan(TableName=env.stack.names["SelfServiceAttemptsTable"])["Items"]
    dumped = json.dumps(items)
    assert token not in dumped
    assert hashlib.sha256(token.encode()).hexdigest() in dumped  # the per-token counter
    assert all(int(item["expires_at"]["N"]) > 0 for item in items)


def test_cors_preflight_answers_only_the_portal_origins(env):
    allowed = env.stack.api_request(
        "OPTIONS", ROUTE.format(CONNECTION), {"Origin": PORTAL, "Access-Control-Request-Method": "POST"}, b""
    )
    other = env.stack.api_request(
        "OPTIONS",
        ROUTE.format(CONNECTION),
        {"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
        b"",
    )
    assert allowed[0] == 204
    assert allowed[1]["Access-Control-Allow-Origin"] == PORTAL
    assert "POST" in allowed[1]["Access-Control-Allow-Methods"]
    assert "Authorization" in allowed[1]["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other[1]


def test_post_from_another_origin_is_refused_before_the_vendor(env):
    user, token, password = locked_user(env)
    status, headers, body = unlock(env, token, {"password": password, **captcha()}, origin="https://evil.example.com")
    assert (status, body["error"]) == (403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in headers
    assert env.loginradius.requests == []
    assert user.locked is True


# vendor trouble and unexpected errors --------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "retry_after"),
    [(429, {"Message": "Too many requests"}, "3"), (503, None, "30"), (500, error_body(950), "30")],
)
def test_vendor_rate_limit_or_outage_is_503_with_retry_after(env, status, body, retry_after):
    user, token, password = locked_user(env)
    headers = {"Retry-After": retry_after} if status == 429 else {}
    env.loginradius.fail(status, body, headers=headers, path="/auth/account/", times=1)

    answer_status, answer_headers, answer = unlock(env, token, {"password": password, **captcha()})

    assert (answer_status, answer["error"]) == (503, "unavailable")
    assert answer_headers["Retry-After"] == retry_after
    assert user.locked is True
    assert len(env.loginradius.requests) == 1  # no retry for a waiting user, and no unlock call


def test_vendor_unreachable_is_503(env):
    _, token, password = locked_user(env)
    env.put_secret(
        "connection",
        CONNECTION,
        {
            "vendor": "loginradius",
            "api_key": LOGINRADIUS_API_KEY,
            "api_secret": LOGINRADIUS_API_SECRET,
            "base_url": "http://127.0.0.1:9",  # discard port: nothing listens
            "self_service_enabled": True,
        },
    )
    status, headers, body = unlock(env, token, {"password": password, **captcha()})
    assert (status, body["error"], headers["Retry-After"]) == (503, "unavailable", "30")


def test_unexpected_error_is_a_plain_500_without_trace_or_secret(env, monkeypatch):
    _, token, password = locked_user(env)
    unlock(env, token, {"password": password, **captcha()})  # warm the connector cache
    connector = connections.self_service_for(CONNECTION)

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"boom with {token} and {password}")

    monkeypatch.setattr(connector, "verify_password", explode)
    before = len(env.stack.output.getvalue())

    status, _, body = unlock(env, token, {"password": password, **captcha()})

    assert status == 500
    assert body == {"status": "not_unlocked", "error": "internal_error", "message": "internal error"}
    printed = env.stack.output.getvalue()[before:]
    assert "RuntimeError" in printed  # logged: the type and the place
    assert "Traceback" not in printed
    assert token not in printed
    assert password not in printed


def test_events_file_is_a_ready_api_gateway_event(env):
    with open("events/self-service-unlock.json") as handle:
        event = json.load(handle)
    event["pathParameters"] = {"connection": CONNECTION}
    event["path"] = ROUTE.format(CONNECTION)
    event["requestContext"]["identity"]["sourceIp"] = fresh_ip()
    result = env.stack.invoke("SelfServiceFunction", event)
    assert result["statusCode"] == 401  # its fake token is not one LoginRadius issued
    assert json.loads(result["body"])["error"] == "invalid_token"


# no leaks, anywhere ----------------------------------------------------------------------------
def test_no_token_or_password_leaks_anywhere(env, captured_logs, capfd):
    # One more pass over every kind of answer, so that this test proves something on its own too.
    user, token, password = locked_user(env)
    unlock(env, token, {"password": "wrong-" + password, **captcha()})
    unlock(env, token, {"password": password})
    unlock(env, token, {"password": password, "SecurityAnswer": {"q1": "Answer-" + password}})
    unlock(env, token, b'{"password": "' + password.encode() + b'", "bogus": 1}')
    unlock(env, token, {"password": password, **captcha()})
    for _ in range(6):
        unlock(env, token, {"password": password, **captcha()})
    assert user.locked is False
    USED.add("Answer-" + password)

    printed = env.stack.output.getvalue()[OUTPUT_START[0] :]
    logs = captured_logs.getvalue()
    out, err = capfd.readouterr()
    stack = env.stack
    dynamodb = stack.client("dynamodb")
    tables = {
        logical: dynamodb.scan(TableName=stack.names[logical])["Items"]
        for logical in ("AuditTable", "IdempotencyTable", "SelfServiceAttemptsTable")
    }
    queues = {logical: stack.drain(logical) for logical in list(stack.queue_urls)}

    assert "self-service answer" in printed + logs  # the functions did log ...
    assert "SelfServiceAnswers" in printed  # ... and emit metrics
    assert any(item["origin_system"]["S"] == "self-service" for item in tables["AuditTable"])
    everything = {
        "function output": printed,
        "logs": logs,
        "stdout/stderr": out + err,
        "tables": json.dumps(tables),
        "queues and bus": json.dumps(queues),
    }
    for secret in sorted(USED):
        for where, text in everything.items():
            assert secret not in text, f"a secret value appears in {where}"
    for call in env.loginradius.requests:  # the vendor got the token in the header only
        assert all(secret not in call.path and secret not in json.dumps(call.query) for secret in USED)


def test_remembered_values_cover_the_module():
    assert len(USED) >= 20  # the leak check above looked for every token and password of the module
