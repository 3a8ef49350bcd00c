"""Okta simulator: the org authorization server's token endpoint, user reads, searches, groups and unlock.

Each behaviour follows an Okta Developer page:
- ``POST /oauth2/v1/token``: "Implement OAuth for Okta with a service app"
  (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/) and its "Create
  and sign the JWT" step (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/create-sign-jwt/):
  ``grant_type=client_credentials``, ``scope``, a ``private_key_jwt`` client assertion whose ``aud`` is
  the token URL, ``iss`` and ``sub`` the client id, ``exp`` "a maximum of only an hour in the future",
  and ``jti`` "used to prevent the JWT from being replayed" (a used ``jti`` is refused here); the
  answer is ``{"token_type": "Bearer", "expires_in": 3600, "access_token", "scope"}``; a refused
  client is 401 ``invalid_client``, a scope the app was not granted 400 ``invalid_scope``;
- API authentication: "Okta Management: Authentication"
  (https://developer.okta.com/docs/api/openapi/okta-management/guides/overview/): a scoped access
  token (``Bearer``) or an API token (``SSWS``); an invalid one is 401 ``E0000011`` "Invalid token
  provided"; a token without the operation's scope is 403 ``E0000006`` with a ``WWW-Authenticate``
  naming ``insufficient_scope`` (reads need ``okta.users.read`` or ``okta.users.manage``, the unlock
  ``okta.users.manage``: "User Lifecycle");
- ``GET /api/v1/users/{id}`` and ``GET /api/v1/users?search=…``: "User"
  (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/): ``search`` on
  ``profile.login`` or ``profile.email`` with ``eq`` (others: 400 ``E0000031`` "Invalid search
  criteria."), ``limit``; an unknown id is 404 ``E0000007`` "Not found: Resource not found: {id} (User)";
- ``GET /api/v1/users/{id}/groups``: "User Resources", "List all groups of a user"
  (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserResources), pages of
  ``limit`` groups with a ``Link: <…>; rel="next"`` header;
- ``POST /api/v1/users/{id}/lifecycle/unlock``: "User Lifecycle"
  (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserLifecycle): a
  ``LOCKED_OUT`` user becomes ``ACTIVE`` (200, ``{}``); the page documents the operation as working
  with Okta-sourced users only. What Okta answers for a user that is not locked, or directory-sourced,
  is not documented: here 400 ``E0000001`` "Api validation failed" ("Okta error codes and
  descriptions", https://developer.okta.com/docs/reference/error-codes/: an endpoint's precondition);
- every answer carries ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset``
  (epoch seconds), and a 429 ``E0000047`` carries them and no ``Retry-After`` ("Rate limit best
  practices", https://developer.okta.com/docs/reference/rl-best-practices/; E0000047 "API call
  exceeded rate limit due to too many requests", "Okta error codes and descriptions"); so do the random
  faults of ``inject`` (``local.simulators.base.Chaos``), whose 5xx is 500 ``E0000009`` "Internal
  Server Error". Error bodies are ``{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}``.

``events`` lists what Okta's System Log would show for the lockouts and unlocks; ``writes`` counts the
unlocks per user id.
"""

from __future__ import annotations

import math
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from local.simulators.base import Reply, Request, Simulator

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
SEARCH = re.compile(r'^(profile\.login|profile\.email) eq "([^"]*)"$')
USERS = r"/api/v1/users"
READ_SCOPES = {"okta.users.read", "okta.users.manage"}
MANAGE_SCOPE = "okta.users.manage"
RATE_LIMIT = 600  # the ceiling the headers report (requests per minute)
# errorSummary of each errorCode ("Okta error codes and descriptions").
SUMMARIES = {
    "E0000001": "Api validation failed: unlock",
    "E0000006": "You do not have permission to perform the requested action",
    "E0000007": "Not found: Resource not found: {0} (User)",
    "E0000009": "Internal Server Error",
    "E0000011": "Invalid token provided",
    "E0000031": "Invalid search criteria.",
    "E0000047": "API call exceeded rate limit due to too many requests.",
}


