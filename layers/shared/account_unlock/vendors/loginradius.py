"""LoginRadius: helpdesk (server-side) unlock through the Account API, exactly once.

Every call follows LoginRadius's API pages (base ``https://api.loginradius.com``, every path under
``/identity/v2``):

- the profile: ``GET /identity/v2/manage/account?email=…`` / ``?userName=…`` (Account Profiles by Email,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-profiles-by-email/ ; Account
  Profiles by User Name, …/account/account-profiles-by-user-name/), or for a ``user.id``
  ``GET /identity/v2/manage/account/{uid}`` (Account Profiles by UID,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-profiles-by-uid/). Its
  ``IsLoginLocked`` (and ``IsActive``) is the state the write reads first: a user who is not locked gets
  no write at all;
- the write: ``PUT /identity/v2/manage/account/{uid}`` with ``{"IsLoginLocked": false}`` (Account Update,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-update/), sent through
  ``steps.once("loginradius.unlock", …)`` with ``write=True``. ``"IsActive": true`` also lifts a *Block*
  lockout (Auth Security, https://www.loginradius.com/docs/api/v2/admin-console/platform-security/auth-security-configuration/),
  but only when the connection allows it (``lift_block``): an inactive account may have been blocked on purpose;
- credentials: ``X-LoginRadius-ApiKey`` / ``X-LoginRadius-ApiSecret`` headers, never the URL (API Security,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/api-security/).

Self-service (``account_unlock.self_service``) makes two calls with the locked user's own access token
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

Error codes and their HTTP statuses: Customer Identity API Codes,
https://www.loginradius.com/docs/api/v2/getting-started/response-codes/customer-identity-api-codes/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from pydantic import Field, SecretStr, field_validator

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import VendorHttp, classify_status, json_body, retry_after
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Steps, Write
from account_unlock.validation import filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

API_ROOT = "https://api.loginradius.com"
API_PREFIX = "/identity/v2"  # every Identity API path starts here; base_url may or may not include it
ACCOUNT_PATH = "/manage/account"
REAUTH_PATH = "/auth/account/reauth/password"  # Step-Up Authenticate by Password ("Verify Password")
SELF_UNLOCK_PATH = "/auth/account/unlock"  # Auth Unlock Account by Access Token ("Unlock User")
UNLOCK_STEP = "loginradius.unlock"
PREVENT_WEBHOOK_HEADER = "X-PreventWebhook"
API_KEY_HEADER = "X-LoginRadius-ApiKey"
API_SECRET_HEADER = "X-LoginRadius-ApiSecret"  # noqa: S105 - a header name
JSON = "application/json"
# LoginRadius UIDs are 32 hex characters; accept a little more (other letters, dashes) in case a
# tenant's ids differ, but nothing that could leave the path segment.
UID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Credentials go into HTTP headers: visible ASCII only, so no value can inject a header line.
HEADER_VALUE = re.compile(r"^[\x21-\x7e]{1,512}$")
# How each kind of user reference is looked up (query parameter of GET /identity/v2/manage/account).
LOOKUP_PARAMS = {"email": "email", "username": "userName"}

# ErrorCode values (Customer Identity API Codes). 950 is "unknown error, please try again".
TRANSIENT_CODES = {950}
PERMANENT_REASONS = {
    901: "bad_credentials",  # API key unauthorized
    902: "bad_credentials",  # API secret unauthorized
    905: "bad_credentials",  # access token invalid
    906: "bad_credentials",  # access token expired
    908: "bad_request",  # parameter badly formatted
    1079: "bad_request",  # PUT body invalid or empty
    938: "user_not_found",  # user does not exist (HTTP 403)
    991: "account_blocked",
    1132: "account_locked",  # captcha lockout
    1148: "account_locked",  # security-question lockout
    1198: "account_locked",  # suspended
}
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


class LoginRadiusConfig(ConnectionConfig):
    vendor: Literal["loginradius"]
    api_key: str = Field(pattern=HEADER_VALUE.pattern)
    api_secret: SecretStr
    base_url: str | None = Field(default=None, description="API root for a custom domain, with or without /identity/v2")
    lift_block: bool = Field(default=False, description='Also send "IsActive": true to lift Block-type lockouts')
    self_service_enabled: bool = Field(
        default=False, description="Serve POST /self-service/{connection}/unlock for this connection (opt-in)"
    )
    self_service_requires_password: bool = Field(
        default=True, description="Re-verify the password (Step-Up Authenticate by Password) before the token unlock"
    )
    prevent_webhook: bool = Field(default=False, description="Send X-PreventWebhook: true on the self-service calls")

    @field_validator("api_secret")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        if not HEADER_VALUE.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-512 visible ASCII characters")  # never echo the value
        return value


def identity_api(base_url: str | None) -> str:
    """``<root>/identity/v2`` from a base URL given with or without ``/identity/v2`` (and a trailing slash).

    Any other path, or credentials in the URL, is refused: the paths would otherwise be doubled or
    sent somewhere else without anyone noticing.
    """
    parts = urlsplit(secure_base_url(base_url or API_ROOT, "base_url"))
    if parts.username is not None or parts.password is not None:
        raise PermanentError("config_invalid", "connection field base_url must not contain credentials")
    if parts.path not in ("", API_PREFIX):
        raise PermanentError(
            "config_invalid",
            f"connection field base_url must be the API root (such as {API_ROOT}), "
            f"optionally ending in {API_PREFIX}; it has another path",
        )
    return f"{parts.scheme}://{parts.netloc}{API_PREFIX}"


@dataclass(frozen=True)
class ChallengeAnswers:
    """What the user answered to the bot-protection and security-question challenges.

    Security answers are secrets like the password; ``repr`` shows which answers are present only.
    """

    g_recaptcha_response: str | None = None
    qq_captcha_ticket: str | None = None
    qq_captcha_randstr: str | None = None
    h_captcha_response: str | None = None
    security_answer: Mapping[str, SecretStr] = field(default_factory=dict)

    def captcha_fields(self) -> dict[str, str]:
        """The captcha answers under LoginRadius's body field names, only those given."""
        fields = {
            "g-recaptcha-response": self.g_recaptcha_response,
            "qq_captcha_ticket": self.qq_captcha_ticket,
            "qq_captcha_randstr": self.qq_captcha_randstr,
            "h-captcha-response": self.h_captcha_response,
        }
        return {name: value for name, value in fields.items() if value}

    def security_answers(self) -> dict[str, str]:
        return {question: answer.get_secret_value() for question, answer in self.security_answer.items()}

    def __repr__(self) -> str:
        given = [*self.captcha_fields(), *(["security_answer"] if self.security_answer else [])]
        return f"ChallengeAnswers(given={given})"


