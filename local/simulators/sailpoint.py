"""SailPoint Identity Security Cloud simulator: token, account look-up and read, account unlock (seed 001).

Serves ``/oauth/token`` (also under one path prefix, e.g. ``/vanity/oauth/token``, standing in for a
vanity token host) and the ``/v3/accounts`` API. Errors use the seed's bodies: ``{"detailCode",
"trackingId","messages","causes"}`` for 400/403/404/500, ``{"error": "JWT validation failed: ..."}``
for 401 and ``{"message": " Rate Limit Exceeded "}`` with ``Retry-After`` for 429, at 100 requests per
10 s per token (``rate_limit``, ``rate_window``).

An unlock completes immediately by default; ``unlock_after_reads = n`` keeps the account reported
as locked for the first ``n`` reads after the unlock (an asynchronous task), ``None`` forever.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from local.simulators.base import Reply, Request, Simulator

FILTER = re.compile(r'^nativeIdentity eq "([^"]*)"(?: and sourceId eq "([^"]*)")?$')
ACCOUNTS = r"/v3/accounts"
ACCOUNT = ACCOUNTS + r"/(?P<account>[^/]+)"
UNLOCK_FIELDS = {"externalVerificationId": str, "unlockIDNAccount": bool, "forceProvisioning": bool}
MESSAGES = {
    400: (
        "400.1 Bad Request Content",
        "The request was syntactically correct but its content is semantically invalid.",
    ),
    403: ("403 Forbidden", "The server understood the request but refuses to authorize it."),
    404: ("404 Not found", "The server did not find a current representation for the target resource."),
    500: ("500.0 Internal Fault", "An internal fault occurred."),
}
EXPIRED = {"error": "JWT validation failed: JWT is expired"}
RATE_LIMITED = {"message": " Rate Limit Exceeded "}


def error_body(status: int, cause: str | None = None) -> dict[str, Any]:
    """The seed's error body for 400/403/404/500 with a fresh ``trackingId``."""
    code, text = MESSAGES[status]
    body: dict[str, Any] = {
        "detailCode": code,
        "trackingId": uuid.uuid4().hex,
        "messages": [{"locale": "en-US", "localeOrigin": "DEFAULT", "text": text}],
    }
    if cause:
        body["causes"] = [{"locale": "en-US", "localeOrigin": "DEFAULT", "text": cause}]
    return body


def error(status: int, cause: str | None = None) -> Reply:
    return Reply(status, error_body(status, cause))


@dataclass
class SailPointAccount:
    id: str
    native_identity: str
    source_id: str
    locked: bool = True
    reads_until_unlocked: int | None = None  # set by an unlock that completes later; None = no task pending
    task_pending: bool = False

    def body(self, detail: str = "FULL") -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.native_identity,
            "nativeIdentity": self.native_identity,
            "sourceId": self.source_id,
            "sourceName": "Active Directory",
            "identityId": uuid.uuid5(uuid.NAMESPACE_OID, self.id).hex,
            "uuid": "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.id)) + "}",
            "locked": self.locked,
            "disabled": False,
            "authoritative": False,
            "systemAccount": False,
            "uncorrelated": False,
            "manuallyCorrelated": False,
            "hasEntitlements": True,
            "created": "2024-01-02T10:00:00.000Z",
            "modified": "2024-06-01T08:30:00.000Z",
        }
        if detail == "FULL":
            body["attributes"] = {"sAMAccountName": self.native_identity, "lockoutTime": "1" if self.locked else "0"}
        return body