def new_service_app_key() -> bytes:
    """A private key (PEM, PKCS#8, EC P-256: ES256) for a local service app; its public half goes to ``add_client``."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(private_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def error(
    status: int, code: str, *args: str, causes: list[str] | None = None, headers: dict[str, str] | None = None
) -> Reply:
    body = {
        "errorCode": code,
        "errorSummary": SUMMARIES[code].format(*args),
        "errorLink": code,
        "errorId": f"oae{secrets.token_urlsafe(16)}",
        "errorCauses": [{"errorSummary": cause} for cause in causes or []],
    }
    return Reply(status, body, dict(headers or {}))


def rate_limit_headers(remaining: int, reset_in: float) -> dict[str, str]:
    """The three headers of every answer; ``X-Rate-Limit-Reset`` in UTC epoch seconds."""
    return {
        "X-Rate-Limit-Limit": str(RATE_LIMIT),
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Reset": str(math.ceil(time.time() + reset_in)),
    }


def too_many_requests(reset_in: float) -> Reply:
    """Okta's 429: E0000047 and the rate-limit headers, no ``Retry-After``."""
    return error(429, "E0000047", headers=rate_limit_headers(0, reset_in))


@dataclass
class OktaUser:
    id: str
    login: str
    email: str
    status: str = "LOCKED_OUT"
    provider: str = "OKTA"  # credentials.provider.type
    type_id: str = "oty1162QAr8hJjTaq0g4"
    groups: list[tuple[str, str]] = field(default_factory=list)  # (group id, name)

    @property
    def locked(self) -> bool:
        return self.status == "LOCKED_OUT"

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "created": "2024-04-04T15:56:05.000Z",
            "type": {"id": self.type_id},
            "profile": {
                "firstName": self.login.split("@")[0],
                "lastName": "Doe",
                "login": self.login,
                "email": self.email,
            },
            "credentials": {"password": {}, "provider": {"type": self.provider, "name": self.provider}},
        }


def okta_id(prefix: str) -> str:
    """An id shaped like Okta's (``00u`` users, ``00g`` groups): 20 letters and digits."""
    return prefix + uuid.uuid4().hex[: 20 - len(prefix)]


