"""LoginRadius's self-service unlock (``account_unlock.self_service``, through ``vendors.base.SelfServiceUnlock``).

The portal makes two calls with the locked user's own access token
(``Authorization: Bearer``, API Security), the API key as ``apikey`` and never the API secret:

- ``verify_password``: ``PUT /identity/v2/auth/account/reauth/password`` with the password only (Step-Up
  Authenticate by Password, https://www.loginradius.com/docs/api/v2/customer-identity-api/step-up-authentication/step-up-auth-by-password/ ;
  "Verify Password" in LoginRadius's newer API reference). Its captcha and ``securityanswer`` fields are
  described for signing in to a locked account, which this call does not do;
- ``unlock_with_token``: ``PUT /identity/v2/auth/account/unlock`` with the bot-protection answers and the
  security answer, the call that lifts a captcha or security-question lockout with them (Auth Unlock Account
  by Access Token, https://www.loginradius.com/docs/api/v2/customer-identity-api/authentication/auth-unlock-account-by-access-token/ ;
  "Unlock User" in the newer reference).

A captcha answer can be verified only once (Google reCAPTCHA, Verifying the user's response,
https://developers.google.com/recaptcha/docs/verify: "can only be verified once"; Tencent Cloud CAPTCHA,
DescribeCaptchaResult, https://cloud.tencent.com/document/product/1108/36926: CaptchaCode 9 "ticket reused"),
so each answer goes to exactly one call: the unlock.

For a connection policy the token's user is read with ``GET /identity/v2/auth/account`` (Auth Read all
Profiles by Token, Authentication API, https://www.loginradius.com/docs/developer/api/authentication-api/),
and, when the policy names ``role``, the roles with the Account API's Roles by UID (``loginradius``): the
only call here that sends the API secret, from the server, never to the portal.

Error codes: Customer Identity API Codes,
https://www.loginradius.com/docs/api/v2/getting-started/response-codes/customer-identity-api-codes/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from account_unlock.errors import PermanentError, UnlockError
from account_unlock.http import VendorHttp, json_body
from account_unlock.policy import NO_POLICY, Policy
from account_unlock.steps import Account
from account_unlock.validation import path_segment
from account_unlock.vendors.base import ChallengeAnswers, VendorResult, parse_config
from account_unlock.vendors.loginradius import (
    ACCOUNT_PATH,
    JSON,
    PERMANENT_REASONS,
    ROLES,
    UID,
    LoginRadiusConfig,
    admin_headers,
    error_for,
    identity_api,
    policy_account,
    roles_of,
)

PROFILE_PATH = "/auth/account"  # Auth Read all Profiles by Token
REAUTH_PATH = "/auth/account/reauth/password"  # Step-Up Authenticate by Password ("Verify Password")
SELF_UNLOCK_PATH = "/auth/account/unlock"  # Auth Unlock Account by Access Token ("Unlock User")
PREVENT_WEBHOOK_HEADER = "X-PreventWebhook"
# The same codes seen by the self-service calls, which carry the user's token and password: here they
# say what the user must do (sign in again, retype the password, pass the challenge, call the helpdesk).
SELF_SERVICE_REASONS = PERMANENT_REASONS | {
    905: "token_invalid",  # access token invalid
    906: "token_invalid",  # access token expired
    1205: "invalid_password",
    991: "account_blocked",  # Block lockout: the token unlock cannot lift it
    1198: "account_suspended",  # Suspend lockout: the token unlock cannot lift it
    1132: "challenge_required",  # captcha lockout: the captcha answer is missing or wrong
    1148: "challenge_required",  # security-question lockout: the answer is missing or wrong
    982: "challenge_required",  # "CAPTCHA is invalid": wrong, expired or already used
    1218: "challenge_required",  # "CAPTCHA is invalid" (the same text under a second code)
}
# A user access token goes into a header: RFC 6750 b64token characters only (LoginRadius uses UUIDs).
ACCESS_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]{8,512}=*$")
# Data.LoginLockedTimeout of a 1198 answer, quoted in the audit message only if it looks like a time.
LOCKED_UNTIL = re.compile(r"^[0-9T:.+\- Z]{10,40}$")


class LoginRadiusPortal:
    """The self-service calls of one LoginRadius connection, with their own HTTP session."""

    vendor = "loginradius"

    def __init__(self, config: LoginRadiusConfig) -> None:
        self.config = config
        self.api = identity_api(config.base_url)
        # These calls answer a user who is waiting: no retries (a 429/5xx is answered at once with the
        # vendor's Retry-After, and the user's next click is the retry) and a short read timeout.
        self.http = VendorHttp(self.vendor, retries=0, read_timeout=5.0)
        self.policy: Policy = NO_POLICY  # the connection's, set by ``connections``

    @classmethod
    def from_secret(cls, secret: Mapping[str, Any]) -> LoginRadiusPortal:
        return cls(parse_config(LoginRadiusConfig, secret))

    @property
    def enabled(self) -> bool:
        return self.config.self_service_enabled

    @property
    def requires_password(self) -> bool:
        return self.config.self_service_requires_password

    def verify_password(self, token: SecretStr, password: SecretStr) -> None:
        """Re-authenticate the token's user with their password only; raise on any error body.

        The challenge answers are not sent here: a captcha answer is spent when verified, and the token
        unlock is the call that needs it. The answer's ``SecondFactorValidationToken`` is another
        credential that nothing here needs: it is neither returned nor kept.
        """
        self._token_call("PUT", REAUTH_PATH, token, {"password": password.get_secret_value()}, write=False)

    def account(self, token: SecretStr, wanted: frozenset[str]) -> Account:
        """The token's user (Auth Read all Profiles by Token) and, when ``wanted``, their roles."""
        profile = self._token_call("GET", PROFILE_PATH, token, None, write=False)
        uid = path_segment(str(profile.get("Uid", "")), UID, "Uid returned by LoginRadius")
        roles = self._roles(uid) if ROLES in wanted else None
        return policy_account(profile, uid, roles)

    def _roles(self, uid: str) -> tuple[str, ...] | None:
        url = f"{self.api}{ACCOUNT_PATH}/{uid}/role"
        response = self.http.request("GET", url, headers=admin_headers(self.config))
        answer = json_body(response)
        if not response.ok or answer.get("ErrorCode") is not None:
            raise error_for(response, answer, uid)
        return roles_of(answer)

    def unlock_with_token(self, token: SecretStr, answers: ChallengeAnswers) -> VendorResult:
        """Unlock the token's user with the challenge answers (their only use); Block/Suspend are refused."""
        body: dict[str, Any] = answers.captcha_fields()
        if answers.security_answer:
            body["securityanswer"] = answers.security_answers()
        answer = self._token_call("PUT", SELF_UNLOCK_PATH, token, body, write=True)
        if answer.get("IsPosted") is not True:
            raise PermanentError("unlock_not_confirmed", "LoginRadius did not answer IsPosted true to the token unlock")
        return VendorResult(actions=["auth.account.unlock"], message="account unlocked by the user (access token)")

    def _token_call(
        self, method: str, path: str, token: SecretStr, body: dict[str, Any] | None, *, write: bool
    ) -> dict[str, Any]:
        """The user's token as Bearer and the API key as ``apikey``; never the API secret."""
        value = token.get_secret_value()
        if not ACCESS_TOKEN.fullmatch(value):
            raise PermanentError("token_invalid", "the access token is not well-formed")  # never echo it
        headers = {"Authorization": f"Bearer {value}"} | ({"Content-Type": JSON} if body is not None else {})
        if self.config.prevent_webhook:
            headers[PREVENT_WEBHOOK_HEADER] = "true"
        response = self.http.request(
            method, f"{self.api}{path}", params={"apikey": self.config.api_key}, headers=headers, json=body, write=write
        )
        answer = json_body(response)
        if response.ok and answer.get("ErrorCode") is None:
            return answer
        error = error_for(response, answer, None, SELF_SERVICE_REASONS)
        if response.status_code == 401 and answer.get("ErrorCode") is None:
            # A bare 401 to a call authenticated by the user's token: the token is what was refused.
            error = PermanentError("token_invalid", error.message)
        raise with_lock_time(error, answer)


def with_lock_time(error: UnlockError, body: dict[str, Any]) -> UnlockError:
    """``error``, naming the end of a suspension (1198 ``Data.LoginLockedTimeout``) when given."""
    data = body.get("Data")
    until = data.get("LoginLockedTimeout") if isinstance(data, dict) else None
    if isinstance(until, str) and LOCKED_UNTIL.fullmatch(until):
        error.message = f"{error.message} (locked until {until})"
        error.args = (error.message,)
    return error
