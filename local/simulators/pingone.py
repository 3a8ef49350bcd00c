"""PingOne simulator: token endpoint, user reads, password state, password and account unlock.

Serves both hosts on one port: ``/{envID}/as/token`` (auth.pingone.<tld>) and ``/v1/...``
(api.pingone.<tld>). Each behaviour follows a page of PingOne Platform APIs
(https://developer.pingidentity.com/pingone-api/platform/...):
- error bodies ``{"id","code","message","details"}``: "Errors" (``../foundations/errors.html``);
- ``account.status`` is ``LOCKED`` or ``OK`` ("User Accounts", ``users/user-accounts.html``), in the
  user answered by "Read User by ID", "Read All Users" and "User Account Unlock";
- password ``status`` values ``OK, NO_PASSWORD, PASSWORD_EXPIRED, PASSWORD_LOCKED_OUT,
  MUST_CHANGE_PASSWORD, EXTERNAL`` ("User Passwords", ``users/user-passwords.html``); failed sign-ins
  lock the password (``PASSWORD_LOCKED_OUT``) and, through it, the account;
- "Password Unlock" (``users/user-passwords/password-unlock.html``) emits ``PASSWORD.UNLOCKED`` and, when
  the password lockout was the account's only lock, unlocks the account with ``USER.UNLOCKED``;
- "User Account Unlock" (``users/user-accounts/user-account-unlock.html``) answers 200 with the user and
  emits ``USER.UNLOCKED``; whether it also clears a password lockout is not documented: here it does not;
- users of an authoritative identity provider (``identityProvider.type`` not ``PING_ONE``) get
  ``REQUEST_FAILED`` on password operations ("User Passwords");
- every user belongs to one population, answered as ``population.id`` ("Populations": "Individual users
  cannot belong to more than one population"; "User Populations", ``users/user-populations.html``); "Read User by ID"
  with ``include=memberOfGroupIDs`` also answers the ids of the user's groups ("Read User by ID" lists
  ``memberOfGroupNames, memberOfGroupIDs`` for ``include``; "Read All Group IDs for User",
  ``users/group-membership/read-all-group-ids-for-user.html``). "Read All Users" documents no ``include``:
  it is ignored there.
``events`` records every emitted event, so tests count the vendor writes the way PingOne's audit would;
``writes`` counts the password and account unlocks per user id.

The random faults of ``inject`` (``local.simulators.base.Chaos``) are answered as PingOne documents
them: 429 ``REQUEST_LIMITED`` with ``Retry-After`` ("Rate Limiting",
https://developer.pingidentity.com/pingone-api/platform/rate-limiting.html; "Retries: Best practice for
managing transient API errors",
https://developer.pingidentity.com/pingone-api/platform/working-with-pingone-apis/retry-best-practices.html:
"Retry after the delay specified in the Retry-After header") and 500 ``UNEXPECTED_ERROR`` ("Error codes",
https://developer.pingidentity.com/pingone-api/platform/reference/error-codes.html).
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote_plus

from local.simulators.base import Reply, Request, Simulator

ACCOUNT_UNLOCK = "application/vnd.pingidentity.account.unlock+json"
PASSWORD_UNLOCK = "application/vnd.pingidentity.password.unlock+json"
FILTER = re.compile(r'^(username|email) eq "([^"]*)"$')
USERS = r"/v1/environments/(?P<env>[^/]+)/users"
DEFAULT_POPULATION = "3e7f2c49-2a5f-4f6e-9d2b-0c7a7d1f1a10"


@dataclass
class PingOneUser:
    id: str
    username: str
    email: str
    account_locked: bool = True  # locked by an administrator (or MFA failures)
    password_locked: bool = False  # locked by failed sign-ins: PASSWORD_LOCKED_OUT
    locked_only_by_password: bool = False  # the account lock comes from the password lockout alone
    identity_provider: str = "PING_ONE"
    password_status: str = "OK"  # the status of an unlocked password (OK, EXTERNAL, MUST_CHANGE_PASSWORD…)
    population_id: str = DEFAULT_POPULATION
    group_ids: list[str] = field(default_factory=list)

    @property
    def can_sign_in(self) -> bool:
        return not self.account_locked and not self.password_locked

    def body(self, env: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "environment": {"id": env},
            "username": self.username,
            "email": self.email,
            "enabled": True,
            "account": {
                "canAuthenticate": not self.account_locked,
                "status": "LOCKED" if self.account_locked else "OK",
            },
            "identityProvider": {"type": self.identity_provider},
            "lifecycle": {"status": "ACCOUNT_OK"},
            "population": {"id": self.population_id},
        }


def error(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> Reply:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if details:
        body["details"] = details
    return Reply(status, body)


def external_password() -> Reply:
    """A password operation on a user of an authoritative identity provider ("User Passwords")."""
    return error(
        400, "REQUEST_FAILED", "The request could not be completed. The user's password is managed externally."
    )


class PingOneSimulator(Simulator):
    name = "pingone"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/(?P<env>[^/]+)/as/token", "token"),
        ("GET", USERS, "list_users"),
        ("GET", USERS + r"/(?P<user>[^/]+)", "read_user"),
        ("POST", USERS + r"/(?P<user>[^/]+)", "unlock_account"),
        ("GET", USERS + r"/(?P<user>[^/]+)/password", "password_state"),
        ("POST", USERS + r"/(?P<user>[^/]+)/password", "unlock_password"),
    ]

    def __init__(self, environment_id: str, client_id: str, client_secret: str, token_lifetime: int = 3600) -> None:
        super().__init__()
        self.environment_id = environment_id
        self.clients = {client_id: client_secret}
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}
        self.users: dict[str, PingOneUser] = {}
        self.events: list[tuple[str, str]] = []  # (event type, user id) as PingOne's audit would list them
        self._settings = (environment_id, dict(self.clients), token_lifetime)

    def reset(self) -> None:
        """Forget users and issued tokens as well, so one started simulator serves many tests."""
        super().reset()
        with self.lock:
            environment_id, clients, self.token_lifetime = self._settings
            self.environment_id, self.clients = environment_id, dict(clients)
            self.tokens.clear()
            self.users.clear()
            self.events.clear()

    def add_user(
        self,
        username: str,
        email: str,
        *,
        user_id: str | None = None,
        account_locked: bool = True,
        password_locked: bool = False,
        identity_provider: str = "PING_ONE",
    ) -> PingOneUser:
        user = PingOneUser(
            user_id or str(uuid.uuid4()), username, email, account_locked, password_locked, False, identity_provider
        )
        self.users[user.id] = user
        return user

    def fail_sign_ins(self, user: PingOneUser) -> None:
        """Lock ``user`` as too many wrong passwords do: the password, and through it the account."""
        user.password_locked = True
        if not user.account_locked:
            user.account_locked, user.locked_only_by_password = True, True

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as an expiry or a key rotation would."""
        self.tokens.clear()

    # auth host -------------------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        form = request.form()
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.header("authorization") or ""
        if basic.startswith("Basic "):
            decoded = base64.b64decode(basic[6:]).decode()
            client_id, _, secret = (unquote_plus(part) for part in decoded.partition(":"))
        if request.params["env"] != self.environment_id:
            return Reply(404, {"error": "invalid_request", "error_description": "environment not found"})
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "grant_type"})
        if not client_id or self.clients.get(client_id) != secret:
            return Reply(
                401,
                {"error": "invalid_client", "error_description": "Request denied: Unsupported authentication method"},
            )
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.time() + self.token_lifetime
        return Reply(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime, "scope": ""}
        )

    # api host --------------------------------------------------------------------------------
    def _authorize(self, request: Request) -> Reply | None:
        header = request.header("authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        if self.tokens.get(token, 0) < time.time():
            return error(401, "INVALID_TOKEN", "The request could not be completed. The access token is invalid.")
        if request.params.get("env") != self.environment_id:
            return error(404, "NOT_FOUND", "The requested resource was not found.")
        return None

    def _user(self, request: Request) -> PingOneUser | Reply:
        user = self.users.get(request.params["user"])
        return user or error(404, "NOT_FOUND", "The requested resource was not found.")

    def list_users(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        match = FILTER.match((request.query.get("filter") or [""])[0])
        if not match:
            return error(
                400,
                "INVALID_DATA",
                "The request could not be completed. One or more validation errors were in the request.",
                [{"code": "INVALID_FILTER", "target": "filter", "message": "Unsupported filter"}],
            )
        attribute, value = match.groups()
        found = [u.body(self.environment_id) for u in self.users.values() if getattr(u, attribute) == value]
        return Reply(200, {"_embedded": {"users": found}, "count": len(found), "size": len(found)})

    def read_user(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        body = user.body(self.environment_id)
        if "memberOfGroupIDs" in (request.query.get("include") or [""])[0].split(","):
            body["memberOfGroupIDs"] = list(user.group_ids)
        return Reply(200, body)

    def unlock_account(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        if request.header("content-type") != ACCOUNT_UNLOCK:
            return error(415, "INVALID_REQUEST", "Unsupported media type")
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        user.account_locked, user.locked_only_by_password = False, False
        self.events.append(("USER.UNLOCKED", user.id))
        self.count_write("account.unlock", user.id)
        return Reply(200, user.body(self.environment_id))

    def password_state(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        if user.identity_provider != "PING_ONE":
            return external_password()
        body: dict[str, Any] = {
            "environment": {"id": self.environment_id},
            "user": {"id": user.id},
            "status": "PASSWORD_LOCKED_OUT" if user.password_locked else user.password_status,
        }
        if user.password_locked:
            body["secondsUntilUnlock"] = 900
        return Reply(200, body)

    def unlock_password(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        if request.header("content-type") != PASSWORD_UNLOCK:
            return error(415, "INVALID_REQUEST", "Unsupported media type")
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        if user.identity_provider != "PING_ONE":
            return external_password()
        user.password_locked = False
        self.events.append(("PASSWORD.UNLOCKED", user.id))
        self.count_write("password.unlock", user.id)
        if user.locked_only_by_password:
            user.account_locked, user.locked_only_by_password = False, False
            self.events.append(("USER.UNLOCKED", user.id))
        return Reply(200, {"environment": {"id": self.environment_id}, "user": {"id": user.id}, "status": "OK"})

    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        reply = error(429, "REQUEST_LIMITED", "The request could not be completed. The request limit was exceeded.")
        reply.headers["Retry-After"] = str(retry_after)
        return reply

    def server_error(self, request: Request) -> Reply:
        return error(500, "UNEXPECTED_ERROR", "The request could not be completed.")

    def not_routed(self, request: Request) -> Reply:
        return error(404, "NOT_FOUND", "The requested resource was not found.")
