"""SailPoint Identity Security Cloud simulator: token, accounts, identities and the account unlock.

Each behaviour follows one of SailPoint's pages (cited where it is emulated):

- Authentication — https://developer.sailpoint.com/docs/api/authentication
- Accounts list — https://developer.sailpoint.com/docs/api/v3/list-accounts
- Account details — https://developer.sailpoint.com/docs/api/v3/get-account
- Unlock account — https://developer.sailpoint.com/docs/api/v3/unlock-account
- List identities — https://developer.sailpoint.com/docs/api/v2025/list-identities
- Standard Collection Parameters — https://developer.sailpoint.com/docs/api/standard-collection-parameters
- Rate Limiting — https://developer.sailpoint.com/docs/api/rate-limit

Serves ``/oauth/token`` (also under one path prefix, e.g. ``/vanity/oauth/token``, standing in for a
vanity ``tokenEndpoint``), ``/v3/accounts`` and ``/v2025/identities``. Controls for tests and the
local run: ``fail``/``delay`` (the base simulator), ``rate_limit``/``rate_window``,
``unlock_after_reads`` (an unlock completes immediately by default; ``n`` keeps the account reported
as locked for the first ``n`` account reads after the unlock, as an asynchronous task would; ``None``
forever), ``provisioning_scope`` and ``identity_scope`` (a token without that scope gets 403).
``writes`` counts the unlocks per account id. The random faults of ``inject``
(``local.simulators.base.Chaos``) are answered with the documented 429 body and ``Retry-After`` (Rate
Limiting) and the documented 500 body ("500.0 Internal Fault", on the pages above).
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from local.simulators.base import Reply, Request, Simulator

ACCOUNTS = r"/v3/accounts"
ACCOUNT = ACCOUNTS + r"/(?P<account>[^/]+)"
UNLOCK = ACCOUNT + r"/unlock"
IDENTITIES = r"/v2025/identities"
UNLOCK_FIELDS = {"externalVerificationId": str, "unlockIDNAccount": bool, "forceProvisioning": bool}
# Standard Collection Parameters: `field op "value"` clauses joined by `and`; `\"` and `\\` escape.
CLAUSE = re.compile(r'(?P<field>[A-Za-z][A-Za-z.]*) (?P<op>[a-z]+) "(?P<value>(?:[^"\\]|\\.)*)"')
ESCAPE = re.compile(r"\\(.)")
MAX_LIMIT = 250  # Standard Collection Parameters: at most 250 records per page for list endpoints
# Accounts list, example "List of slim accounts that would result with detailLevel = SLIM" (the
# beta page; the v3 page names SLIM without listing its fields).
SLIM_FIELDS = frozenset(
    {
        "attributes", "created", "description", "disabled", "features", "hasEntitlements", "id", "identityId",
        "locked", "manuallyCorrelated", "modified", "name", "nativeIdentity", "sourceId", "uuid",
    }
)  # fmt: skip
# The documented 400/403/404/500 bodies (ErrorResponseDto examples on the pages above).
MESSAGES = {
    400: (
        "400.1 Bad Request Content",
        "The request was syntactically correct but its content is semantically invalid.",
    ),
    403: ("403 Forbidden", "The server understood the request but refuses to authorize it."),
    404: ("404 Not found", "The server did not find a current representation for the target resource."),
    500: ("500.0 Internal Fault", "An internal fault occurred."),
}
EXPIRED = {"error": "JWT validation failed: JWT is expired"}  # the documented 401 body
RATE_LIMITED = {"message": " Rate Limit Exceeded "}  # the documented 429 body, sent with Retry-After


def error_body(status: int, cause: str | None = None) -> dict[str, Any]:
    """The documented error body for 400/403/404/500 with a fresh ``trackingId``."""
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
class SailPointIdentity:
    id: str
    name: str
    email: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # identity attributes (department, …)

    def body(self) -> dict[str, Any]:
        """The ``Identity`` of List identities, with ``attributes``: "A map with the identity attributes
        for the identity" (the Identity model of SailPoint's SDKs, e.g.
        https://developer.sailpoint.com/docs/tools/sdk/python/v2024/models/identity)."""
        return {
            "id": self.id,
            "name": self.name,
            "alias": self.name,
            "emailAddress": self.email,
            "attributes": {"uid": self.name, "email": self.email} | self.attributes,
            "processingState": None,
            "identityStatus": "ACTIVE",
            "isManager": False,
            "created": "2024-01-02T10:00:00.000Z",
            "modified": "2024-06-01T08:30:00.000Z",
        }