class OktaSimulator(Simulator):
    name = "okta"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/oauth2/v1/token", "token"),
        ("GET", USERS, "list_users"),
        ("GET", USERS + r"/(?P<user>[^/]+)", "read_user"),
        ("GET", USERS + r"/(?P<user>[^/]+)/groups", "user_groups"),
        ("POST", USERS + r"/(?P<user>[^/]+)/lifecycle/unlock", "unlock"),
    ]

    def __init__(
        self, client_id: str, public_key: bytes, api_token: str, scopes: tuple[str, ...] = (MANAGE_SCOPE,)
    ) -> None:
        super().__init__()
        self.clients = {client_id: public_key}
        self.granted = set(scopes)
        self.api_tokens = {api_token}
        self.tokens: dict[str, tuple[float, set[str]]] = {}  # access token → (expiry, scopes)
        self.used_jtis: set[str] = set()
        self.users: dict[str, OktaUser] = {}
        self.events: list[tuple[str, str]] = []  # (System Log event type, user id)
        self._settings = (client_id, public_key, api_token, scopes)

    def reset(self) -> None:
        """Forget users, tokens and used assertions too, so one started simulator serves many tests."""
        super().reset()
        with self.lock:
            client_id, public_key, api_token, scopes = self._settings
            self.clients, self.granted, self.api_tokens = {client_id: public_key}, set(scopes), {api_token}
            self.tokens.clear()
            self.used_jtis.clear()
            self.users.clear()
            self.events.clear()

    def add_user(self, login: str, email: str | None = None, *, status: str = "LOCKED_OUT", **fields: Any) -> OktaUser:
        user = OktaUser(fields.pop("user_id", None) or okta_id("00u"), login, email or login, status, **fields)
        self.users[user.id] = user
        return user

    def fail_sign_ins(self, user: OktaUser) -> None:
        """Lock ``user`` as too many failed sign-ins do (System Log ``user.account.lock``)."""
        user.status = "LOCKED_OUT"
        self.events.append(("user.account.lock", user.id))

    def rate_limit(self, reset_in: float, *, times: int = 1, method: str | None = None, path: str = "") -> None:
        """Answer the next matching requests with Okta's 429, the window resetting ``reset_in`` seconds from now."""
        reply = too_many_requests(reset_in)
        self.fail(reply.status, reply.body, headers=reply.headers, times=times, method=method, path=path)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # authorization server --------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "grant_type"})
        if form.get("client_assertion_type") != JWT_BEARER or not self._valid_assertion(
            form.get("client_assertion", "")
        ):
            return Reply(401, {"error": "invalid_client", "error_description": "The client_assertion is invalid."})
        scopes = set(form.get("scope", "").split())
        if not scopes or not scopes <= self.granted:
            return Reply(400, {"error": "invalid_scope", "error_description": "One or more scopes are not granted."})
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (time.time() + 3600, scopes)
        return Reply(
            200, {"token_type": "Bearer", "expires_in": 3600, "access_token": token, "scope": " ".join(sorted(scopes))}
        )

    def _valid_assertion(self, assertion: str) -> bool:
        try:
            client_id = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
            public_key = self.clients.get(client_id)
            if public_key is None:
                return False
            claims = jwt.decode(
                assertion,
                public_key,
                algorithms=ASSERTION_ALGORITHMS,
                audience=f"{self.url}/oauth2/v1/token",
                issuer=client_id,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError:
            return False
        jti = claims.get("jti")
        if claims.get("sub") != client_id or claims["exp"] > time.time() + 3600 or jti in self.used_jtis:
            return False
        if jti:
            self.used_jtis.add(jti)
        return True

    # management API --------------------------------------------------------------------------
    def _authorize(self, request: Request, needed: set[str]) -> Reply | None:
        scheme, _, credential = (request.header("authorization") or "").partition(" ")
        if scheme == "SSWS" and credential in self.api_tokens:
            return None  # an API token carries its admin's permissions, not scopes
        expiry, scopes = self.tokens.get(credential, (0.0, set())) if scheme == "Bearer" else (0.0, set())
        if expiry < time.time():
            return error(401, "E0000011")
        if not scopes & needed:
            challenge = (
                f'Bearer realm="IdpMyAccountAPI", error="insufficient_scope", scope="{" ".join(sorted(needed))}"'
            )
            return error(403, "E0000006", headers={"WWW-Authenticate": challenge})
        return None

    def _user(self, request: Request) -> OktaUser | Reply:
        user = self.users.get(request.params["user"])
        return user or error(404, "E0000007", request.params["user"])

    def list_users(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ_SCOPES):
            return denied
        match = SEARCH.match((request.query.get("search") or [""])[0])
        if not match:
            return error(400, "E0000031")
        attribute, value = match.groups()
        found = [u.body() for u in self.users.values() if getattr(u, attribute.removeprefix("profile.")) == value]
        limit = int((request.query.get("limit") or ["200"])[0])
        return Reply(200, found[:limit])

    def read_user(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ_SCOPES):
            return denied
        user = self._user(request)
        return user if isinstance(user, Reply) else Reply(200, user.body())

    def user_groups(self, request: Request) -> Reply:
        if denied := self._authorize(request, READ_SCOPES):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        limit = int((request.query.get("limit") or ["200"])[0])
        start = int((request.query.get("after") or ["0"])[0])
        page = [
            {"id": gid, "type": "OKTA_GROUP", "profile": {"name": name}}
            for gid, name in user.groups[start : start + limit]
        ]
        headers = {}
        if start + limit < len(user.groups):
            headers["Link"] = f'<{self.url}{request.path}?limit={limit}&after={start + limit}>; rel="next"'
        return Reply(200, page, headers)

    def unlock(self, request: Request) -> Reply:
        if denied := self._authorize(request, {MANAGE_SCOPE}):
            return denied
        user = self._user(request)
        if isinstance(user, Reply):
            return user
        if not user.locked or user.provider in {"ACTIVE_DIRECTORY", "LDAP"}:
            return error(400, "E0000001", causes=["unlock: the user is not LOCKED_OUT or is not sourced by Okta"])
        user.status = "ACTIVE"
        self.events.append(("user.account.unlock_by_admin", user.id))
        self.count_write("user.unlock", user.id)
        return Reply(200, {})

    # every answer carries the rate-limit headers -------------------------------------------------
    def _route(self, request: Request) -> Reply:
        reply = super()._route(request)
        return Reply(
            reply.status, reply.body, rate_limit_headers(RATE_LIMIT - 1, 60) | reply.headers, reply.content_type
        )

    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        return too_many_requests(retry_after)

    def server_error(self, request: Request) -> Reply:
        return error(500, "E0000009")

    def not_routed(self, request: Request) -> Reply:
        return error(404, "E0000007", request.path)
