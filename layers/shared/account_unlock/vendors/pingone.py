"""PingOne: password unlock and account unlock, each only when PingOne reports it locked.

PingOne Platform APIs (https://developer.pingidentity.com/pingone-api/platform/):
- token: client credentials at ``auth.pingone.<tld>/{envID}/as/token``;
- the user: "Read User by ID" (``users/users-1/read-one-user.html``) or "Read All Users" with
  ``filter=username eq "…"`` / ``email eq "…"``; both answer the user with ``account.status``
  (``LOCKED`` or ``OK``, "User Accounts" data model, ``users/user-accounts.html``) and
  ``identityProvider.type``;
- the password: "Read Password State" (``users/user-passwords/read-password-state.html``) answers
  ``status`` ∈ ``OK, NO_PASSWORD, PASSWORD_EXPIRED, PASSWORD_LOCKED_OUT, MUST_CHANGE_PASSWORD,
  EXTERNAL`` ("User Passwords", ``users/user-passwords.html``); failed sign-ins give
  ``PASSWORD_LOCKED_OUT``. "Password Unlock" (``users/user-passwords/password-unlock.html``) clears
  it, and also unlocks the account when the password lockout was the account's only lock;
- the account: "User Account Unlock" (``users/user-accounts/user-account-unlock.html``) answers 200
  with the user, ``account.status`` back to ``OK``.

The password comes first, then the user is read again, so the account unlock is sent only if the
account is still locked. Users of an authoritative identity provider (``identityProvider.type`` other
than ``PING_ONE``) have no PingOne password to unlock: password operations answer ``REQUEST_FAILED``,
and that never turns a successful account unlock into a failure.

For a connection policy (``Steps.admit``) the user read gives ``population.id`` (``population``); a
policy naming ``group`` has the user read by id with ``include=memberOfGroupIDs`` ("Read User by ID"
lists ``memberOfGroupIDs`` among its ``include`` values; "Read All Group IDs for User",
``users/group-membership/read-all-group-ids-for-user.html``): for a username or e-mail look-up that is
one more read. The group membership needs the Identity Data Admin role ("Read User by ID"); a user
answered without ``memberOfGroupIDs`` cannot be checked and is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import classify_status, json_body, retry_after
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Account, Steps, Write, values
from account_unlock.tokens import TokenCache, bearer_request
from account_unlock.validation import UUID, api_root, filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

ACCOUNT_UNLOCK = "application/vnd.pingidentity.account.unlock+json"
PASSWORD_UNLOCK = "application/vnd.pingidentity.password.unlock+json"  # noqa: S105 - a media type
ACCOUNT_OK = "OK"
PASSWORD_LOCKED_OUT = "PASSWORD_LOCKED_OUT"  # noqa: S105 - a status value
PING_ONE_IDP = "PING_ONE"
REQUEST_FAILED = "REQUEST_FAILED"  # a password operation on the user of an external identity provider
GROUPS = "group"  # the policy attribute of the user's group ids (memberOfGroupIDs)
TRANSIENT_CODES = {"UNEXPECTED_ERROR", "REQUEST_LIMITED"}
PERMANENT_REASONS = {
    "NOT_FOUND": "user_not_found",
    "INVALID_DATA": "bad_request",
    "INVALID_REQUEST": "bad_request",
    "ACCESS_FAILED": "forbidden",
    "REQUEST_FAILED": "bad_request",
}
Region = Literal["com", "eu", "ca", "com.au", "sg", "asia"]


class PingOneConfig(ConnectionConfig):
    vendor: Literal["pingone"]
    environment_id: str = Field(pattern=UUID.pattern)
    client_id: str = Field(min_length=1, max_length=256)
    client_secret: SecretStr = Field(min_length=1)
    region: Region = "com"
    client_auth: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    base_url: str | None = Field(default=None, description="API root override, with or without /v1")
    auth_url: str | None = Field(default=None, description="Auth root override, e.g. https://auth.pingone.eu")
    unlock_password: bool = True


class PingOneConnector(Connector):
    vendor = "pingone"
    config_model = PingOneConfig
    policy_attributes = r"population|group"

    def __init__(self, config: PingOneConfig) -> None:
        super().__init__(config)
        self.api = api_root(config.base_url or f"https://api.pingone.{config.region}", "base_url", "/v1")
        self.auth = secure_base_url(config.auth_url or f"https://auth.pingone.{config.region}", "auth_url")
        self.env = path_segment(config.environment_id, UUID, "environment_id")
        self.tokens = TokenCache(self._fetch_token)

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        groups = GROUPS in steps.wanted()
        user = self._find_user(request.user, groups=groups)
        user_id = path_segment(str(user.get("id", "")), UUID, "user id returned by PingOne")
        users_url = f"{self.api}/environments/{self.env}/users/{user_id}"
        if groups and request.user.kind != "id":  # Read All Users does not document include=memberOfGroupIDs
            user = json_body(self._call("GET", users_url, params={"include": "memberOfGroupIDs"}))
        steps.admit(policy_account(user, groups=groups))
        actions: list[str] = []
        notes: list[str] = []
        if self.config.unlock_password:
            if user.get("identityProvider", {}).get("type", PING_ONE_IDP) != PING_ONE_IDP:
                notes.append("password managed by an external identity provider: not touched")
            else:
                locked = self._password_locked(users_url, notes)
                if steps.once(
                    "pingone.password.unlock", lambda: self._unlock_password(users_url, notes), pending=locked
                ).done:
                    actions.append("password.unlock")
                    user = json_body(self._call("GET", users_url))  # the password unlock may have unlocked the account
        account_locked = user.get("account", {}).get("status") != ACCOUNT_OK
        if steps.once("pingone.account.unlock", lambda: self._unlock_account(users_url), pending=account_locked).done:
            actions.append("account.unlock")
        message = "account unlocked" if actions else "PingOne reported nothing locked: no write"
        return VendorResult(vendor_reference=user_id, actions=actions, message="; ".join([message, *notes]))

    def _password_locked(self, users_url: str, notes: list[str]) -> bool:
        state = self._password_call(lambda: self._call("GET", f"{users_url}/password"), notes)
        return state is not None and json_body(state).get("status") == PASSWORD_LOCKED_OUT

    def _unlock_password(self, users_url: str, notes: list[str]) -> Write:
        headers = {"Content-Type": PASSWORD_UNLOCK}
        answer = self._password_call(
            lambda: self._call("POST", f"{users_url}/password", headers=headers, write=True), notes
        )
        return Write(done=answer is not None)

    @staticmethod
    def _password_call(call: Callable[[], requests.Response], notes: list[str]) -> requests.Response | None:
        """None when PingOne refuses the password operation (``REQUEST_FAILED``): the password is left as it is."""
        try:
            return call()
        except PermanentError as exc:
            if exc.vendor_code != REQUEST_FAILED:
                raise
            notes.append("PingOne refused the password operation (REQUEST_FAILED): password not touched")
            return None

    def _unlock_account(self, users_url: str) -> Write:
        """Sent unless PingOne says ``OK``: an absent or unknown status is unlocked to be safe."""
        answer = json_body(self._call("POST", users_url, headers={"Content-Type": ACCOUNT_UNLOCK}, write=True))
        status = answer.get("account", {}).get("status")
        if status != ACCOUNT_OK:
            raise PermanentError(
                "unlock_not_confirmed", f"PingOne answered the account unlock with account.status {status!r}, not OK"
            )
        return Write(done=True)

    def _find_user(self, user: UserRef, *, groups: bool = False) -> dict[str, Any]:
        """The user object ("Read User by ID", with its group ids when ``groups``, or the one match of
        "Read All Users")."""
        if user.kind == "id":
            user_id = path_segment(user.value, UUID, "user.id")
            include = {"params": {"include": "memberOfGroupIDs"}} if groups else {}
            return json_body(self._call("GET", f"{self.api}/environments/{self.env}/users/{user_id}", **include))
        attribute = {"username": "username", "login_id": "username", "email": "email"}.get(user.kind)
        if attribute is None:
            raise PermanentError("unsupported_identifier", f"PingOne cannot unlock by {user.kind}")
        expression = f'{attribute} eq "{filter_value(user.value, "user." + user.kind)}"'
        response = self._call("GET", f"{self.api}/environments/{self.env}/users", params={"filter": expression})
        users = json_body(response).get("_embedded", {}).get("users", [])
        if not users:
            raise PermanentError("user_not_found", f"PingOne has no user with that {attribute}")
        if len(users) > 1:
            raise PermanentError("ambiguous_user", f"PingOne has {len(users)} users with that {attribute}")
        return users[0] if isinstance(users[0], dict) else {}

    def _call(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        response = bearer_request(self.http, self.tokens, method, url, headers=headers, **kwargs)
        if not response.ok:
            raise self._error(response)
        return response

    def _error(self, response: requests.Response) -> UnlockError:
        body = json_body(response)
        code = str(body.get("code", ""))
        details = ", ".join(str(d.get("code")) for d in body.get("details", []) if isinstance(d, dict))
        detail = f"{code or 'error'}: {body.get('message', response.reason)}" + (f" ({details})" if details else "")
        reference = str(body["id"]) if body.get("id") else None
        error = classify_status(response, "PingOne", detail)
        if code in TRANSIENT_CODES and not error.retryable:
            error = TransientError("vendor_unavailable", error.message, retry_after=retry_after(response))
        elif not error.retryable and code in PERMANENT_REASONS:
            error = PermanentError(PERMANENT_REASONS[code], error.message)
        error.vendor_reference = reference
        error.vendor_code = code or None
        return error

    def _fetch_token(self) -> tuple[str, float]:
        config = self.config
        data = {"grant_type": "client_credentials"}
        auth = None
        secret = config.client_secret.get_secret_value()
        if config.client_auth == "client_secret_basic":
            auth = (config.client_id, secret)
        else:
            data |= {"client_id": config.client_id, "client_secret": secret}
        response = self.http.request("POST", f"{self.auth}/{self.env}/as/token", data=data, auth=auth)
        body = json_body(response)
        if response.status_code in (400, 401):
            raise PermanentError(
                "bad_credentials", f"PingOne token request refused: {body.get('error', 'invalid_client')}"
            )
        if not response.ok or not isinstance(body.get("access_token"), str):
            raise classify_status(response, "PingOne", "token request failed")
        return body["access_token"], float(body.get("expires_in", 3600))


def policy_account(user: dict[str, Any], *, groups: bool) -> Account:
    """What the policy checks of a PingOne user: id, username, e-mail, population and, when read, groups."""
    population = user.get("population")
    attributes = {"population": values(population.get("id")) if isinstance(population, dict) else ()}
    if groups and isinstance(user.get("memberOfGroupIDs"), list):
        attributes[GROUPS] = values(user["memberOfGroupIDs"])
    return Account(
        ids=values(user.get("id")),
        usernames=values(user.get("username")),
        emails=values(user.get("email")),
        attributes=attributes,
    )
