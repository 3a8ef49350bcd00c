"""The exact requests of the two self-service calls, and how their documented answers are read.

Step-Up Authenticate by Password ("Verify Password",
https://www.loginradius.com/docs/api/v2/customer-identity-api/step-up-authentication/step-up-auth-by-password/):
``PUT /identity/v2/auth/account/reauth/password`` with the password → ``{"SecondFactorValidationToken",
"ExpireIn"}``. Auth Unlock Account by Access Token ("Unlock User",
https://www.loginradius.com/docs/api/v2/customer-identity-api/authentication/auth-unlock-account-by-access-token/):
``PUT /identity/v2/auth/account/unlock`` with the bot-protection answers and ``securityanswer`` that lift a
captcha / security-question lockout → ``{"IsPosted": true}``. Each captcha answer goes to the unlock only: a
provider verifies an answer once (Google reCAPTCHA, Verifying the user's response,
https://developers.google.com/recaptcha/docs/verify), and the simulator refuses a second use with 982
"CAPTCHA is invalid" (Customer Identity API Codes,
https://www.loginradius.com/docs/api/v2/getting-started/response-codes/customer-identity-api-codes/). Both
calls: ``apikey`` query parameter, the user's token as ``Authorization: Bearer`` (API Security,
https://www.loginradius.com/docs/api/v2/customer-identity-api/api-security/; never ``access_token=`` in the
URL), optional ``X-PreventWebhook: true``, never the API secret. Error bodies: the API reference's, verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import USER_AGENT
from account_unlock.vendors.base import ChallengeAnswers
from account_unlock.vendors.loginradius_portal import LoginRadiusPortal
from local.simulators.base import Request
from local.simulators.loginradius import LoginRadiusSimulator
from tests.fixtures.loginradius import API_KEY, API_SECRET, BODY_901, BODY_902, BODY_908, BODY_938, BODY_1079

TOKEN = "493318dd-487a-439b-8302-5e27f1110244"  # the API reference's example token
PASSWORD = "MySecurePassword123!"  # the "Verify Password" example password
QUESTION = "9d1f4208bda845d885eab43266d6543f"
REAUTH = "/identity/v2/auth/account/reauth/password"
UNLOCK = "/identity/v2/auth/account/unlock"

BODY_1205 = {"ErrorCode": 1205, "Message": "Invalid password", "Description": "Please use a valid password."}
# LoginRadius Auth Security, lockout types
# (https://www.loginradius.com/docs/api/v2/admin-console/platform-security/auth-security-configuration/).
DOC_1198 = {
    "Description": "Your account has been locked, please try again after sometime.",
    "ErrorCode": 1198,
    "Message": "Your account has been locked",
    "IsProviderError": False,
    "ProviderErrorResponse": None,
    "Data": {"LoginLockedTimeout": "2018-10-11T21:40:44.875Z"},
}
DOC_991 = {
    "Description": "Your account has been blocked by the system admin, please contact the admin for more information.",
    "ErrorCode": 991,
    "Message": "Your account is blocked",
}
DOC_1132 = {
    "Description": "Your account has been locked, please enter reCAPTCHA in order to login.",
    "ErrorCode": 1132,
    "Message": "Your account has been locked, please enter reCAPTCHA in order to login",
}
DOC_982 = {  # Customer Identity API Codes
    "ErrorCode": 982,
    "Message": "CAPTCHA is invalid",
    "Description": "CAPTCHA is invalid, please enter the correct CAPTCHA value.",
}
DOC_1148 = {
    "Description": "Your account has been locked, please enter the answer to the security question in order to login.",
    "ErrorCode": 1148,
    "Message": "Your account has been locked",
}
ALL_CHALLENGES = ChallengeAnswers(
    g_recaptcha_response="03AGdBq24...",
    qq_captcha_ticket="ticket-example",
    qq_captcha_randstr="randstr-example",
    h_captcha_response="10000000-aaaa-bbbb-cccc-000000000001",
    security_answer={QUESTION: SecretStr("Smith")},
)


@pytest.fixture(autouse=True)
def sim(loginradius_sim: LoginRadiusSimulator) -> Iterator[LoginRadiusSimulator]:
    yield loginradius_sim
    for seen in loginradius_sim.requests:  # whatever a test did: the token and secrets never travelled in a URL
        assert TOKEN not in seen.path
        assert all(TOKEN not in v and PASSWORD not in v for values in seen.query.values() for v in values)


def portal(sim: LoginRadiusSimulator, **fields: Any) -> LoginRadiusPortal:
    return LoginRadiusPortal.from_secret(
        {"vendor": "loginradius", "api_key": API_KEY, "api_secret": API_SECRET, "base_url": sim.url, **fields}
    )


def locked_user(sim: LoginRadiusSimulator) -> str:
    user = sim.add_user("jane@example.com", "jane")
    sim.set_password(user.uid, PASSWORD)
    sim.issue_token(user.uid, token=TOKEN)
    return user.uid


def assert_token_call(seen: Request, path: str, *, prevent_webhook: bool = False) -> None:
    assert (seen.method, seen.path) == ("PUT", path)
    assert seen.query == {"apikey": [API_KEY]}
    assert seen.header("authorization") == f"Bearer {TOKEN}"
    assert seen.header("content-type") == "application/json"
    assert seen.header("user-agent") == USER_AGENT
    assert seen.header("x-preventwebhook") == ("true" if prevent_webhook else None)
    assert seen.header("x-loginradius-apisecret") is None
    assert seen.header("x-loginradius-apikey") is None
    assert API_SECRET not in str(seen.headers)


# requests --------------------------------------------------------------------------------------
def test_verify_password_sends_the_password_only(sim: LoginRadiusSimulator) -> None:
    locked_user(sim)
    portal(sim).verify_password(SecretStr(TOKEN), SecretStr(PASSWORD))
    [seen] = sim.requests
    assert_token_call(seen, REAUTH)
    assert seen.json() == {"password": PASSWORD}  # no captcha or security answer: those are the unlock's
    assert seen.status == 200


def test_each_answer_goes_to_the_unlock_only_in_the_self_service_sequence(sim: LoginRadiusSimulator) -> None:
    uid = locked_user(sim)
    built = portal(sim)
    built.verify_password(SecretStr(TOKEN), SecretStr(PASSWORD))
    result = built.unlock_with_token(SecretStr(TOKEN), ALL_CHALLENGES)
    reauth, unlock = sim.requests
    assert reauth.json() == {"password": PASSWORD}
    assert unlock.json() == {
        "g-recaptcha-response": "03AGdBq24...",
        "qq_captcha_ticket": "ticket-example",
        "qq_captcha_randstr": "randstr-example",
        "h-captcha-response": "10000000-aaaa-bbbb-cccc-000000000001",
        "securityanswer": {QUESTION: "Smith"},
    }
    assert (reauth.status, unlock.status) == (200, 200)
    assert result.actions == ["auth.account.unlock"]
    assert sim.users[uid].locked is False


def test_unlock_sends_only_the_challenge_answers(sim: LoginRadiusSimulator) -> None:
    locked_user(sim)
    result = portal(sim).unlock_with_token(SecretStr(TOKEN), ALL_CHALLENGES)
    [seen] = sim.requests
    assert_token_call(seen, UNLOCK)
    assert seen.json() == {
        "g-recaptcha-response": "03AGdBq24...",
        "qq_captcha_ticket": "ticket-example",
        "qq_captcha_randstr": "randstr-example",
        "h-captcha-response": "10000000-aaaa-bbbb-cccc-000000000001",
        "securityanswer": {QUESTION: "Smith"},
    }
    assert "password" not in seen.json()
    assert result.actions == ["auth.account.unlock"]
    assert result.vendor_reference is None


def test_unlock_without_answers_sends_an_empty_object_as_the_curl_example(sim: LoginRadiusSimulator) -> None:
    uid = locked_user(sim)
    sim.users[uid].locked = False
    portal(sim).unlock_with_token(SecretStr(TOKEN), ChallengeAnswers())
    assert sim.requests[0].body == b"{}"


def test_prevent_webhook_header_when_the_connection_says_so(sim: LoginRadiusSimulator) -> None:
    locked_user(sim)
    built = portal(sim, prevent_webhook=True)
    built.verify_password(SecretStr(TOKEN), SecretStr(PASSWORD))
    built.unlock_with_token(SecretStr(TOKEN), ALL_CHALLENGES)
    assert_token_call(sim.requests[0], REAUTH, prevent_webhook=True)
    assert_token_call(sim.requests[1], UNLOCK, prevent_webhook=True)


def test_a_malformed_token_is_refused_before_any_request(sim: LoginRadiusSimulator) -> None:
    for bad in ["short", "has space-0000000000", "line\r\nX-Injected: 1", "x" * 600]:
        with pytest.raises(PermanentError) as caught:
            portal(sim).unlock_with_token(SecretStr(bad), ChallengeAnswers())
        assert caught.value.reason == "token_invalid"
        assert bad not in caught.value.message
    assert sim.requests == []


def test_the_call_is_not_retried_for_a_waiting_user(sim: LoginRadiusSimulator) -> None:
    locked_user(sim)
    sim.fail(503, {"Message": "busy"}, headers={"Retry-After": "0"}, times=5)
    with pytest.raises(TransientError):
        portal(sim).unlock_with_token(SecretStr(TOKEN), ALL_CHALLENGES)
    assert len(sim.requests) == 1


# answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (401, BODY_1205, PermanentError, "invalid_password"),
        (401, {"ErrorCode": 905, "Message": "The access token is invalid"}, PermanentError, "token_invalid"),
        (401, {"ErrorCode": 906, "Message": "The access token has expired"}, PermanentError, "token_invalid"),
        (403, BODY_938, PermanentError, "user_not_found"),
        (403, DOC_991, PermanentError, "account_blocked"),
        (403, DOC_1198, PermanentError, "account_suspended"),
        (403, DOC_1132, PermanentError, "challenge_required"),
        (403, DOC_1148, PermanentError, "challenge_required"),
        (403, DOC_982, PermanentError, "challenge_required"),
        (401, BODY_901, PermanentError, "bad_credentials"),
        (401, BODY_902, PermanentError, "bad_credentials"),
        (400, BODY_908, PermanentError, "bad_request"),
        (400, BODY_1079, PermanentError, "bad_request"),
        (200, BODY_1205, PermanentError, "invalid_password"),  # an error body is an error whatever the status
        (401, {"Message": "Unauthorized"}, PermanentError, "token_invalid"),  # bare 401 to a token call
        (429, {"Message": "Too many requests"}, TransientError, "rate_limited"),
        (500, {"ErrorCode": 950, "Message": "Unknown error"}, TransientError, "vendor_unavailable"),
        (502, None, TransientError, "vendor_unavailable"),
    ],
)
@pytest.mark.parametrize("call", ["verify_password", "unlock_with_token"])
def test_documented_answers_are_classified(
    sim: LoginRadiusSimulator, status: int, body: object, kind: type[UnlockError], reason: str, call: str
) -> None:
    sim.fail(status, body)
    built = portal(sim)
    arguments = (SecretStr(PASSWORD),) if call == "verify_password" else (ChallengeAnswers(),)
    with pytest.raises(UnlockError) as caught:
        getattr(built, call)(SecretStr(TOKEN), *arguments)
    assert type(caught.value) is kind
    assert caught.value.reason == reason
    assert TOKEN not in caught.value.message
    assert PASSWORD not in caught.value.message
    assert len(sim.requests) == 1


def test_rate_limit_keeps_the_vendor_retry_after(sim: LoginRadiusSimulator) -> None:
    sim.fail(429, {"Message": "Too many requests"}, headers={"Retry-After": "7"})
    with pytest.raises(TransientError) as caught:
        portal(sim).unlock_with_token(SecretStr(TOKEN), ChallengeAnswers())
    assert caught.value.retry_after == 7


def test_suspension_end_is_quoted_in_the_message(sim: LoginRadiusSimulator) -> None:
    sim.fail(403, DOC_1198)
    with pytest.raises(PermanentError) as caught:
        portal(sim).unlock_with_token(SecretStr(TOKEN), ChallengeAnswers())
    assert caught.value.message.endswith("(locked until 2018-10-11T21:40:44.875Z)")


def test_unlock_without_is_posted_true_is_not_an_unlock(sim: LoginRadiusSimulator) -> None:
    sim.fail(200, {"IsPosted": False})
    with pytest.raises(PermanentError) as caught:
        portal(sim).unlock_with_token(SecretStr(TOKEN), ChallengeAnswers())
    assert caught.value.reason == "unlock_not_confirmed"


# the simulator answers like the API pages ------------------------------------------------------
def put(sim: LoginRadiusSimulator, path: str, body: bytes = b"{}", **kw: object) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    params = {"apikey": API_KEY}
    headers.update(kw.pop("headers", {}))  # type: ignore[arg-type]
    params.update(kw.pop("params", {}))  # type: ignore[arg-type]
    return requests.put(f"{sim.url}{path}", data=body, headers=headers, params=params, timeout=5)


def error_of(answer: requests.Response) -> tuple[int, dict[str, object]]:
    body = answer.json()
    return answer.status_code, {key: body[key] for key in ("ErrorCode", "Message", "Description")}


def test_simulator_success_bodies_are_the_documented_ones(sim: LoginRadiusSimulator) -> None:
    uid = locked_user(sim)
    verified = put(sim, REAUTH, f'{{"password": "{PASSWORD}"}}'.encode())
    assert verified.status_code == 200
    assert set(verified.json()) == {"SecondFactorValidationToken", "ExpireIn"}
    unlocked = put(sim, UNLOCK, b'{"g-recaptcha-response": "03AGdBq24..."}')
    assert (unlocked.status_code, unlocked.json()) == (200, {"IsPosted": True})
    assert sim.users[uid].locked is False


def test_simulator_error_bodies_are_the_documented_ones(sim: LoginRadiusSimulator) -> None:
    uid = locked_user(sim)
    # Statuses: the "HTTP Code" column of Customer Identity API Codes (1205 401, 1079 400, 908 403, 901 403).
    assert error_of(put(sim, REAUTH, b'{"password": "wrong"}')) == (401, BODY_1205)
    assert error_of(put(sim, REAUTH, b"not json")) == (400, BODY_1079)
    assert error_of(put(sim, UNLOCK, b"[]")) == (400, BODY_1079)
    assert error_of(put(sim, REAUTH, params={"apikey": ""})) == (403, BODY_908)
    assert error_of(put(sim, UNLOCK, params={"apikey": "other"})) == (403, BODY_901)
    assert (
        put(sim, UNLOCK, headers={"Authorization": "Bearer 00000000-0000-0000-0000-000000000000"}).json()["ErrorCode"]
        == 905
    )
    expired = sim.issue_token(uid, expired=True)
    assert put(sim, UNLOCK, headers={"Authorization": f"Bearer {expired}"}).json()["ErrorCode"] == 906
    del sim.users[uid]
    assert error_of(put(sim, UNLOCK)) == (403, BODY_938)


def test_simulator_token_unlock_refuses_block_and_suspend(sim: LoginRadiusSimulator) -> None:
    uid = locked_user(sim)
    sim.users[uid].blocked = True
    blocked = put(sim, UNLOCK, b'{"g-recaptcha-response": "x"}')
    assert error_of(blocked) == (403, {k: DOC_991[k] for k in ("ErrorCode", "Message", "Description")})
    sim.users[uid].blocked = False
    sim.lock_account(uid, "suspend", locked_until="2030-01-01T00:00:00.000Z")
    suspended = put(sim, UNLOCK, b'{"g-recaptcha-response": "x"}')
    assert error_of(suspended) == (403, {k: DOC_1198[k] for k in ("ErrorCode", "Message", "Description")})
    assert suspended.json()["Data"] == {"LoginLockedTimeout": "2030-01-01T00:00:00.000Z"}
    assert sim.users[uid].locked is True


def test_simulator_requires_the_challenge_of_the_lockout_type(sim: LoginRadiusSimulator) -> None:
    uid = locked_user(sim)
    assert put(sim, UNLOCK).json()["ErrorCode"] == 1132
    assert put(sim, UNLOCK, b'{"qq_captcha_ticket": "t"}').json()["ErrorCode"] == 1132
    assert put(sim, UNLOCK, b'{"qq_captcha_ticket": "t", "qq_captcha_randstr": "r"}').json() == {"IsPosted": True}
    sim.lock_account(uid, "security_question", security_answers={QUESTION: "Smith"})
    assert put(sim, UNLOCK, b'{"securityanswer": {"%s": "Jones"}}' % QUESTION.encode()).json()["ErrorCode"] == 1148
    assert put(sim, UNLOCK, b'{"securityanswer": {"%s": "smith"}}' % QUESTION.encode()).json() == {"IsPosted": True}


def test_simulator_also_takes_the_token_from_the_query_as_the_curl_example(sim: LoginRadiusSimulator) -> None:
    locked_user(sim)
    answer = put(
        sim, UNLOCK, b'{"h-captcha-response": "x"}', headers={"Authorization": ""}, params={"access_token": TOKEN}
    )
    assert answer.json() == {"IsPosted": True}
    sim.clear()  # this test put the token in a URL on purpose; the autouse check is for the connector


@pytest.mark.parametrize(
    "answer",
    [
        {"g-recaptcha-response": "03AG-once"},
        {"h-captcha-response": "P1_once"},
        {"qq_captcha_ticket": "t1", "qq_captcha_randstr": "r1"},
    ],
)
def test_simulator_refuses_a_captcha_answer_used_twice(sim: LoginRadiusSimulator, answer: dict[str, str]) -> None:
    """What sending one answer to both calls does: the re-authentication spends it, the unlock is refused."""
    uid = locked_user(sim)
    assert put(sim, REAUTH, json.dumps({"password": PASSWORD, **answer}).encode()).status_code == 200  # spent here
    assert error_of(put(sim, UNLOCK, json.dumps(answer).encode())) == (403, DOC_982)
    assert sim.users[uid].locked is True
    fresh = json.dumps({name: value + "-new" for name, value in answer.items()}).encode()
    assert put(sim, UNLOCK, fresh).json() == {"IsPosted": True}
    sim.lock_account(uid, "captcha")
    assert error_of(put(sim, UNLOCK, fresh)) == (403, DOC_982)  # a second unlock with the same answer: spent too


def test_the_connector_never_spends_an_answer_before_the_unlock(sim: LoginRadiusSimulator) -> None:
    """The whole self-service sequence twice with fresh answers: each answer verified exactly once."""
    uid = locked_user(sim)
    built = portal(sim)
    for attempt in ("first", "second"):
        sim.lock_account(uid, "captcha")
        answers = ChallengeAnswers(g_recaptcha_response=f"03AG-{attempt}")
        built.verify_password(SecretStr(TOKEN), SecretStr(PASSWORD))
        built.unlock_with_token(SecretStr(TOKEN), answers)
        assert sim.users[uid].locked is False
    assert sim.spent_answers == {("g-recaptcha-response", "03AG-first"), ("g-recaptcha-response", "03AG-second")}
