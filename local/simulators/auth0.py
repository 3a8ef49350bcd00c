"""Auth0 simulator: the token endpoint and the Management API v2 calls an unlock makes.

Each behaviour follows an Auth0 page (https://auth0.com/docs/...):
- ``POST /oauth/token``: "Get Management API Access Tokens for Production"
  (``secure/tokens/access-tokens/management-api-access-tokens/get-management-api-access-tokens-for-production``):
  form ``grant_type=client_credentials``, ``client_id``, ``client_secret``, ``audience`` =
  ``https://{domain}/api/v2/``; the answer ``{"access_token","scope","expires_in","token_type"}``, the
  token valid 24 h ("Management API Access Tokens", ``tokens/apiv2``). Bad client: 401
  ``access_denied``; an audience the client has no grant for: 403 ``access_denied``;
- ``GET /api/v2/users/{id}`` ("Get a User", ``api/management/v2/users/get-users-by-id``; "Retrieve Users
  with the Get Users by ID Endpoint", ``manage-users/user-search/retrieve-users-with-get-users-by-id-endpoint``):
  the user with ``user_id``, ``email``, ``username``, ``identities[].connection``, ``app_metadata`` and
  ``blocked``; an unknown id: 404 ``inexistent_user``;
- ``GET /api/v2/users-by-email`` ("Search Users by Email", ``api/management/v2/users-by-email/get-users-by-email``):
  an exact, case-sensitive match, answered as an array;
- ``GET /api/v2/users?q=…&search_engine=v3`` ("List or Search Users"): here only ``field:"value"``
  terms joined by ``OR`` on ``email``, ``username`` and ``phone_number``;
- ``GET``/``DELETE /api/v2/user-blocks/{id}`` and ``/api/v2/user-blocks?identifier=`` ("Get blocks for a
  user", ``api/management/v2/user-blocks/get-user-blocks-by-id``; "Unblock a user",
  ``api/management/v2/user-blocks/delete-user-blocks-by-id``; "Get blocks by identifier" and "Unblock by
  identifier", ``api/management/v2/user-blocks/get-user-blocks`` / ``delete-user-blocks``):
  ``{"blocked_for": [{"identifier","ip","connection"}]}``, and 204 on a removal. A removal never lifts
  an administrator's block ("This endpoint does not unblock users that were blocked by a tenant
  administrator");
- ``PATCH /api/v2/users/{id}`` with ``{"blocked": false}`` ("Update a User"; "Block and Unblock Users",
  ``users/block-and-unblock-users``) lifts an administrator's block and answers the user;
- scopes: ``read:users`` for the reads, ``update:users`` for the removals and the update (the pages'
  "Scopes"); a token without one: 403 ``insufficient_scope``; an invalid token: 401;
- error bodies ``{"statusCode","error","message","errorCode"}``; a rate limit is 429
  ``too_many_requests`` with ``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset``
  (the UNIX time the limit resets), and no ``Retry-After`` ("Rate Limit Policy",
  https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy; "How to
  tell if you are approaching the Rate-Limit", https://community.auth0.com/t/how-to-tell-if-you-are-approaching-the-rate-limit/82103).
  Every API answer carries the three headers.

``fail_sign_ins`` blocks an identifier from an IP as brute-force protection does ("Brute-force
protection", ``secure/attack-protection/brute-force-protection``), and records the ``limit_wc`` log
event ("Log Event Type Codes", ``deploy-monitor/logs/log-event-type-codes``) in ``logs``, which the
log-stream sender (local/identity_senders.py) posts. ``writes`` counts the removals and updates.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

from local.simulators.base import Reply, Request, Simulator

READ, UPDATE = "read:users", "update:users"
SEARCH_TERM = re.compile(r'^(email|username|phone_number):"([^"\\]*)"$')
RATE_LIMIT = 50  # the per-minute bucket the headers report
DATABASE = "Username-Password-Authentication"


@dataclass
class Block:
    identifier: str
    ip: str
    connection: str


@dataclass
class Auth0User:
    user_id: str
    email: str
    username: str | None = None
    phone_number: str | None = None
    connection: str = DATABASE
    blocked: bool = False  # an administrator's block
    blocks: list[Block] = field(default_factory=list)  # brute-force protection's (identifier, IP) blocks
    app_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def can_sign_in(self) -> bool:
        return not self.blocked and not self.blocks

    def identifiers(self) -> set[str]:
        return {value for value in (self.email, self.username, self.phone_number) if value}

    def body(self) -> dict[str, Any]:
        provider, _, local_id = self.user_id.partition("|")
        return {
            "user_id": self.user_id,
            "email": self.email,
            "email_verified": True,
            "username": self.username,
            "phone_number": self.phone_number,
            "identities": [
                {"connection": self.connection, "provider": provider, "user_id": local_id, "isSocial": False}
            ],
            "app_metadata": self.app_metadata,
            "user_metadata": {},
            "blocked": self.blocked,
            "logins_count": 3,
        }


def error(status: int, name: str, message: str, code: str | None = None) -> Reply:
    body: dict[str, Any] = {"statusCode": status, "error": name, "message": message}
    if code:
        body["errorCode"] = code
    return Reply(status, body)


class Auth0Simulator(Simulator):
    name = "auth0"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/oauth/token", "token"),
        ("GET", r"/api/v2/users", "search_users"),
        ("GET", r"/api/v2/users-by-email", "users_by_email"),
        ("GET", r"/api/v2/users/(?P<user>[^/]+)", "read_user"),
        ("PATCH", r"/api/v2/users/(?P<user>[^/]+)", "update_user"),
        ("GET", r"/api/v2/user-blocks", "blocks_by_identifier"),
        ("DELETE", r"/api/v2/user-blocks", "unblock_by_identifier"),
        ("GET", r"/api/v2/user-blocks/(?P<user>[^/]+)", "blocks_of_user"),
        ("DELETE", r"/api/v2/user-blocks/(?P<user>[^/]+)", "unblock_user"),
    ]

    def __init__(
        self, domain: str, client_id: str, client_secret: str, *, scopes: tuple[str, ...] = (READ, UPDATE)
    ) -> None:
        super().__init__()
        self.domain = domain
        self._settings = (client_id, client_secret, scopes)
        self.clients = {client_id: client_secret}
        self.scopes = scopes  # what the client grant allows
        self.tokens: dict[str, tuple[float, tuple[str, ...]]] = {}
        self.users: dict[str, Auth0User] = {}
        self.logs: list[dict[str, Any]] = []

    @property
    def audience(self) -> str:
        return f"https://{self.domain}/api/v2/"

    def reset(self) -> None:
        with self.lock:
            super().reset()
            client_id, client_secret, self.scopes = self._settings
            self.clients = {client_id: client_secret}
            self.tokens.clear()
            self.users.clear()
            self.logs.clear()

    # test controls ---------------------------------------------------------------------------
    def add_user(
        self, email: str, username: str | None = None, *, user_id: str | None = None, **state: Any
    ) -> Auth0User:
        user = Auth0User(user_id or f"auth0|{uuid.uuid4().hex[:24]}", email, username, **state)
        self.users[user.user_id] = user
        return user

    def fail_sign_ins(self, user: Auth0User, identifier: str | None = None, ip: str = "203.0.113.7") -> dict[str, Any]:
        """Block ``identifier`` (the e-mail by default) from ``ip`` as brute-force protection does, and
        record the ``limit_wc`` log event it writes."""
        typed = identifier or user.email
        with self.lock:
            user.blocks.append(Block(typed, ip, user.connection))
            log = log_event("limit_wc", self.domain, user.user_id, typed, connection=user.connection, ip=ip)
            self.logs.append(log)
        return log

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # token -----------------------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        form = request.json() if "json" in (request.header("content-type") or "") else request.form()
        if form.get("grant_type") != "client_credentials":
            return Reply(403, {"error": "unauthorized_client", "error_description": "Grant type not allowed"})
        client_id = form.get("client_id")
        if not client_id or self.clients.get(client_id) != form.get("client_secret"):
            return Reply(401, {"error": "access_denied", "error_description": "Unauthorized"})
        if form.get("audience") != self.audience:
            return Reply(
                403,
                {
                    "error": "access_denied",
                    "error_description": f'Client is not authorized to access "{form.get("audience")}". '
                    'You need to create a "client-grant" associated to this API.',
                },
            )
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (time.time() + 86400, self.scopes)
        return Reply(
            200, {"access_token": token, "scope": " ".join(self.scopes), "expires_in": 86400, "token_type": "Bearer"}
        )

    # management API --------------------------------------------------------------------------
    def _authorize(self, request: Request, scope: str) -> Reply | None:
        header = request.header("authorization") or ""
        expires, scopes = self.tokens.get(header.removeprefix("Bearer "), (0.0, ()))
        if not header.startswith("Bearer ") or expires < time.time():
            return error(401, "Unauthorized", "Invalid token")
        if scope not in scopes:
            return error(403, "Forbidden", f"Insufficient scope, expected any of: {scope}", "insufficient_scope")
        return None

    def _user(self, request: Request) -> Auth0User | Reply:
        user = self.users.get(unquote(request.params["user"]))
        return user or error(404, "Not Found", "The user does not exist.", "inexistent_user")

    def read_user(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ):
            return denied
        user = self._user(request)
        return user if isinstance(user, Reply) else Reply(200, user.body())

    def users_by_email(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ):
            return denied
        email = (request.query.get("email") or [""])[0]
        return Reply(200, [user.body() for user in self.users.values() if user.email == email])

    def search_users(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ):
            return denied
        terms = [SEARCH_TERM.match(term.strip()) for term in (request.query.get("q") or [""])[0].split(" OR ")]
        if not all(terms) or (request.query.get("search_engine") or [""])[0] != "v3":
            return error(400, "Bad Request", "Query validation error: invalid query", "invalid_query_string")
        wanted = [(match.group(1), match.group(2)) for match in terms if match]
        found = [u.body() for u in self.users.values() if any(getattr(u, name) == value for name, value in wanted)]
        return Reply(200, found)

    def update_user(self, request: Request) -> Reply:
        if denied := self._authorize(request, UPDATE):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("blocked"), bool):
            return error(400, "Bad Request", "Payload validation error: 'Expected type boolean'", "invalid_body")
        user.blocked = body["blocked"]
        self.count_write("user.update", user.user_id)
        return Reply(200, user.body())

    def blocks_of_user(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ):
            return denied
        user = self._user(request)
        return user if isinstance(user, Reply) else Reply(200, {"blocked_for": [vars(b) for b in user.blocks]})

    def unblock_user(self, request: Request) -> Reply:
        if denied := self._authorize(request, UPDATE):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        user.blocks.clear()
        self.count_write("user_blocks.delete", user.user_id)
        return Reply(204)

    def _identifier(self, request: Request) -> str | Reply:
        identifier = (request.query.get("identifier") or [""])[0]
        return identifier or error(
            400, "Bad Request", "Query validation error: 'identifier' is required", "invalid_query_string"
        )

    def blocks_by_identifier(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ):
            return denied
        identifier = self._identifier(request)
        if isinstance(identifier, Reply):
            return identifier
        found = [vars(b) for u in self.users.values() for b in u.blocks if b.identifier == identifier]
        return Reply(200, {"blocked_for": found})

    def unblock_by_identifier(self, request: Request) -> Reply:
        if denied := self._authorize(request, UPDATE):
            return denied
        identifier = self._identifier(request)
        if isinstance(identifier, Reply):
            return identifier
        for user in self.users.values():
            user.blocks = [block for block in user.blocks if block.identifier != identifier]
        self.count_write("user_blocks.delete", identifier)
        return Reply(204)

    # every answer carries the rate-limit headers ---------------------------------------------
    def _route(self, request: Request) -> Reply:
        reply = super()._route(request)
        if request.path.startswith("/api/v2/"):
            reply.headers = rate_limit_headers(remaining=RATE_LIMIT - 1) | reply.headers
        return reply

    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        reply = error(429, "Too Many Requests", "Global limit has been reached", "too_many_requests")
        reply.headers = rate_limit_headers(remaining=0, reset_in=retry_after)
        return reply

    def server_error(self, request: Request) -> Reply:
        return error(500, "Internal Server Error", "Internal Server Error")

    def not_routed(self, request: Request) -> Reply:
        return error(404, "Not Found", "Not Found")


def rate_limit_headers(*, remaining: int, reset_in: int = 60) -> dict[str, str]:
    """The three headers of "Rate Limit Policy": the limit, what is left, and the UNIX time it resets."""
    return {
        "x-ratelimit-limit": str(RATE_LIMIT),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(time.time()) + reset_in),
    }


def log_event(
    kind: str,
    domain: str,
    user_id: str | None,
    user_name: str | None,
    *,
    connection: str = DATABASE,
    ip: str = "203.0.113.7",
    log_id: str | None = None,
) -> dict[str, Any]:
    """One tenant log event as a log stream delivers it: ``{"log_id", "data": {...}}`` ("Log Event Type
    Codes"; each type's page lists ``data``'s fields: ``type``, ``date``, ``description``, ``ip``,
    ``connection``, ``user_id``, ``user_name``, ``hostname``, ``log_id``…)."""
    identifier = log_id or f"900{time.strftime('%Y%m%d%H%M%S')}{secrets.randbelow(10**20):020d}"
    return {
        "log_id": identifier,
        "data": {
            "log_id": identifier,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "type": kind,
            "description": f"{kind} for {user_name or user_id}",
            "connection": connection,
            "ip": ip,
            "user_id": user_id or "",
            "user_name": user_name or "",
            "hostname": domain,
            "tenant_name": domain.split(".")[0],
        },
    }
