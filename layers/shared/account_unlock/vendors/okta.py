"""Okta: the lifecycle unlock of a ``LOCKED_OUT`` user, sent only when Okta reports the user locked.

Okta Developer pages:
- the unlock: "User Lifecycle" (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserLifecycle),
  "Unlock a user", ``POST /api/v1/users/{id}/lifecycle/unlock``, scope ``okta.users.manage``: it
  "unlocks a user with a LOCKED_OUT status or unlocks a user with an ACTIVE status that is blocked from
  unknown devices"; unlocked users are ``ACTIVE``; it works with Okta-sourced users, not with
  directory-sourced ones (Active Directory);
- the user: "User" (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/),
  "Retrieve a user" (``GET /api/v1/users/{id}``) and "List all users" with ``search`` (``profile.login``
  / ``profile.email eq "…"``; "use an ID lookup for records that you update to ensure your results
  contain the latest data"); ``status`` is ``STAGED``, ``PROVISIONED``, ``ACTIVE``, ``RECOVERY``,
  ``LOCKED_OUT``, ``PASSWORD_EXPIRED``, ``SUSPENDED`` or ``DEPROVISIONED``; ``credentials.provider.type``
  is ``OKTA``, ``ACTIVE_DIRECTORY``, ``LDAP``, ``FEDERATION``, ``SOCIAL`` or ``IMPORT``;
- groups: "User Resources" (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserResources),
  "List all groups of a user" (``GET /api/v1/users/{id}/groups``), read only for a policy naming them;
- the token: "Implement OAuth for Okta with a service app"
  (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/): client credentials
  at ``{org}/oauth2/v1/token`` with a ``private_key_jwt`` client assertion ("Create and sign the JWT":
  ``aud`` the token URL, ``iss`` = ``sub`` = the client id, ``exp`` at most an hour ahead, ``jti``);
  the alternative, "Okta Management: Authentication"
  (https://developer.okta.com/docs/api/openapi/okta-management/guides/overview/): ``Authorization: SSWS
  {API token}``;
- rate limits: "Rate limit best practices" (https://developer.okta.com/docs/reference/rl-best-practices/):
  ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset`` ("the time at which the
  rate limit resets, specified in UTC epoch time (in seconds)"); a 429 is retried after that time when
  it fits the time budget (``VendorHttp.reset_header``);
- errors: "Okta error codes and descriptions" (https://developer.okta.com/docs/reference/error-codes/):
  ``{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}``.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from urllib3.util import parse_url

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import VendorHttp, classify_status, json_body, seconds_until
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Account, Steps, Write, values
from account_unlock.tokens import TokenCache, bearer_request
from account_unlock.validation import filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

OKTA_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")  # "00ub0oNGTSWTBKOLGLNR"
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # "0oar95zt9zIpYuz6A0h7"
SCOPE = r"^okta\.[A-Za-z]+\.[A-Za-z]+$"
RESET_HEADER = "X-Rate-Limit-Reset"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300  # "a maximum of only an hour in the future"
LOCKED_OUT = "LOCKED_OUT"
VALIDATION_FAILED = "E0000001"  # "API validation failed": the endpoint's precondition was not met
DIRECTORY_PROVIDERS = {"ACTIVE_DIRECTORY", "LDAP"}  # the unlock "doesn't support directory-sourced accounts"
SEARCH_FIELDS = {"username": "profile.login", "login_id": "profile.login", "email": "profile.email"}
MAX_GROUP_PAGES = 10
GROUPS, GROUP_NAMES, USER_TYPE, PROVIDER = "group", "group_name", "user_type", "provider"
PERMANENT_REASONS = {
    "E0000006": "forbidden",  # "You do not have permission to perform the requested action"
    "E0000007": "user_not_found",  # "Not found: Resource not found"
    "E0000011": "bad_credentials",  # "Invalid token provided"
}
TOKEN_REFUSALS = {"invalid_client": "bad_credentials", "invalid_scope": "forbidden"}


class OktaConfig(ConnectionConfig):
    vendor: Literal["okta"]
    org_url: str = Field(min_length=1, description="The org URL, https://acme.okta.com (or its custom domain)")
    auth: Literal["private_key_jwt", "api_token"] = "private_key_jwt"
    client_id: str | None = Field(default=None, pattern=CLIENT_ID.pattern, validate_default=True)
    private_key: SecretStr | None = Field(default=None, validate_default=True, description="PEM, PKCS#8 or PKCS#1")
    key_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,128}$", description="The key's kid")
    algorithm: Literal["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] = "RS256"
    scopes: list[str] = Field(default=["okta.users.manage"], min_length=1, max_length=10)
    api_token: SecretStr | None = Field(default=None, validate_default=True, description="With auth api_token")

    @field_validator("client_id", "private_key")
    @classmethod
    def _with_private_key_jwt(cls, value: Any, info: ValidationInfo) -> Any:
        if (info.data.get("auth") == "private_key_jwt") != (value is not None):
            raise ValueError("required with auth private_key_jwt, and not allowed with api_token")
        return value

    @field_validator("api_token")
    @classmethod
    def _with_api_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (info.data.get("auth") == "api_token") != (value is not None):
            raise ValueError("required with auth api_token, and not allowed with private_key_jwt")
        return value

    @field_validator("scopes")
    @classmethod
    def _okta_scopes(cls, scopes: list[str]) -> list[str]:
        if not all(re.fullmatch(SCOPE, scope) for scope in scopes):
            raise ValueError("scopes are Okta scopes such as okta.users.manage")
        return scopes


class OktaConnector(Connector):
    vendor = "okta"
    config_model = OktaConfig
    policy_attributes = r"group|group_name|user_type|provider"

    def __init__(self, config: OktaConfig) -> None:
        super().__init__(config)
        self.http = VendorHttp(self.vendor, reset_header=RESET_HEADER)
        self.org = org_root(config.org_url)
        self.api = f"{self.org}/api/v1"
        self.token_url = f"{self.org}/oauth2/v1/token"
        self.tokens = TokenCache(self._fetch_token)

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        user = self._find_user(request.user)
        user_id = path_segment(str(user.get("id", "")), OKTA_ID, "user id returned by Okta")
        steps.admit(self._account(user, user_id, steps.wanted()))
        locked = user.get("status") == LOCKED_OUT
        if not steps.once("okta.user.unlock", lambda: self._unlock(user_id, user), pending=locked).done:
            status = user.get("status")
            return VendorResult(vendor_reference=user_id, message=f"Okta reported status {status}: no write")
        return VendorResult(vendor_reference=user_id, actions=["user.unlock"])

    def _unlock(self, user_id: str, user: dict[str, Any]) -> Write:
        """A ``LOCKED_OUT`` user is unlocked; a directory-sourced one is refused before the write."""
        provider = str(mapping(mapping(user.get("credentials")).get("provider")).get("type", "OKTA"))
        if provider in DIRECTORY_PROVIDERS:
            raise PermanentError(
                "unsupported_user", f"Okta cannot unlock a user sourced from {provider}: unlock it in the directory"
            )
        try:
            self._call("POST", f"{self.api}/users/{user_id}/lifecycle/unlock", write=True)
        except PermanentError as exc:
            if exc.vendor_code != VALIDATION_FAILED or self._status(user_id) == LOCKED_OUT:
                raise
            return Write(done=False)  # unlocked meanwhile (by an admin, or the policy's auto-unlock)
        return Write(done=True)

    def _status(self, user_id: str) -> Any:
        return json_body(self._call("GET", f"{self.api}/users/{user_id}")).get("status")

    def _find_user(self, user: UserRef) -> dict[str, Any]:
        """The user by id ("Retrieve a user"); a login or e-mail is searched, then read by id (fresh status)."""
        if user.kind == "id":
            user_id = path_segment(user.value, OKTA_ID, "user.id")
            return json_body(self._call("GET", f"{self.api}/users/{user_id}"))
        attribute = SEARCH_FIELDS.get(user.kind)
        if attribute is None:
            raise PermanentError("unsupported_identifier", f"Okta cannot unlock by {user.kind}")
        expression = f'{attribute} eq "{filter_value(user.value, "user." + user.kind)}"'
        users = json_list(self._call("GET", f"{self.api}/users", params={"search": expression, "limit": "2"}))
        if not users:
            raise PermanentError("user_not_found", f"Okta has no user with that {attribute}")
        if len(users) > 1:
            raise PermanentError("ambiguous_user", f"Okta has several users with that {attribute}")
        user_id = path_segment(str(users[0].get("id", "")), OKTA_ID, "user id returned by Okta")
        return json_body(self._call("GET", f"{self.api}/users/{user_id}"))

    def _account(self, user: dict[str, Any], user_id: str, wanted: frozenset[str]) -> Account:
        """What the policy checks: id, login, e-mail, the user type, the provider and, when named, groups."""
        profile = mapping(user.get("profile"))
        provider = mapping(mapping(user.get("credentials")).get("provider"))
        attributes = {USER_TYPE: values(mapping(user.get("type")).get("id")), PROVIDER: values(provider.get("type"))}
        if wanted & {GROUPS, GROUP_NAMES}:
            attributes |= self._groups(user_id)
        return Account(
            ids=values(user.get("id")),
            usernames=values(profile.get("login")),
            emails=values(profile.get("email")),
            attributes=attributes,
        )

    def _groups(self, user_id: str) -> dict[str, tuple[str, ...]]:
        """Every group of the user (its pages, followed on the org only); none if they cannot all be read."""
        url: str | None = f"{self.api}/users/{user_id}/groups"
        params: dict[str, str] | None = {"limit": "200"}
        groups: list[dict[str, Any]] = []
        for _ in range(MAX_GROUP_PAGES):
            if url is None:
                break
            response = self._call("GET", url, params=params)
            groups += json_list(response)
            url, params = response.links.get("next", {}).get("url"), None
            if url is not None and not url.startswith(f"{self.api}/"):
                return {}  # a next page off the org: never sent the token, so the groups cannot be checked
        if url is not None:
            return {}
        names = [mapping(group.get("profile")).get("name") for group in groups]
        return {GROUPS: values([group.get("id") for group in groups]), GROUP_NAMES: values(names)}

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {"Accept": "application/json"}
        if self.config.api_token is not None:  # auth api_token
            token = self.config.api_token.get_secret_value()
            response = self.http.request(method, url, headers=headers | {"Authorization": f"SSWS {token}"}, **kwargs)
        else:
            response = bearer_request(self.http, self.tokens, method, url, headers=headers, **kwargs)
        if not response.ok:
            raise self._error(response)
        return response

    def _error(self, response: requests.Response) -> UnlockError:
        body = json_body(response)
        code = str(body.get("errorCode", ""))
        causes = "; ".join(
            str(cause.get("errorSummary")) for cause in body.get("errorCauses", []) if isinstance(cause, dict)
        )
        detail = f"{code or 'error'}: {body.get('errorSummary', response.reason)}" + (f" ({causes})" if causes else "")
        if response.status_code == 403 and "insufficient_scope" in response.headers.get("WWW-Authenticate", ""):
            detail += f"; the access token lacks a scope the call needs ({' '.join(self.config.scopes)} granted)"
        error = classify_status(response, "Okta", detail)
        if response.status_code == 429:
            wait = seconds_until(response.headers.get(RESET_HEADER))
            error = TransientError("rate_limited", error.message, retry_after=wait)
        elif not error.retryable and code in PERMANENT_REASONS:
            error = PermanentError(PERMANENT_REASONS[code], error.message)
        error.vendor_reference = str(body["errorId"]) if body.get("errorId") else None
        error.vendor_code = code or None
        return error

    def _fetch_token(self) -> tuple[str, float]:
        """A scoped access token for the service app, its client authenticated by a signed assertion."""
        data = {
            "grant_type": "client_credentials",
            "scope": " ".join(self.config.scopes),
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion(self.config, self.token_url),
        }
        response = self.http.request("POST", self.token_url, data=data, headers={"Accept": "application/json"})
        body = json_body(response)
        if response.status_code in (400, 401):
            refusal = str(body.get("error", "invalid_client"))
            reason = TOKEN_REFUSALS.get(refusal, "bad_credentials")
            raise PermanentError(reason, f"Okta token request refused: {refusal}: {body.get('error_description', '')}")
        if not response.ok or not isinstance(body.get("access_token"), str):
            raise classify_status(response, "Okta", "token request failed")
        return body["access_token"], float(body.get("expires_in", 3600))


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a field Okta left out or sent as null)."""
    return value if isinstance(value, dict) else {}


def json_list(response: requests.Response) -> list[dict[str, Any]]:
    """The objects of a JSON array answer (a list of users or groups); none when it is not one."""
    try:
        items = response.json()
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def org_root(url: str) -> str:
    """The org URL (https, or http on loopback), without a path: the API and the token URL hang off it."""
    root = secure_base_url(url, "org_url")
    if parse_url(root).path not in (None, ""):
        raise PermanentError("config_invalid", "connection field org_url must be the org's URL, without a path")
    return root


def client_assertion(config: OktaConfig, audience: str) -> str:
    """The ``private_key_jwt`` assertion ("Create and sign the JWT"), valid for a few minutes, used once."""
    import jwt  # PyJWT and cryptography load with the first token request, not at every cold start

    now = int(time.time())
    claims = {
        "iss": config.client_id,
        "sub": config.client_id,
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    headers = {"kid": config.key_id} if config.key_id else None
    key = config.private_key.get_secret_value() if config.private_key else ""
    try:
        return jwt.encode(claims, key, algorithm=config.algorithm, headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError):
        raise PermanentError(
            "config_invalid", f"connection field private_key is not a PEM private key for {config.algorithm}"
        ) from None
