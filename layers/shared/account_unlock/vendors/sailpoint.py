"""SailPoint Identity Security Cloud (IdentityNow): submit an account-unlock task.

Seed 001 and reference/vendors.md: client-credentials token from ``{base}/oauth/token`` (or the
tenant's vanity ``tokenEndpoint``), account look-up by ``nativeIdentity`` (optionally within one
source), then ``POST /v3/accounts/{id}/unlock`` → 202 with the id of the asynchronous task. With
``confirm`` set, the account is re-read until ``locked`` is false, a bounded number of times.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr

from account_unlock.errors import PermanentError, UnlockError
from account_unlock.http import budget, classify_status, json_body
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.tokens import TokenCache, bearer_request
from account_unlock.validation import HEX32, filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import ConnectionConfig, Connector, VendorResult

# Every API path in one place: SailPoint is moving to per-service paths (``/accounts/v1/...``).
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
ACCOUNTS_PATH = "/v3/accounts"
ACCOUNT_PATH = "/v3/accounts/{id}"
UNLOCK_PATH = "/v3/accounts/{id}/unlock"

TENANT = r"^[a-z0-9][a-z0-9-]{0,62}$"
LOOKUP_LIMIT = 2  # two results are enough to tell "exactly one" from "ambiguous"
DEFAULT_TOKEN_LIFETIME = 749.0
STILL_LOCKED = "unlock task submitted; account still locked when last checked"


class SailPointConfig(ConnectionConfig):
    vendor: Literal["sailpoint"]
    tenant: str | None = Field(default=None, pattern=TENANT, description="https://{tenant}.api.identitynow.com")
    client_id: str = Field(min_length=1, max_length=256)
    client_secret: SecretStr = Field(min_length=1)
    source_id: str | None = Field(default=None, pattern=HEX32.pattern, description="Look accounts up in this source")
    unlock_idn_account: bool = False
    force_provisioning: bool = False
    send_external_verification_id: bool = True
    confirm: bool = False
    confirm_attempts: int = Field(default=3, ge=1, le=30)
    confirm_interval_seconds: float = Field(default=1.0, ge=0, le=30)
    base_url: str | None = Field(default=None, description="API root override, e.g. https://acme.api.identitynow.com")
    token_url: str | None = Field(default=None, description="Token endpoint override (vanity URL tokenEndpoint)")


class SailPointConnector(Connector):
    vendor = "sailpoint"
    config_model = SailPointConfig

    def __init__(self, config: SailPointConfig) -> None:
        super().__init__(config)
        if config.base_url is None and config.tenant is None:
            raise PermanentError("config_invalid", "connection field tenant (or base_url) is required")
        self.api = secure_base_url(config.base_url or f"https://{config.tenant}.api.identitynow.com", "base_url")
        self.token_url = secure_base_url(config.token_url or f"{self.api}{TOKEN_PATH}", "token_url")
        self.tokens = TokenCache(self._fetch_token)

    def unlock(self, request: UnlockRequest) -> VendorResult:
        account_id = self._account_id(request.user)
        response = self._call("POST", self.api + UNLOCK_PATH.format(id=account_id), json=self._unlock_body(request))
        task_id = json_body(response).get("id")
        result = VendorResult(
            vendor_reference=task_id if isinstance(task_id, str) and task_id else None,
            actions=["account.unlock"],
            message="unlock task submitted",
        )
        if self.config.confirm:
            self._confirm(account_id, result)
        return result

    def _unlock_body(self, request: UnlockRequest) -> dict[str, Any]:
        """``AccountUnlockRequest``: the flags only when enabled, so the default body carries no options."""
        body: dict[str, Any] = {}
        if self.config.send_external_verification_id:
            body["externalVerificationId"] = request.origin.ticket_id or request.request_id
        if self.config.unlock_idn_account:
            body["unlockIDNAccount"] = True
        if self.config.force_provisioning:
            body["forceProvisioning"] = True
        return body

    def _account_id(self, user: UserRef) -> str:
        if user.kind == "id":
            return path_segment(user.value, HEX32, "user.id")
        if user.kind not in ("username", "login_id", "email"):
            raise PermanentError("unsupported_identifier", f"SailPoint cannot unlock by {user.kind}")
        expression = f'nativeIdentity eq "{filter_value(user.value, "user." + user.kind)}"'
        if self.config.source_id:
            expression += f' and sourceId eq "{filter_value(self.config.source_id, "source_id")}"'
        params = {"filters": expression, "detailLevel": "SLIM", "limit": str(LOOKUP_LIMIT)}
        accounts = json_list(self._call("GET", self.api + ACCOUNTS_PATH, params=params))
        if not accounts:
            raise PermanentError("user_not_found", "SailPoint has no account with that nativeIdentity")
        if len(accounts) > 1:
            raise PermanentError(
                "ambiguous_user",
                "SailPoint has more than one account with that nativeIdentity: set source_id on the connection",
            )
        account = accounts[0] if isinstance(accounts[0], dict) else {}
        return path_segment(str(account.get("id", "")), HEX32, "account id returned by SailPoint")

    def _confirm(self, account_id: str, result: VendorResult) -> None:
        """Re-read the account until it is no longer locked; the task stays submitted either way."""
        config = self.config
        for _ in range(config.confirm_attempts):
            if config.confirm_interval_seconds >= budget.remaining():
                break
            time.sleep(config.confirm_interval_seconds)
            try:
                account = json_body(self._call("GET", self.api + ACCOUNT_PATH.format(id=account_id)))
            except UnlockError as exc:
                result.message = f"unlock task submitted; could not confirm ({exc.reason})"
                return
            if account.get("locked") is False:
                result.actions.append("account.unlock.confirmed")
                result.message = "account unlocked"
                return
        result.message = STILL_LOCKED

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = bearer_request(self.http, self.tokens, method, url, headers={"Accept": "application/json"}, **kwargs)
        if not response.ok:
            raise self._error(response)
        return response

    def _error(self, response: requests.Response) -> UnlockError:
        """Name ``detailCode`` and ``trackingId`` (the reference SailPoint support asks for)."""
        body = json_body(response)
        messages = body.get("messages")
        first = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
        text = first.get("text") or body.get("error") or str(body.get("message", "")).strip() or response.reason
        code = body.get("detailCode")
        tracking = body.get("trackingId")
        detail = f"{code}: {text}" if code else str(text)
        if tracking:
            detail += f" (trackingId {tracking})"
        error = classify_status(response, "SailPoint", detail)
        error.vendor_reference = str(tracking) if tracking else None
        return error

    def _fetch_token(self) -> tuple[str, float]:
        config = self.config
        data = {
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
        }
        response = self.http.request("POST", self.token_url, data=data, headers={"Accept": "application/json"})
        body = json_body(response)
        if response.status_code in (400, 401):
            raise PermanentError(
                "bad_credentials", f"SailPoint token request refused: {body.get('error', 'invalid_client')}"
            )
        if not response.ok or not isinstance(body.get("access_token"), str):
            raise classify_status(response, "SailPoint", "token request failed")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else DEFAULT_TOKEN_LIFETIME
        return body["access_token"], lifetime


def json_list(response: requests.Response) -> list[Any]:
    """The response's JSON array (the accounts list), or ``[]`` when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return []
    return body if isinstance(body, list) else []