@dataclass
class SailPointAccount:
    id: str
    native_identity: str
    name: str
    source_id: str
    identity: SailPointIdentity
    locked: bool = True
    reads_until_unlocked: int | None = None  # set by an unlock that completes later
    task_pending: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)  # more source attributes (memberOf, …)

    @property
    def identity_id(self) -> str:
        return self.identity.id

    def body(self, detail: str = "FULL") -> dict[str, Any]:
        """The ``Account`` of Accounts list / Account details (FULL), or the SLIM subset."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "nativeIdentity": self.native_identity,
            "sourceId": self.source_id,
            "sourceName": "Active Directory",
            "identityId": self.identity.id,
            "identity": {"id": self.identity.id, "type": "IDENTITY", "name": self.identity.name},
            "uuid": "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.id)) + "}",
            "attributes": {"sAMAccountName": self.name, "lockoutTime": "1" if self.locked else "0"} | self.attributes,
            "locked": self.locked,
            "disabled": False,
            "authoritative": False,
            "systemAccount": False,
            "uncorrelated": False,
            "manuallyCorrelated": False,
            "hasEntitlements": True,
            "description": None,
            "features": "PROVISIONING, AUTHENTICATE, UNLOCK",
            "origin": "AGGREGATED",
            "created": "2024-01-02T10:00:00.000Z",
            "modified": "2024-06-01T08:30:00.000Z",
        }
        if detail == "SLIM":
            return {key: value for key, value in body.items() if key in SLIM_FIELDS} | {"attributes": None}
        return body


# The fields each collection filters on with `eq` (of those its page lists; other documented fields
# and operators are not emulated and answer 400, as an unsupported filter does).
ACCOUNT_FILTERS: dict[str, Callable[[SailPointAccount], str | None]] = {
    "id": lambda a: a.id,
    "identityId": lambda a: a.identity.id,
    "name": lambda a: a.name,
    "nativeIdentity": lambda a: a.native_identity,
    "sourceId": lambda a: a.source_id,
}
IDENTITY_FILTERS: dict[str, Callable[[SailPointIdentity], str | None]] = {
    "id": lambda i: i.id,
    "alias": lambda i: i.name,
    "email": lambda i: i.email,
}


def parse_filters(text: str) -> list[tuple[str, str, str]] | None:
    """``[(field, operator, value)]`` of an ``and`` of clauses, or ``None`` when the syntax is invalid."""
    clauses: list[tuple[str, str, str]] = []
    position = 0
    while match := CLAUSE.match(text, position):
        clauses.append((match["field"], match["op"], ESCAPE.sub(r"\1", match["value"])))
        position = match.end()
        if position == len(text):
            return clauses
        if not text.startswith(" and ", position):
            return None
        position += len(" and ")
    return None


@dataclass
class Page:
    """The filters and page of a collection request, or the 400 that refuses them."""

    clauses: list[tuple[str, str, str]] = field(default_factory=list)
    limit: int = MAX_LIMIT
    offset: int = 0
    count: bool = False
    refused: Reply | None = None


class SailPointSimulator(Simulator):
    name = "sailpoint"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"(?:/[A-Za-z0-9_.-]+)?/oauth/token", "token"),
        ("GET", ACCOUNTS, "list_accounts"),
        ("GET", ACCOUNT, "get_account"),
        ("POST", UNLOCK, "unlock_account"),
        ("GET", IDENTITIES, "list_identities"),
    ]

    def __init__(self, client_id: str, client_secret: str, token_lifetime: int = 749) -> None:
        super().__init__()
        self.clients = {client_id: client_secret}
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, tuple[float, str]] = {}  # token → (expiry, client_id)
        self.accounts: dict[str, SailPointAccount] = {}
        self.identities: dict[str, SailPointIdentity] = {}
        self.default_source_id = secrets.token_hex(16)
        self.unlock_after_reads: int | None = 0
        self.provisioning_scope = True  # False: a token without idn:accounts-provisioning:manage (403)
        self.identity_scope = True  # False: a token without idn:identity:read (403 on List identities)
        self.rate_limit = 100
        self.rate_window = 10.0
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self.tasks: list[dict[str, Any]] = []
        self._settings = (dict(self.clients), token_lifetime)

    def reset(self) -> None:
        """Forget accounts, identities, tokens, tasks and rate windows; switches back to their defaults."""
        super().reset()
        with self.lock:
            clients, self.token_lifetime = self._settings
            self.clients = dict(clients)
            self.tokens.clear()
            self.accounts.clear()
            self.identities.clear()
            self.tasks.clear()
            self._windows.clear()
            self.unlock_after_reads = 0
            self.provisioning_scope = True
            self.identity_scope = True
            self.rate_limit, self.rate_window = 100, 10.0

    # test controls -----------------------------------------------------------------------------
    def add_account(
        self,
        native_identity: str,
        *,
        name: str | None = None,
        email: str | None = None,
        identity: SailPointIdentity | None = None,
        account_id: str | None = None,
        source_id: str | None = None,
        locked: bool = True,
    ) -> SailPointAccount:
        """An account (``name`` defaults to ``native_identity``) correlated to ``identity``, or to a new
        identity with ``email``."""
        with self.lock:
            if identity is None:
                identity = SailPointIdentity(secrets.token_hex(16), name or native_identity, email)
            self.identities[identity.id] = identity
            account = SailPointAccount(
                account_id or secrets.token_hex(16),
                native_identity,
                name or native_identity,
                source_id or self.default_source_id,
                identity,
                locked,
            )
            self.accounts[account.id] = account
            return account

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as an expiry would."""
        with self.lock:
            self.tokens.clear()

    # token endpoint (Authentication: client-credentials grant, form fields) ----------------------
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
        self.tokens[token] = (time.time() + self.token_lifetime, client_id)
        # Authentication, "OAuth token response": expires_in 749 in its example.
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

    # api -----------------------------------------------------------------------------------------
    def _authorize(self, request: Request) -> Reply | None:
        """401 with the documented body for a missing or expired token; Rate Limiting: 100 requests per
        ``client_id`` and API version per 10 s, then 429 with ``Retry-After`` in seconds."""
        header = request.header("authorization") or ""
        expiry, client_id = self.tokens.get(header[7:] if header.startswith("Bearer ") else "", (0.0, ""))
        if expiry < time.time():
            return Reply(401, EXPIRED)
        window = (client_id, request.path.split("/")[1])
        now = time.monotonic()
        start, count = self._windows.get(window, (now, 0))
        if now - start >= self.rate_window:
            start, count = now, 0
        if count >= self.rate_limit:
            wait = max(1, math.ceil(start + self.rate_window - now))
            return Reply(429, RATE_LIMITED, {"Retry-After": str(wait)})
        self._windows[window] = (start, count + 1)
        return None

    def _page(self, request: Request, fields: dict[str, Any]) -> Page:
        """Standard Collection Parameters: ``limit`` 0 to 250 (default 250), ``offset``, ``count``,
        ``filters``; an unsupported filter expression is a 400 Bad Request."""
        limit = (request.query.get("limit") or [str(MAX_LIMIT)])[0]
        offset = (request.query.get("offset") or ["0"])[0]
        if not limit.isdigit() or int(limit) > MAX_LIMIT or not offset.isdigit():
            return Page(refused=error(400, "limit or offset is invalid"))
        page = Page(limit=int(limit), offset=int(offset), count=request.query.get("count") == ["true"])
        text = (request.query.get("filters") or [""])[0]
        clauses = parse_filters(text) if text else []
        if clauses is None:
            return Page(refused=error(400, "filters is not a valid filter expression"))
        for name, operator, _ in clauses:
            if name not in fields or operator != "eq":
                return Page(refused=error(400, f"filtering on {name} with {operator} is not supported"))
        page.clauses = clauses
        return page

    @staticmethod
    def _matches(item: Any, clauses: list[tuple[str, str, str]], fields: dict[str, Any]) -> bool:
        """Standard Collection Parameters: "Most comparisons are not case sensitive"."""
        return all((fields[name](item) or "").casefold() == value.casefold() for name, _, value in clauses)

    @staticmethod
    def _collection(found: list[dict[str, Any]], page: Page) -> Reply:
        """A JSON array; ``X-Total-Count`` only when ``count=true`` was asked."""
        headers = {"X-Total-Count": str(len(found))} if page.count else {}
        return Reply(200, found[page.offset : page.offset + page.limit], headers)

    def list_accounts(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        page = self._page(request, ACCOUNT_FILTERS)
        detail = (request.query.get("detailLevel") or ["FULL"])[0]  # Accounts list: FULL is the default
        if page.refused or detail not in ("SLIM", "FULL"):
            return page.refused or error(400, "detailLevel must be SLIM or FULL")
        found = [a.body(detail) for a in self.accounts.values() if self._matches(a, page.clauses, ACCOUNT_FILTERS)]
        return self._collection(found, page)

    def list_identities(self, request: Request) -> Reply:
        if denied := self._authorize(request):
            return denied
        if not self.identity_scope:  # List identities: scope idn:identity:read (or :manage)
            return error(403, "the token has no scope that allows listing identities")
        page = self._page(request, IDENTITY_FILTERS)
        if page.refused:
            return page.refused
        found = [i.body() for i in self.identities.values() if self._matches(i, page.clauses, IDENTITY_FILTERS)]
        return self._collection(found, page)

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
        """Unlock account: a required ``AccountUnlockRequest`` JSON body → 202 ``{"id": task id}``;
        ``forceProvisioning`` needs the ``idn:accounts-provisioning:manage`` scope."""
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
        self.count_write("account.unlock", account.id)
        if self.unlock_after_reads == 0:
            account.locked, account.task_pending = False, False
        else:
            account.task_pending, account.reads_until_unlocked = True, self.unlock_after_reads
        return Reply(202, {"id": task["id"]})

    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        return Reply(429, RATE_LIMITED, {"Retry-After": str(retry_after)})

    def server_error(self, request: Request) -> Reply:
        return error(500)

    def not_routed(self, request: Request) -> Reply:
        return error(404)