class LoginRadiusConnector(Connector):
    vendor = "loginradius"
    config_model = LoginRadiusConfig

    def __init__(self, config: LoginRadiusConfig) -> None:
        super().__init__(config)
        self.api = identity_api(config.base_url)
        # The self-service calls answer a user who is waiting: no retries (a 429/5xx is answered at once
        # with the vendor's Retry-After, and the user's next click is the retry) and a short read timeout.
        self.self_service_http = VendorHttp(self.vendor, retries=0, read_timeout=5.0)

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        uid, profile = self._profile(request.user)
        written = steps.once(UNLOCK_STEP, lambda: self._unlock(uid, profile))
        if profile.get("IsActive") is False and not self.config.lift_block:
            done = "login lock cleared" if written.done else "not login-locked"
            raise PermanentError(
                "account_blocked",
                f"LoginRadius account {done}, but it is blocked (IsActive false) and the connection does not "
                "allow lifting blocks (lift_block)",
                vendor_reference=uid,
            )
        if not written.done:
            return VendorResult(
                vendor_reference=uid, message="already unlocked: LoginRadius reports IsLoginLocked false"
            )
        actions = ["account.update:IsLoginLocked=false"]
        if self.config.lift_block:
            actions.append("account.update:IsActive=true")
        message = "account unlocked and block lifted" if self.config.lift_block else "account unlocked"
        return VendorResult(vendor_reference=uid, actions=actions, message=message)

    def _profile(self, user: UserRef) -> tuple[str, dict[str, Any]]:
        """The UID and the profile it was read from (by UID, e-mail or user name)."""
        if user.kind == "id":
            uid = path_segment(user.value, UID, "user.id")
            return uid, self._call("GET", f"{self.api}{ACCOUNT_PATH}/{uid}", uid=uid)
        if user.kind == "login_id":
            param = "email" if "@" in user.value else "userName"
        elif user.kind in LOOKUP_PARAMS:
            param = LOOKUP_PARAMS[user.kind]
        else:
            raise PermanentError("unsupported_identifier", f"LoginRadius cannot unlock by {user.kind}")
        value = filter_value(user.value, f"user.{user.kind}")
        profile = self._call("GET", f"{self.api}{ACCOUNT_PATH}", params={param: value})
        returned = profile.get("Uid")
        if not returned:
            raise PermanentError("user_not_found", f"LoginRadius returned no profile for that {param}")
        return path_segment(str(returned), UID, "Uid returned by LoginRadius"), profile

    def _unlock(self, uid: str, profile: dict[str, Any]) -> Write:
        """The Account Update, only when the profile just read shows something to lift."""
        locked = profile.get("IsLoginLocked") is not False  # absent or unexpected: unlock, to be safe
        inactive = self.config.lift_block and profile.get("IsActive") is False
        if not (locked or inactive):
            return Write(done=False, reference=uid)
        update = {"IsLoginLocked": False} | ({"IsActive": True} if self.config.lift_block else {})
        url = f"{self.api}{ACCOUNT_PATH}/{uid}"
        answer = self._call("PUT", url, uid=uid, json=update, headers={"Content-Type": JSON}, write=True)
        self._confirm(answer, uid)
        return Write(done=True, reference=uid)

    def _confirm(self, profile: dict[str, Any], uid: str) -> None:
        """The profile the update returned must no longer be locked (nor inactive, when lifting blocks)."""
        if profile.get("IsLoginLocked") is True:
            raise PermanentError(
                "unlock_not_confirmed",
                "LoginRadius still reports IsLoginLocked true after the update",
                vendor_reference=uid,
            )
        if self.config.lift_block and profile.get("IsActive") is False:
            raise PermanentError(
                "unlock_not_confirmed",
                "LoginRadius still reports IsActive false after the update",
                vendor_reference=uid,
            )

    def _call(
        self,
        method: str,
        url: str,
        *,
        uid: str | None = None,
        headers: dict[str, str] | None = None,
        write: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send one authenticated request; return the JSON body of a success, raise on any error body."""
        auth = {
            API_KEY_HEADER: self.config.api_key,
            API_SECRET_HEADER: self.config.api_secret.get_secret_value(),
            **(headers or {}),
        }
        response = self.http.request(method, url, headers=auth, write=write, **kwargs)
        body = json_body(response)
        if not response.ok or body.get("ErrorCode") is not None:
            raise self._error(response, body, uid)
        return body

    # self-service: calls made with the locked-out user's own access token --------------------------
    def verify_password(self, token: SecretStr, password: SecretStr) -> None:
        """Re-authenticate the token's user with their password only; raise on any error body.

        The challenge answers are not sent here: a captcha answer is spent when verified, and the token
        unlock is the call that needs it. The answer's ``SecondFactorValidationToken`` is another
        credential that nothing here needs: it is neither returned nor kept.
        """
        self._token_call(REAUTH_PATH, token, {"password": password.get_secret_value()}, write=False)

    def unlock_with_token(self, token: SecretStr, answers: ChallengeAnswers) -> VendorResult:
        """Unlock the token's user with the challenge answers (their only use); Block/Suspend are refused."""
        body: dict[str, Any] = answers.captcha_fields()
        if answers.security_answer:
            body["securityanswer"] = answers.security_answers()
        answer = self._token_call(SELF_UNLOCK_PATH, token, body, write=True)
        if answer.get("IsPosted") is not True:
            raise PermanentError("unlock_not_confirmed", "LoginRadius did not answer IsPosted true to the token unlock")
        return VendorResult(actions=["auth.account.unlock"], message="account unlocked by the user (access token)")

    def _token_call(self, path: str, token: SecretStr, body: dict[str, Any], *, write: bool) -> dict[str, Any]:
        """PUT with the user's token as Bearer and the API key as ``apikey``; never the API secret."""
        value = token.get_secret_value()
        if not ACCESS_TOKEN.fullmatch(value):
            raise PermanentError("token_invalid", "the access token is not well-formed")  # never echo it
        headers = {"Authorization": f"Bearer {value}", "Content-Type": JSON}
        if self.config.prevent_webhook:
            headers[PREVENT_WEBHOOK_HEADER] = "true"
        response = self.self_service_http.request(
            "PUT", f"{self.api}{path}", params={"apikey": self.config.api_key}, headers=headers, json=body, write=write
        )
        answer = json_body(response)
        if response.ok and answer.get("ErrorCode") is None:
            return answer
        error = self._error(response, answer, None, SELF_SERVICE_REASONS)
        if response.status_code == 401 and answer.get("ErrorCode") is None:
            # A bare 401 to a call authenticated by the user's token: the token is what was refused.
            error = PermanentError("token_invalid", error.message)
        raise with_lock_time(error, answer)

    def _error(
        self,
        response: requests.Response,
        body: dict[str, Any],
        uid: str | None,
        reasons: Mapping[int, str] = PERMANENT_REASONS,
    ) -> UnlockError:
        raw = body.get("ErrorCode")
        code = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
        message = body.get("Message") or response.reason or "error"
        detail = f"{code}: {message}" if code is not None else str(message)
        if code in TRANSIENT_CODES:
            return TransientError(
                "vendor_unavailable", f"LoginRadius {detail}", vendor_reference=uid, retry_after=retry_after(response)
            )
        status = response.status_code
        if status < 500 and status != 429 and code is not None and code in reasons:
            return PermanentError(reasons[code], f"LoginRadius {detail}", vendor_reference=uid)
        error = classify_status(response, "LoginRadius", detail)
        error.vendor_reference = uid
        return error


def with_lock_time(error: UnlockError, body: dict[str, Any]) -> UnlockError:
    """``error``, naming the end of a suspension (1198 ``Data.LoginLockedTimeout``) when given."""
    data = body.get("Data")
    until = data.get("LoginLockedTimeout") if isinstance(data, dict) else None
    if isinstance(until, str) and LOCKED_UNTIL.fullmatch(until):
        error.message = f"{error.message} (locked until {until})"
        error.args = (error.message,)
    return error