class SailPointSimulator(Simulator):
    name = "sailpoint"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"(?:/[A-Za-z0-9_.-]+)?/oauth/token", "token"),
        ("GET", ACCOUNTS, "list_accounts"),
        ("GET", ACCOUNT, "get_account"),
        ("POST", ACCOUNT + r"/unlock", "unlock_account"),
    ]

    def __init__(self, client_id: str, client_secret: str, token_lifetime: int = 749) -> None:
        super().__init__()
        self.clients = {client_id: client_secret}
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}
        self.accounts: dict[str, SailPointAccount] = {}
        self.default_source_id = secrets.token_hex(16)
        self.unlock_after_reads: int | None = 0
        self.provisioning_scope = True  # False: a token without idn:accounts-provisioning:manage (403)
        self.rate_limit = 100
        self.rate_window = 10.0
        self._windows: dict[str, tuple[float, int]] = {}
        self.tasks: list[dict[str, Any]] = []
        self._settings = (dict(self.clients), token_lifetime)

    def reset(self) -> None:
        """Forget accounts, tokens, tasks and rate windows, and put the switches back to their defaults."""
        super().reset()
        with self.lock:
            clients, self.token_lifetime = self._settings
            self.clients = dict(clients)
            self.tokens.clear()
            self.accounts.clear()
            self.tasks.clear()
            self._windows.clear()
            self.unlock_after_reads = 0
            self.provisioning_scope = True
            self.rate_limit, self.rate_window = 100, 10.0

    def add_account(
        self, native_identity: str, *, account_id: str | None = None, source_id: str | None = None, locked: bool = True
    ) -> SailPointAccount:
        account = SailPointAccount(
            account_id or secrets.token_hex(16), native_identity, source_id or self.default_source_id, locked
        )
        self.accounts[account.id] = account
        return account

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as an expiry would."""
        self.tokens.clear()

    # token endpoint --------------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        if not (request.header("content-type") or "").startswith("application/x-www-form-urlencoded"):
            return Reply(400, {"error": "invalid_request", "error_description": "Missing grant type"})
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
        client_id = form.get("client_id")
        if not client_id or self.clients.get(client_id) != form.get("client_secret"):
            return Reply(401, {"error": "invalid_client", "error_description": "Bad credentials"})
        token = secrets.token_urlsafe(48)
        self.tokens[token] = time.time() + self.token_lifetime
        return Reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "scope": "sp:scopes:all",
                "tenant_id": "cc31a307-8a8d-49e8-93b9-c7cbe20e2e6b",
                "pod": "stg01-useast1",
                "strong_auth_supported": False,
                "org": "acme",
                "claims_supported": False,
                "internal": True,
                "jti": str(uuid.uuid4()),
            },
        )

    # api -------------------------------------------------------------------------------------
    def _authorize(self, request: Request) -> Reply | None:
        header = request.header("authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        if self.tokens.get(token, 0) < time.time():
            return Reply(401, EXPIRED)
        now = time.monotonic()
        start, count = self._windows.get(token, (now, 0))
        if now - start >= self.rate_window:
            start, count = now, 0
        if count >= self.rate_limit:
            wait = max(1, math.ceil(start + self.rate_window - now))
            return Reply(429, RATE_LIMITED, {"Retry-After": str(wait)})
        self._windows[token] = (start, count + 1)
        return None

    def list_accounts(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        match = FILTER.match((request.query.get("filters") or [""])[0])
        detail = (request.query.get("detailLevel") or ["FULL"])[0]
        limit = (request.query.get("limit") or ["250"])[0]
        if not match or detail not in ("SLIM", "FULL") or not limit.isdigit() or not 0 <= int(limit) <= 250:
            return error(400, "filters, detailLevel or limit is invalid")
        native_identity, source_id = match.groups()
        found = [
            a.body(detail)
            for a in self.accounts.values()
            if a.native_identity == native_identity and (source_id is None or a.source_id == source_id)
        ]
        return Reply(200, found[: int(limit)], {"X-Total-Count": str(len(found))})

    def _account(self, request: Request) -> SailPointAccount | Reply:
        account = self.accounts.get(request.params["account"])
        return account or error(404)

    def get_account(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        account = self._account(request)
        if isinstance(account, Reply):
            return account
        if account.task_pending:
            if account.reads_until_unlocked is not None and account.reads_until_unlocked <= 0:
                account.locked, account.task_pending = False, False
            elif account.reads_until_unlocked is not None:
                account.reads_until_unlocked -= 1
        return Reply(200, account.body())

    def unlock_account(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        if not (request.header("content-type") or "").startswith("application/json"):
            return error(400, "Content-Type must be application/json")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "The request body is not valid JSON")
        if not isinstance(body, dict):
            return error(400, "The request body must be an AccountUnlockRequest object")
        for name, value in body.items():
            expected = UNLOCK_FIELDS.get(name)
            if expected is None or not isinstance(value, expected):
                return error(400, f"{name} is not a valid AccountUnlockRequest field")
        account = self._account(request)
        if isinstance(account, Reply):
            return account
        if body.get("forceProvisioning") and not self.provisioning_scope:
            return error(403, "forceProvisioning requires the idn:accounts-provisioning:manage scope")
        task = {"id": secrets.token_hex(16), "accountId": account.id, "request": body}
        self.tasks.append(task)
        if self.unlock_after_reads == 0:
            account.locked, account.task_pending = False, False
        else:
            account.task_pending, account.reads_until_unlocked = True, self.unlock_after_reads
        return Reply(202, {"id": task["id"]})

    def not_routed(self, request: Request) -> Reply:
        return error(404)
