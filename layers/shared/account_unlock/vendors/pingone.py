"""PingOne: account unlock, and password unlock when failed sign-ins locked the password.

Seed 002 and reference/vendors.md: client-credentials token from ``auth.pingone.<tld>``, user
look-up by ``filter=username eq "…"`` or ``email eq "…"``, then ``POST /environments/{env}/users/{id}``
with the ``account.unlock`` media type. Failed-password lockouts lock the *password*, so the
password state is read and unlocked as well when it says ``LOCKED``.
"""

from __future__ import annotations

from typing import Any, Literal

import requests
from pydantic import Field, SecretStr

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import classify_status, json_body, retry_after
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.tokens import TokenCache, bearer_request
from account_unlock.validation import UUID, filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import ConnectionConfig, Connector, VendorResult

ACCOUNT_UNLOCK = "application/vnd.pingidentity.account.unlock+json"
PASSWORD_UNLOCK = "application/vnd.pingidentity.password.unlock+json"  # noqa: S105 - a media type
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
    base_url: str | None = Field(default=None, description="API root override, e.g. https://api.pingone.eu/v1")
    auth_url: str | None = Field(default=None, description="Auth root override, e.g. https://auth.pingone.eu")
    unlock_password: bool = True


class PingOneConnector(Connector):
    vendor = "pingone"
    config_model = PingOneConfig

    def __init__(self, config: PingOneConfig) -> None:
        super().__init__(config)
        self.api = secure_base_url(config.base_url or f"https://api.pingone.{config.region}/v1", "base_url")
        self.auth = secure_base_url(config.auth_url or f"https://auth.pingone.{config.region}", "auth_url")
        self.env = path_segment(config.environment_id, UUID, "environment_id")
        self.tokens = TokenCache(self._fetch_token)

    def unlock(self, request: UnlockRequest) -> VendorResult:
        user_id = self._user_id(request.user)
        users_url = f"{self.api}/environments/{self.env}/users/{user_id}"
        self._call("POST", users_url, headers={"Content-Type": ACCOUNT_UNLOCK})
        actions = ["account.unlock"]
        if self.config.unlock_password:
            password = json_body(self._call("GET", f"{users_url}/password"))
            if password.get("status") == "LOCKED":
                self._call("POST", f"{users_url}/password", headers={"Content-Type": PASSWORD_UNLOCK})
                actions.append("password.unlock")
        return VendorResult(vendor_reference=user_id, actions=actions)

    def _user_id(self, user: UserRef) -> str:
        if user.kind == "id":
            return path_segment(user.value, UUID, "user.id")
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
        return path_segment(str(users[0].get("id", "")), UUID, "user id returned by PingOne")

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
