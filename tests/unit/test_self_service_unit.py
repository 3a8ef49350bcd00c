"""The self-service request handling without network: body parsing, token and origin checks, answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from account_unlock import aws
from account_unlock.config import function_settings
from account_unlock.self_service import (
    ANSWERS,
    MAX_BODY_BYTES,
    InvalidBody,
    PortalRequest,
    Result,
    allowed_origins,
    attempt,
    bearer_token,
    cors_config,
    handle_self_service,
    parse_body,
    reply_for,
    respond,
    scrub,
)
from account_unlock.vendors.base import ChallengeAnswers, VendorResult, parse_config
from account_unlock.vendors.loginradius import LoginRadiusConfig
from account_unlock.vendors.loginradius_portal import LoginRadiusPortal

PASSWORD = "Hunter2-very-secret"
TOKEN = "5e1c2d3a-4b5c-4d6e-8f70-a1b2c3d4e5f6"


def request(**overrides: object) -> PortalRequest:
    fields: dict[str, object] = {
        "connection": "lr-portal",
        "headers": {},
        "body": b"{}",
        "source_ip": "203.0.113.5",
        "request_id": "req-1",
    }
    return PortalRequest(**(fields | overrides))  # type: ignore[arg-type]


# body -------------------------------------------------------------------------------------------
def test_body_with_every_field_under_loginradius_names():
    body = parse_body(
        json.dumps(
            {
                "password": PASSWORD,
                "SecurityAnswer": {"9d1f4208bda845d885eab43266d6543f": "Smith"},
                "g-recaptcha-response": "03AGdBq24",
                "qq_captcha_ticket": "ticket-example",
                "qq_captcha_randstr": "randstr-example",
                "h-captcha-response": "10000000-aaaa-bbbb-cccc-000000000001",
            }
        ).encode()
    )
    assert body.password is not None
    assert body.password.get_secret_value() == PASSWORD
    answers = body.answers()
    assert answers.captcha_fields() == {
        "g-recaptcha-response": "03AGdBq24",
        "qq_captcha_ticket": "ticket-example",
        "qq_captcha_randstr": "randstr-example",
        "h-captcha-response": "10000000-aaaa-bbbb-cccc-000000000001",
    }
    assert answers.security_answers() == {"9d1f4208bda845d885eab43266d6543f": "Smith"}
    assert body.secret_values() == [PASSWORD, "Smith"]


def test_empty_body_is_an_empty_request():
    assert parse_body(b"").password is None
    assert parse_body(b"  ").answers().captcha_fields() == {}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b"{not json", "the body is not a JSON object"),
        (b"[1, 2]", "the body is not a JSON object"),
        (b"null", "the body is not a JSON object"),
        (json.dumps({"password": 12345}).encode(), "password"),
        (json.dumps({"password": ""}).encode(), "password"),
        (json.dumps({"password": "x" * 1025}).encode(), "password"),
        (json.dumps({"g-recaptcha-response": "has a space"}).encode(), "g-recaptcha-response"),
        (json.dumps({"SecurityAnswer": {"../q": "a"}}).encode(), "SecurityAnswer"),
        (json.dumps({"SecurityAnswer": {f"q{n}": "a" for n in range(11)}}).encode(), "SecurityAnswer"),
        (json.dumps({"access_token": TOKEN}).encode(), "access_token"),
        (json.dumps({"Password": PASSWORD}).encode(), "Password"),
    ],
)
def test_invalid_bodies_name_the_field_never_the_value(raw, named):
    with pytest.raises(InvalidBody) as caught:
        parse_body(raw)
    assert named in caught.value.public
    assert PASSWORD not in caught.value.public
    assert TOKEN not in caught.value.public
    assert "12345" not in caught.value.public


def test_a_strange_unknown_field_name_is_not_echoed():
    with pytest.raises(InvalidBody) as caught:
        parse_body(json.dumps({f"{PASSWORD} with spaces": 1}).encode())
    assert PASSWORD not in caught.value.public
    assert "(unnamed field)" in caught.value.public


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=512)
    | st.dictionaries(st.text(max_size=20), st.text(max_size=40)).map(lambda d: json.dumps(d).encode())
)
def test_any_body_parses_or_is_refused_cleanly(raw):
    try:
        parse_body(raw)
        outcome = "parsed"
    except InvalidBody as exc:  # the only exception allowed, and it always says what is wrong
        outcome = exc.public
    assert outcome


def test_challenge_answers_repr_shows_no_answer():
    answers = ChallengeAnswers(g_recaptcha_response="captcha-value", security_answer={"q": SecretStr("Smith")})
    assert "captcha-value" not in repr(answers)
    assert "Smith" not in repr(answers)
    assert "g-recaptcha-response" in repr(answers)


# token and origins -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {TOKEN}", TOKEN),
        (f"bearer   {TOKEN}", TOKEN),
        (None, None),
        ("", None),
        (TOKEN, None),
        (f"Basic {TOKEN}", None),
        (f"Bearer {TOKEN} extra", None),
    ],
)
def test_bearer_token(header, expected):
    token = bearer_token(header)
    assert (token.get_secret_value() if token else None) == expected
    if token:
        assert TOKEN not in repr(token)


def test_allowed_origins_ignore_wildcards_paths_and_junk():
    raw = "https://portal.example.com, https://id.example.com:8443/ ,*, https://x.example.com/path,javascript:x,"
    assert allowed_origins(raw) == ["https://portal.example.com", "https://id.example.com:8443"]


def test_cors_lists_only_the_portal_origins():
    config = cors_config("https://portal.example.com,https://id.example.com")
    assert config is not None
    assert config.to_dict("https://id.example.com")["Access-Control-Allow-Origin"] == "https://id.example.com"
    assert config.to_dict("https://evil.example.com") == {}
    assert config.to_dict("https://portal.example.com")["Access-Control-Expose-Headers"] == "Retry-After"
    assert "Access-Control-Allow-Credentials" not in config.to_dict("https://portal.example.com")


def test_no_origins_means_no_cors():
    assert cors_config("") is None
    assert cors_config("*") is None


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings are read once per container: read them again for this test's environment, and after it."""
    function_settings.cache_clear()
    yield
    function_settings.cache_clear()


