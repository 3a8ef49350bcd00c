"""LoginRadius: helpdesk (server-side) unlock through the Account Update API.

reference/vendors.md: the UID is found with ``GET /identity/v2/manage/account?email=…`` (or
``userName=…``), then ``PUT /identity/v2/manage/account/{uid}`` with ``{"IsLoginLocked": false}``
clears the login lock; ``"IsActive": true`` lifts a *Block*-type lockout as well, but only when the
connection allows it (``lift_block``), because an inactive account may have been blocked on purpose.
The API key and secret travel in the ``X-LoginRadius-ApiKey`` / ``X-LoginRadius-ApiSecret`` headers,
never in a URL.

Self-service (``account_unlock.self_service``): the token unlock of seed 000 and the password
re-verification of seed 003 need the locked user's own access token, so they are not part of the
helpdesk ``unlock``. ``verify_password`` and ``unlock_with_token`` send that token as
``Authorization: Bearer`` (never in the URL, although the seeds' curl shows ``access_token=``), the
API key as the ``apikey`` query parameter, and never the API secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr, field_validator

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import VendorHttp, classify_status, json_body, retry_after
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.validation import filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import ConnectionConfig, Connector, VendorResult

API_ROOT = "https://api.loginradius.com"
ACCOUNT_PATH = "/identity/v2/manage/account"
REAUTH_PATH = "/identity/v2/auth/account/reauth/password"  # seed 003, Verify Password
SELF_UNLOCK_PATH = "/identity/v2/auth/account/unlock"  # seed 000, Unlock User by access token
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

# ErrorCode values (docs ``customer-identity-api-codes``). 950 is "unknown error, try again".
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
}
# A user access token goes into a header: RFC 6750 b64token characters only (LoginRadius uses UUIDs).
ACCESS_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]{8,512}=*$")
# Data.LoginLockedTimeout of a 1198 answer, quoted in the audit message only if it looks like a time.
LOCKED_UNTIL = re.compile(r"^[0-9T:.+\- Z]{10,40}$")


class LoginRadiusConfig(ConnectionConfig):
    vendor: Literal["loginradius"]
    api_key: str = Field(pattern=HEADER_VALUE.pattern)
    api_secret: SecretStr
    base_url: str | None = Field(default=None, description="API root override for custom domains")
    lift_block: bool = Field(default=False, description='Also send "IsActive": true to lift Block-type lockouts')
    self_service_enabled: bool = Field(
        default=False, description="Serve POST /self-service/{connection}/unlock for this connection (opt-in)"
    )
    self_service_requires_password: bool = Field(
        default=True, description="Re-verify the password (seed 003) before the token unlock"
    )
    prevent_webhook: bool = Field(default=False, description="Send X-PreventWebhook: true on the self-service calls")

    @field_validator("api_secret")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        if not HEADER_VALUE.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-512 visible ASCII characters")  # never echo the value
        return value


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
        self.api = secure_base_url(config.base_url or API_ROOT, "base_url")
        # The self-service calls answer a user who is waiting: no retries (a 429/5xx is answered at once
        # with the vendor's Retry-After, and the user's next click is the retry) and a short read timeout.
        self.self_service_http = VendorHttp(self.vendor, retries=0, read_timeout=5.0)

    def unlock(self, request: UnlockRequest) -> VendorResult:
        uid = self._uid(request.user)
        update: dict[str, bool] = {"IsLoginLocked": False}
        actions = ["account.update:IsLoginLocked=false"]
        if self.config.lift_block:
            update["IsActive"] = True
            actions.append("account.update:IsActive=true")
        profile = self._call(
            "PUT", f"{self.api}{ACCOUNT_PATH}/{uid}", uid=uid, json=update, headers={"Content-Type": JSON}
        )
        return VendorResult(vendor_reference=uid, actions=actions, message=self._confirm(profile, uid))

    def _uid(self, user: UserRef) -> str:
        if user.kind == "id":
            return path_segment(user.value, UID, "user.id")
        if user.kind == "login_id":
            param = "email" if "@" in user.value else "userName"
        elif user.kind in LOOKUP_PARAMS:
            param = LOOKUP_PARAMS[user.kind]
        else:
            raise PermanentError("unsupported_identifier", f"LoginRadius cannot unlock by {user.kind}")
        value = filter_value(user.value, f"user.{user.kind}")
        profile = self._call("GET", f"{self.api}{ACCOUNT_PATH}", params={param: value})
        uid = profile.get("Uid")
        if not uid:
            raise PermanentError("user_not_found", f"LoginRadius returned no profile for that {param}")
        return path_segment(str(uid), UID, "Uid returned by LoginRadius")

    def _confirm(self, profile: dict[str, Any], uid: str) -> str:
        """Check the profile the update returned; the account must no longer be locked."""
        if profile.get("IsLoginLocked") is True:
            raise PermanentError(
                "unlock_not_confirmed",
                "LoginRadius still reports IsLoginLocked true after the update",
                vendor_reference=uid,
            )
        if profile.get("IsActive") is False:
            if self.config.lift_block:
                raise PermanentError(
                    "unlock_not_confirmed",
                    "LoginRadius still reports IsActive false after the update",
                    vendor_reference=uid,
                )
            raise PermanentError(
                "account_blocked",
                "LoginRadius login lock cleared, but the account is blocked (IsActive false) and the connection "
                "does not allow lifting blocks (lift_block)",
                vendor_reference=uid,
            )
        if "IsLoginLocked" not in profile:
            return "account unlocked (LoginRadius did not return IsLoginLocked to confirm it)"
        return "account unlocked and block lifted" if self.config.lift_block else "account unlocked"

    def _call(
        self, method: str, url: str, *, uid: str | None = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Send one authenticated request; return the JSON body of a success, raise on any error body."""
        auth = {
            API_KEY_HEADER: self.config.api_key,
            API_SECRET_HEADER: self.config.api_secret.get_secret_value(),
            **(headers or {}),
        }
        response = self.http.request(method, url, headers=auth, **kwargs)
        body = json_body(response)
        if not response.ok or body.get("ErrorCode") is not None:
            raise self._error(response, body, uid)
        return body

    # self-service: calls made with the locked-out user's own access token --------------------------
    def verify_password(self, token: SecretStr, password: SecretStr, answers: ChallengeAnswers) -> None:
        """Re-authenticate the token's user with their password (seed 003); raise on any error body.

        The answer's ``SecondFactorValidationToken`` is another credential that nothing here needs:
        it is neither returned nor kept.
        """
        body: dict[str, Any] = {"password": password.get_secret_value()}
        if answers.security_answer:
            body["SecurityAnswer"] = answers.security_answers()
        body |= answers.captcha_fields()
        self._token_call(REAUTH_PATH, token, body)

    def unlock_with_token(self, token: SecretStr, answers: ChallengeAnswers) -> VendorResult:
        """Unlock the token's user (seed 000) with the challenge answers only; Block/Suspend are refused."""
        body: dict[str, Any] = answers.captcha_fields()
        if answers.security_answer:
            body["securityanswer"] = answers.security_answers()
        answer = self._token_call(SELF_UNLOCK_PATH, token, body)
        if answer.get("IsPosted") is not True:
            raise PermanentError("unlock_not_confirmed", "LoginRadius did not answer IsPosted true to the token unlock")
        return VendorResult(actions=["auth.account.unlock"], message="account unlocked by the user (access token)")

    def _token_call(self, path: str, token: SecretStr, body: dict[str, Any]) -> dict[str, Any]:
        """PUT with the user's token as Bearer and the API key as ``apikey``; never the API secret."""
        value = token.get_secret_value()
        if not ACCESS_TOKEN.fullmatch(value):
            raise PermanentError("token_invalid", "the access token is not well-formed")  # never echo it
        headers = {"Authorization": f"Bearer {value}", "Content-Type": JSON}
        if self.config.prevent_webhook:
            headers[PREVENT_WEBHOOK_HEADER] = "true"
        response = self.self_service_http.request(
            "PUT", f"{self.api}{path}", params={"apikey": self.config.api_key}, headers=headers, json=body
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
        if status < 500 and status != 429 and code in reasons:
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
