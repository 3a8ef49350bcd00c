"""Auth0: remove brute-force protection blocks and, only when the connection allows it, an admin's block.

Auth0 Management API v2 (https://auth0.com/docs/api/management/v2) and its guides:
- token: "Get Management API Access Tokens for Production"
  (https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens/get-management-api-access-tokens-for-production):
  a machine-to-machine application posts ``grant_type=client_credentials``, ``client_id``,
  ``client_secret`` and ``audience=https://{domain}/api/v2/`` to ``https://{domain}/oauth/token``; the
  answer has ``access_token``, ``expires_in`` (24 h, "Management API Access Tokens") and ``scope``;
- the user: "Get a User" (``GET /api/v2/users/{id}``, read:users; "Retrieve Users with the Get Users by
  ID Endpoint": immediately consistent, the id URL-encoded), "Search Users by Email"
  (``GET /api/v2/users-by-email?email=``, read:users: exact and case-sensitive) and "List or Search
  Users" (``GET /api/v2/users?q=…&search_engine=v3``, read:users) for a username or login id. The
  user's ``blocked`` is an administrator's block ("Block and Unblock Users",
  https://auth0.com/docs/users/block-and-unblock-users);
- brute-force blocks: "Get blocks for a user" (``GET /api/v2/user-blocks/{id}``) and "Get blocks by
  identifier" (``GET /api/v2/user-blocks?identifier=``), read:users, answer
  ``{"blocked_for": [{"identifier", "ip", "connection"}]}``; "Unblock a user"
  (``DELETE /api/v2/user-blocks/{id}``) and "Unblock by identifier"
  (``DELETE /api/v2/user-blocks?identifier=``), update:users, 204. Neither lifts an administrator's block;
- an administrator's block: "Update a User" (``PATCH /api/v2/users/{id}`` with ``{"blocked": false}``,
  update:users), sent only when the connection sets ``lift_admin_blocks``;
- rate limits: "Rate Limit Policy"
  (https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy): a 429
  with ``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset``, the UNIX time the
  limit resets; the wait until then is honoured like a ``Retry-After`` (``VendorHttp.reset_header``).

A request by ``user.id`` removes the user's blocks by id (every identifier of the user); one by a
username, e-mail or login id removes the blocks of that identifier, which brute-force protection
blocked. Each removal reads the blocks first: none → no write. The users the look-up found go to the
policy before the first write (``connection``: ``identities[].connection``; ``app_metadata.*``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import VendorHttp, classify_status, json_body, seconds_until
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Account, Steps, Write, values
from account_unlock.tokens import TokenCache, bearer_request
from account_unlock.validation import filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

# A tenant or custom domain: DNS labels, no scheme, path or port.
DOMAIN = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
AUDIENCE = re.compile(r"^https://[A-Za-z0-9.-]{4,253}/api/v2/$")
# ``provider|id`` ("auth0|5457edea1b8f22891a000004", "google-oauth2|1069…", "samlp|corp|jdoe"): printable ASCII.
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\|[\x21-\x7e]{1,255}$")
RESET_HEADER = "x-ratelimit-reset"
# The search each non-id identifier is looked up with ("List or Search Users", query syntax v3).
SEARCH_FIELDS = {"username": ("username",), "login_id": ("email", "username", "phone_number")}


class Auth0Config(ConnectionConfig):
    vendor: Literal["auth0"]
    domain: str = Field(max_length=253, pattern=DOMAIN.pattern, description="The tenant domain, e.g. acme.eu.auth0.com")
    client_id: str = Field(min_length=1, max_length=128)
    client_secret: SecretStr = Field(min_length=1)
    audience: str | None = Field(
        default=None, pattern=AUDIENCE.pattern, description="Management API identifier; https://{domain}/api/v2/"
    )
    base_url: str | None = Field(default=None, description="Token and API root override; https://{domain}")
    lift_admin_blocks: bool = Field(default=False, description="Also lift an administrator's block (blocked: false)")


class Auth0Connector(Connector):
    vendor = "auth0"
    config_model = Auth0Config
    policy_attributes = r"connection|app_metadata(?:\.[A-Za-z0-9_-]{1,128}){1,8}"

    def __init__(self, config: Auth0Config) -> None:
        super().__init__(config)
        self.http = VendorHttp(self.vendor, reset_header=RESET_HEADER)
        self.root = secure_base_url(config.base_url or f"https://{config.domain}", "base_url")
        self.api = f"{self.root}/api/v2"
        self.audience = config.audience or f"https://{config.domain}/api/v2/"
        self.tokens = TokenCache(self._fetch_token)

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        users = self._find_users(request.user)
        steps.admit(policy_account(users, steps.wanted()))
        admin_blocked = self._admin_blocked(users)
        if request.user.kind == "id":
            user_id = path_segment(request.user.value, USER_ID, "user.id")
            blocks: dict[str, Any] = {"url": f"{self.api}/user-blocks/{user_id}"}
        else:
            blocks = {"url": f"{self.api}/user-blocks", "params": {"identifier": request.user.value}}
        actions: list[str] = []
        if steps.once("auth0.user-blocks.delete", lambda: self._remove_blocks(**blocks)).done:
            actions.append("user_blocks.delete")
        if admin_blocked is not None:
            user_url = f"{self.api}/users/{path_segment(str(admin_blocked.get('user_id', '')), USER_ID, 'user_id')}"
            if steps.once("auth0.user.unblock", lambda: self._lift_admin_block(user_url)).done:
                actions.append("user.unblock")
        reference = str(users[0].get("user_id")) if len(users) == 1 else None
        message = "account unlocked" if actions else "Auth0 reported no block: no write"
        return VendorResult(vendor_reference=reference, actions=actions, message=message)

    def _admin_blocked(self, users: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The user an administrator blocked, if any. Lifted only when the connection allows it, and for
        one user only: otherwise the unlock is refused here, before any write."""
        admin_blocked = [user for user in users if user.get("blocked") is True]
        if not admin_blocked:
            return None
        if not self.config.lift_admin_blocks:
            raise PermanentError(
                "account_blocked",
                "the Auth0 user is blocked by an administrator; this connection does not lift administrator "
                "blocks (lift_admin_blocks)",
            )
        if len(admin_blocked) > 1:
            raise PermanentError(
                "ambiguous_user",
                f"{len(admin_blocked)} Auth0 users with that identifier are blocked by an administrator",
            )
        return admin_blocked[0]

    def _remove_blocks(self, url: str, params: dict[str, str] | None = None) -> Write:
        blocked_for = json_body(self._call("GET", url, params=params)).get("blocked_for")
        if isinstance(blocked_for, list) and not blocked_for:
            return Write(done=False)  # an absent or unreadable list is removed to be safe
        self._call("DELETE", url, params=params, write=True)
        return Write(done=True)

    def _lift_admin_block(self, user_url: str) -> Write:
        answer = json_body(self._call("PATCH", user_url, json={"blocked": False}, write=True))
        if answer.get("blocked") is True:
            raise PermanentError("unlock_not_confirmed", "Auth0 answered the update with blocked still true")
        return Write(done=True)

    def _find_users(self, user: UserRef) -> list[dict[str, Any]]:
        """The users the identifier names: "Get a User" for an id, else every match of the search."""
        if user.kind == "id":
            user_id = path_segment(user.value, USER_ID, "user.id")
            return [json_body(self._call("GET", f"{self.api}/users/{user_id}"))]
        if user.kind == "email":
            params = {"email": filter_value(user.value, "user.email")}
            users = json_list(self._call("GET", f"{self.api}/users-by-email", params=params))
        elif user.kind in SEARCH_FIELDS:
            value = filter_value(user.value, f"user.{user.kind}")
            query = " OR ".join(f'{field}:"{value}"' for field in SEARCH_FIELDS[user.kind])
            users = json_list(self._call("GET", f"{self.api}/users", params={"q": query, "search_engine": "v3"}))
        else:
            raise PermanentError("unsupported_identifier", f"Auth0 cannot unlock by {user.kind}")
        if not users:
            raise PermanentError("user_not_found", f"Auth0 has no user with that {user.kind}")
        return users

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = bearer_request(self.http, self.tokens, method, url, **kwargs)
        if not response.ok:
            raise self._error(response)
        return response

    def _error(self, response: requests.Response) -> UnlockError:
        """Management API errors are ``{"statusCode","error","message","errorCode"}``."""
        body = json_body(response)
        code = str(body.get("errorCode") or body.get("error") or "")
        detail = f"{code or 'error'}: {body.get('message', response.reason)}"
        error = classify_status(response, "Auth0", detail)
        if isinstance(error, TransientError) and error.retry_after is None:
            error.retry_after = seconds_until(response.headers.get(RESET_HEADER))
        error.vendor_code = code or None
        return error

    def _fetch_token(self) -> tuple[str, float]:
        config = self.config
        data = {
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "audience": self.audience,
        }
        response = self.http.request("POST", f"{self.root}/oauth/token", data=data)
        body = json_body(response)
        if response.status_code in (400, 401, 403):
            reason = "forbidden" if response.status_code == 403 else "bad_credentials"
            error = str(body.get("error", "access_denied"))
            raise PermanentError(reason, f"Auth0 token request refused: {error} (check the client and its grant)")
        if not response.ok or not isinstance(body.get("access_token"), str):
            raise classify_status(response, "Auth0", "token request failed")
        return body["access_token"], float(body.get("expires_in", 86400))


def policy_account(users: list[dict[str, Any]], wanted: frozenset[str]) -> Account:
    """What the policy checks of the users found: ids, usernames, e-mails, connections and the
    ``wanted`` ``app_metadata`` fields, of every user (one protected match refuses them all)."""
    attributes: dict[str, tuple[str, ...]] = {
        "connection": tuple(
            connection
            for user in users
            for identity in user.get("identities") or []
            if isinstance(identity, dict)
            for connection in values(identity.get("connection"))
        )
    }
    for key in wanted - {"connection"}:
        attributes[key] = tuple(value for user in users for value in values(nested(user, key)))
    return Account(
        ids=tuple(value for user in users for value in values(user.get("user_id"))),
        usernames=tuple(value for user in users for value in values(user.get("username"))),
        emails=tuple(value for user in users for value in values(user.get("email"))),
        attributes=attributes,
    )


def nested(user: dict[str, Any], key: str) -> Any:
    found: Any = user
    for part in key.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def json_list(response: requests.Response) -> list[dict[str, Any]]:
    """The objects of the response's JSON array (a search answer); ``[]`` when it is not one."""
    try:
        found = response.json()
    except ValueError:
        return []
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []
