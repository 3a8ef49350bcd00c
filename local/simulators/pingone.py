"""PingOne simulator: token endpoint, user look-up, account and password unlock (seed 002).

Serves both hosts on one port: ``/{envID}/as/token`` (auth.pingone.<tld>) and ``/v1/...``
(api.pingone.<tld>). Error bodies follow PingOne's ``{"id","code","message","details"}`` shape.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote_plus

from local.simulators.base import Reply, Request, Simulator

ACCOUNT_UNLOCK = "application/vnd.pingidentity.account.unlock+json"
PASSWORD_UNLOCK = "application/vnd.pingidentity.password.unlock+json"
FILTER = re.compile(r'^(username|email) eq "([^"]*)"$')
USERS = r"/v1/environments/(?P<env>[^/]+)/users"


@dataclass
class PingOneUser:
    id: str
    username: str
    email: str
    account_locked: bool = True
    password_locked: bool = False

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
            "lifecycle": {"status": "ACCOUNT_OK"},
        }


def error(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> Reply:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if details:
        body["details"] = details
    return Reply(status, body)


class PingOneSimulator(Simulator):
    name = "pingone"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/(?P<env>[^/]+)/as/token", "token"),
        ("GET", USERS, "list_users"),
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
        self._settings = (environment_id, dict(self.clients), token_lifetime)

    def reset(self) -> None:
        """Forget users and issued tokens as well, so one started simulator serves many tests."""
        super().reset()
        with self.lock:
            environment_id, clients, self.token_lifetime = self._settings
            self.environment_id, self.clients = environment_id, dict(clients)
            self.tokens.clear()
            self.users.clear()

    def add_user(
        self,
        username: str,
        email: str,
        *,
        user_id: str | None = None,
        account_locked: bool = True,
        password_locked: bool = False,
    ) -> PingOneUser:
        user = PingOneUser(user_id or str(uuid.uuid4()), username, email, account_locked, password_locked)
        self.users[user.id] = user
        return user

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

    def unlock_account(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        if request.header("content-type") != ACCOUNT_UNLOCK:
            return error(415, "INVALID_REQUEST", "Unsupported media type")
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        user.account_locked = False
        return Reply(200, user.body(self.environment_id))

    def password_state(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        body: dict[str, Any] = {
            "environment": {"id": self.environment_id},
            "status": "LOCKED" if user.password_locked else "OK",
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
        user.password_locked = False
        return Reply(200, {"environment": {"id": self.environment_id}, "status": "OK"})

    def not_routed(self, request: Request) -> Reply:
        return error(404, "NOT_FOUND", "The requested resource was not found.")
