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

The self-service calls, made with the locked user's own access token, are ``loginradius_portal``'s.

For a connection policy (``Steps.admit``) the profile gives ``Uid``, ``UserName`` and ``Email``; the
profile pages list no roles, so a policy naming ``role`` has them read with Roles by UID,
``GET /identity/v2/manage/account/{uid}/role`` → ``{"Roles": [...]}`` (Roles Management,
https://www.loginradius.com/docs/developer/api/roles-management/ ; "Retrieve Roles by UID" in the newer
reference, https://docs.demo.login2test.com/api-reference/roles-management/GetRolesByUid): one more read,
made only then.

Error codes and their HTTP statuses: Customer Identity API Codes,
https://www.loginradius.com/docs/api/v2/getting-started/response-codes/customer-identity-api-codes/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from pydantic import Field, SecretStr, field_validator

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import classify_status, json_body, retry_after
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Account, Steps, Write, values
from account_unlock.validation import filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

API_ROOT = "https://api.loginradius.com"
API_PREFIX = "/identity/v2"  # every Identity API path starts here; base_url may or may not include it
ACCOUNT_PATH = "/manage/account"
UNLOCK_STEP = "loginradius.unlock"
API_KEY_HEADER = "X-LoginRadius-ApiKey"
API_SECRET_HEADER = "X-LoginRadius-ApiSecret"  # noqa: S105 - a header name
JSON = "application/json"
# LoginRadius UIDs are 32 hex characters; accept a little more (other letters, dashes) in case a
# tenant's ids differ, but nothing that could leave the path segment.
UID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Credentials go into HTTP headers: visible ASCII only, so no value can inject a header line.
HEADER_VALUE = re.compile(r"^[\x21-\x7e]{1,512}$")
ROLES = "role"  # the policy attribute of the user's roles (Roles by UID)
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


class LoginRadiusConnector(Connector):
    vendor = "loginradius"
    config_model = LoginRadiusConfig
    policy_attributes = ROLES

    def __init__(self, config: LoginRadiusConfig) -> None:
        super().__init__(config)
        self.api = identity_api(config.base_url)

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        uid, profile = self._profile(request.user)
        roles = self._roles(uid) if ROLES in steps.wanted() else None
        steps.admit(policy_account(profile, uid, roles))
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

    def _roles(self, uid: str) -> tuple[str, ...] | None:
        """Roles by UID; ``None`` when the answer carries no ``Roles`` (then they cannot be checked)."""
        return roles_of(self._call("GET", f"{self.api}{ACCOUNT_PATH}/{uid}/role", uid=uid))

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
        auth = admin_headers(self.config) | (headers or {})
        response = self.http.request(method, url, headers=auth, write=write, **kwargs)
        body = json_body(response)
        if not response.ok or body.get("ErrorCode") is not None:
            raise error_for(response, body, uid)
        return body


def admin_headers(config: LoginRadiusConfig) -> dict[str, str]:
    """The API key and secret of the Account (manage) API, as headers (API Security)."""
    return {API_KEY_HEADER: config.api_key, API_SECRET_HEADER: config.api_secret.get_secret_value()}


def roles_of(answer: dict[str, Any]) -> tuple[str, ...] | None:
    """The role names of a Roles by UID answer (``"Roles": null`` is none); ``None`` without the field."""
    return values(answer["Roles"]) if "Roles" in answer else None


def policy_account(profile: dict[str, Any], uid: str, roles: tuple[str, ...] | None) -> Account:
    """What the policy checks of a LoginRadius profile: UID, user name, every e-mail and, when read, roles."""
    emails = profile.get("Email")
    emails = emails if isinstance(emails, list) else []
    return Account(
        ids=(uid,),
        usernames=values(profile.get("UserName")),
        emails=tuple(value for email in emails if isinstance(email, dict) for value in values(email.get("Value"))),
        attributes={} if roles is None else {ROLES: roles},
    )


def error_for(
    response: requests.Response,
    body: dict[str, Any],
    uid: str | None,
    reasons: Mapping[int, str] = PERMANENT_REASONS,
) -> UnlockError:
    """The error a LoginRadius error answer means; ``reasons`` maps its ErrorCode to a reason."""
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
