"""LoginRadius: helpdesk (server-side) unlock through the Account Update API.

reference/vendors.md: the UID is found with ``GET /identity/v2/manage/account?email=…`` (or
``userName=…``), then ``PUT /identity/v2/manage/account/{uid}`` with ``{"IsLoginLocked": false}``
clears the login lock; ``"IsActive": true`` lifts a *Block*-type lockout as well, but only when the
connection allows it (``lift_block``), because an inactive account may have been blocked on purpose.
The API key and secret travel in the ``X-LoginRadius-ApiKey`` / ``X-LoginRadius-ApiSecret`` headers,
never in a URL. The token unlock of seed 000 needs the locked user's own access token: it belongs to
the self-service flow, not to this connector's helpdesk unlock.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr, field_validator

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import classify_status, json_body, retry_after
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.validation import filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import ConnectionConfig, Connector, VendorResult

API_ROOT = "https://api.loginradius.com"
ACCOUNT_PATH = "/identity/v2/manage/account"
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


class LoginRadiusConfig(ConnectionConfig):
    vendor: Literal["loginradius"]
    api_key: str = Field(pattern=HEADER_VALUE.pattern)
    api_secret: SecretStr
    base_url: str | None = Field(default=None, description="API root override for custom domains")
    lift_block: bool = Field(default=False, description='Also send "IsActive": true to lift Block-type lockouts')

    @field_validator("api_secret")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        if not HEADER_VALUE.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-512 visible ASCII characters")  # never echo the value
        return value


class LoginRadiusConnector(Connector):
    vendor = "loginradius"
    config_model = LoginRadiusConfig

    def __init__(self, config: LoginRadiusConfig) -> None:
        super().__init__(config)
        self.api = secure_base_url(config.base_url or API_ROOT, "base_url")

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

    def _error(self, response: requests.Response, body: dict[str, Any], uid: str | None) -> UnlockError:
        raw = body.get("ErrorCode")
        code = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
        message = body.get("Message") or response.reason or "error"
        detail = f"{code}: {message}" if code is not None else str(message)
        if code in TRANSIENT_CODES:
            return TransientError(
                "vendor_unavailable", f"LoginRadius {detail}", vendor_reference=uid, retry_after=retry_after(response)
            )
        status = response.status_code
        if status < 500 and status != 429 and code in PERMANENT_REASONS:
            return PermanentError(PERMANENT_REASONS[code], f"LoginRadius {detail}", vendor_reference=uid)
        error = classify_status(response, "LoginRadius", detail)
        error.vendor_reference = uid
        return error