def test_disallowed_origin_and_oversized_body_are_refused_before_anything_else(monkeypatch, fresh_settings):
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://portal.example.com")
    # No AWS and no vendor is reachable from a unit test: these answers come before either is used.
    reply = handle_self_service(request(headers={"Origin": "https://evil.example.com"}))
    assert (reply.status, reply.body["error"]) == (403, "origin_not_allowed")
    reply = handle_self_service(request(body=b"x" * (MAX_BODY_BYTES + 1)))
    assert (reply.status, reply.body["error"]) == (413, "too_large")


# answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "status", "error"),
    [
        ("unlocked", 200, ""),
        ("invalid_password", 401, "invalid_password"),
        ("token_invalid", 401, "invalid_token"),
        ("user_not_found", 401, "invalid_token"),
        ("token_missing", 401, "missing_token"),
        ("account_blocked", 409, "contact_helpdesk"),
        ("account_suspended", 409, "contact_helpdesk"),
        ("challenge_required", 403, "challenge_required"),
        ("password_required", 400, "password_required"),
        ("invalid_request", 400, "invalid_request"),
        ("bad_request", 400, "bad_request"),
        ("bad_credentials", 502, "unavailable"),
        ("config_invalid", 502, "unavailable"),
        ("unlock_not_confirmed", 422, "not_unlocked"),
        ("something_new", 422, "not_unlocked"),
    ],
)
def test_each_reason_has_its_documented_answer(reason, status, error):
    reply = reply_for(request(), Result(reason, "internal message LoginRadius 1205: Invalid password"))
    assert reply.status == status
    assert reply.body.get("error", "") == error
    assert "internal message" not in json.dumps(reply.body)  # vendor texts are not shown to the user


def test_user_not_found_answers_exactly_like_an_invalid_token():
    gone = reply_for(request(), Result("user_not_found", "LoginRadius 938: User does not exist"))
    expired = reply_for(request(), Result("token_invalid", "LoginRadius 906: The access token has expired"))
    assert (gone.status, gone.body, gone.headers) == (expired.status, expired.body, expired.headers)
    assert gone.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_transient_failures_answer_503_with_retry_after():
    limited = reply_for(request(), Result("rate_limited", "429", retry_after=7, transient=True))
    assert (limited.status, limited.headers["Retry-After"]) == (503, "7")
    down = reply_for(request(), Result("vendor_unavailable", "503", transient=True))
    assert (down.status, down.headers["Retry-After"]) == (503, "30")
    fractional = respond(request(), 429, "too_many_attempts", "wait", retry_after=0.2)
    assert fractional.headers["Retry-After"] == "1"


def test_invalid_request_shows_the_field_message():
    reply = reply_for(request(), Result("invalid_request", "x", public_message="invalid or unknown fields: password"))
    assert reply.body["message"] == "invalid or unknown fields: password"


def test_every_answer_has_a_message_for_the_user():
    assert all(message for _, _, message in ANSWERS.values())


def test_scrub_removes_secret_values_from_vendor_texts():
    text = f"LoginRadius 950: echo {TOKEN} and {PASSWORD}"
    assert scrub(text, [TOKEN, PASSWORD]) == "LoginRadius 950: echo [redacted] and [redacted]"


# connection fields -----------------------------------------------------------------------------
def test_existing_connection_secrets_stay_valid_and_self_service_is_off_by_default():
    config = parse_config(LoginRadiusConfig, {"vendor": "loginradius", "api_key": "k", "api_secret": "s"})
    assert config.self_service_enabled is False
    assert config.self_service_requires_password is True
    assert config.prevent_webhook is False


def test_self_service_fields_are_parsed():
    config = parse_config(
        LoginRadiusConfig,
        {
            "vendor": "loginradius",
            "api_key": "k",
            "api_secret": "s",
            "self_service_enabled": True,
            "self_service_requires_password": False,
            "prevent_webhook": True,
        },
    )
    assert (config.self_service_enabled, config.self_service_requires_password, config.prevent_webhook) == (
        True,
        False,
        True,
    )


# which call gets which answer -------------------------------------------------------------------
class RecordingConnector(LoginRadiusPortal):
    """Records the two self-service calls instead of sending them."""

    def __init__(self) -> None:
        super().__init__(parse_config(LoginRadiusConfig, {"vendor": "loginradius", "api_key": "k", "api_secret": "s"}))
        self.calls: list[tuple[str, object]] = []

    def verify_password(self, token: SecretStr, password: SecretStr) -> None:
        self.calls.append(("verify_password", password.get_secret_value()))

    def unlock_with_token(self, token: SecretStr, answers: ChallengeAnswers) -> VendorResult:
        self.calls.append(("unlock_with_token", (answers.captcha_fields(), answers.security_answers())))
        return VendorResult(actions=["auth.account.unlock"])


def test_the_password_goes_to_the_re_authentication_and_every_answer_to_the_unlock(monkeypatch):
    """A captcha answer is verified once (Google reCAPTCHA, https://developers.google.com/recaptcha/docs/verify):
    it goes to the token unlock, whose body lifts the lockout with it, never to the re-authentication."""
    connector = RecordingConnector()
    raw = json.dumps(
        {
            "password": PASSWORD,
            "SecurityAnswer": {"q1": "Smith"},
            "g-recaptcha-response": "03AG",
            "qq_captcha_ticket": "t",
            "qq_captcha_randstr": "r",
            "h-captcha-response": "P1",
        }
    ).encode()

    with Stubber(aws.client("dynamodb")) as dynamodb:
        dynamodb.add_response("put_item", {}, {"TableName": ANY, "Item": ANY})  # the "attempted" audit item
        result = attempt(connector, request(body=raw), SecretStr(TOKEN), [])

    assert result.reason == "unlocked"
    assert connector.calls == [
        ("verify_password", PASSWORD),
        (
            "unlock_with_token",
            (
                {
                    "g-recaptcha-response": "03AG",
                    "qq_captcha_ticket": "t",
                    "qq_captcha_randstr": "r",
                    "h-captcha-response": "P1",
                },
                {"q1": "Smith"},
            ),
        ),
    ]


# the audit item before the vendor call ------------------------------------------------------------
def test_the_attempt_is_audited_before_loginradius_is_called(monkeypatch):
    connector = RecordingConnector()
    client = aws.client("dynamodb")

    def audited(model: Any, **_: Any) -> None:
        connector.calls.append((model.name, None))

    client.meta.events.register("after-call.dynamodb.PutItem", audited, unique_id="test-audit-order")
    try:
        with Stubber(client) as dynamodb:
            dynamodb.add_response("put_item", {}, {"TableName": ANY, "Item": ANY})
            attempt(connector, request(body=json.dumps({"password": PASSWORD}).encode()), SecretStr(TOKEN), [])
    finally:
        client.meta.events.unregister("after-call.dynamodb.PutItem", unique_id="test-audit-order")
    assert [name for name, _ in connector.calls] == ["PutItem", "verify_password", "unlock_with_token"]


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "AccessDeniedException"])
def test_an_attempt_that_cannot_be_audited_never_reaches_loginradius(monkeypatch, code):
    connector = RecordingConnector()
    with Stubber(aws.client("dynamodb")) as dynamodb:
        dynamodb.add_client_error("put_item", service_error_code=code, http_status_code=400)
        result = attempt(connector, request(body=json.dumps({"password": PASSWORD}).encode()), SecretStr(TOKEN), [])

    assert connector.calls == []
    assert (result.reason, result.transient) == ("audit_unavailable", True)
    reply = reply_for(request(), result)
    assert (reply.status, reply.body["error"], reply.headers["Retry-After"]) == (503, "unavailable", "30")
