"""SailPoint Identity Security Cloud (IdentityNow): submit an account-unlock task, once.

Every call follows SailPoint's API pages (cited where each is made):

- token: client-credentials grant at ``{base}/oauth/token`` or the tenant's vanity ``tokenEndpoint``
  (Authentication, https://developer.sailpoint.com/docs/api/authentication);
- the account: by its id, or found with ``GET /v3/accounts?filters=…`` by the configured account
  attribute (``name`` or ``nativeIdentity``), or, for an e-mail, through the identity
  (``GET /v2025/identities?filters=email eq "…"``) and that identity's account on ``source_id``;
- ``locked`` is read before the write: an account SailPoint shows as not locked is left alone;
- ``POST /v3/accounts/{id}/unlock`` → 202 with the id of the asynchronous task, sent through
  ``steps.once("sailpoint.unlock", …)`` so no retry of the request submits it twice;
- with ``confirm`` set, the account is re-read until ``locked`` is false, a bounded number of times.

For a connection policy (``Steps.admit``): ``account.<name>`` is the account's source attribute
``attributes.<name>`` (Account details / Accounts list), ``identity.<name>`` the identity attribute of
its identity (``attributes`` of the ``Identity`` of List identities). An account named by its id is
read (Account details) when the policy checks accounts at all, and an identity not already looked up
is listed by ``id eq`` only when the policy names identity attributes.
"""

from __future__ import annotations

import re
import time
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import requests
from pydantic import Field, SecretStr

from account_unlock.errors import PermanentError, UnlockError
from account_unlock.http import budget, classify_status, json_body
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Account, Steps, Write, values
from account_unlock.tokens import TokenCache, bearer_request
from account_unlock.validation import HEX32, filter_value, path_segment, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

# Every API path in one place: SailPoint is moving to per-service paths (``/accounts/v1/...``).
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
ACCOUNTS_PATH = "/v3/accounts"
ACCOUNT_PATH = "/v3/accounts/{id}"
UNLOCK_PATH = "/v3/accounts/{id}/unlock"
# List Identities exists only in the annual versions (no v3 equivalent).
IDENTITIES_PATH = "/v2025/identities"

UNLOCK_STEP = "sailpoint.unlock"  # the recorded step
UNLOCKED = "account.unlock"  # the actions reported in the outcome
CONFIRMED = "account.unlock.confirmed"
TENANT = r"^[a-z0-9][a-z0-9-]{0,62}$"
# A base URL that already names an API version (/v3, /beta, /v2025…) would be doubled by the paths above.
VERSIONED_PATH = re.compile(r"/(?:v\d+|beta)$", re.IGNORECASE)
LOOKUP_LIMIT = 2  # two results are enough to tell "exactly one" from "ambiguous"
DEFAULT_TOKEN_LIFETIME = 749.0
SUBMITTED = "unlock task submitted"
STILL_LOCKED = "unlock task submitted; account still locked when last checked"
NOT_LOCKED = "SailPoint shows the account as not locked: no unlock submitted"


class SailPointConfig(ConnectionConfig):
    vendor: Literal["sailpoint"]
    tenant: str | None = Field(default=None, pattern=TENANT, description="https://{tenant}.api.identitynow.com")
    client_id: str = Field(min_length=1, max_length=256)
    client_secret: SecretStr = Field(min_length=1)
    source_id: str | None = Field(default=None, pattern=HEX32.pattern, description="Look accounts up in this source")
    account_attribute: Literal["name", "nativeIdentity"] = Field(
        default="name", description="The account attribute a username or login_id is matched against"
    )
    check_locked: bool = Field(default=True, description="Skip the unlock when SailPoint shows locked: false")
    unlock_idn_account: bool = False
    force_provisioning: bool = False
    send_external_verification_id: bool = False
    confirm: bool = False
    confirm_attempts: int = Field(default=3, ge=1, le=30)
    confirm_interval_seconds: float = Field(default=1.0, ge=0, le=30)
    base_url: str | None = Field(default=None, description="API root override, e.g. https://acme.api.identitynow.com")
    token_url: str | None = Field(default=None, description="Token endpoint override (vanity URL tokenEndpoint)")


class SailPointConnector(Connector):
    vendor = "sailpoint"
    config_model = SailPointConfig
    policy_attributes = r"(?:account|identity)\.[A-Za-z0-9_-]{1,128}"

    def __init__(self, config: SailPointConfig) -> None:
        super().__init__(config)
        self.api = api_root(config)
        self.token_url = secure_base_url(config.token_url or f"{self.api}{TOKEN_PATH}", "token_url")
        self.tokens = TokenCache(self._fetch_token)

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        account_id, account, identity = self._find_account(request.user)
        wanted = steps.wanted()
        if account is None and steps.needs_account():
            account = self._read_account(account_id)
        if identity is None and any(key.startswith("identity.") for key in wanted) and account is not None:
            identity = self._identity(f'id eq "{returned_id(account, "identity", "identityId")}"', "with that id")
        steps.admit(policy_account(account_id, account, identity, wanted))
        write = steps.once(UNLOCK_STEP, lambda: self._submit_unlock(account_id, account, request))
        if not write.done:
            return VendorResult(message=NOT_LOCKED)
        result = VendorResult(vendor_reference=write.reference, actions=[UNLOCKED], message=SUBMITTED)
        if self.config.confirm and not write.simulated:
            self._confirm(account_id, result)
        return result

    # the write ---------------------------------------------------------------------------------
    def _submit_unlock(self, account_id: str, account: dict[str, Any] | None, request: UnlockRequest) -> Write:
        """Unlock account — https://developer.sailpoint.com/docs/api/v3/unlock-account: 202 ``{"id": task}``.

        Only ``locked: false`` skips the write: a missing or non-boolean flag is treated as locked.
        """
        if self.config.check_locked:
            state = account if account is not None else self._read_account(account_id)
            if state.get("locked") is False:
                return Write(done=False)
        url = self.api + UNLOCK_PATH.format(id=account_id)
        response = self._call("POST", url, json=self._unlock_body(request), write=True)
        task_id = json_body(response).get("id")
        return Write(done=True, reference=task_id if isinstance(task_id, str) and task_id else None)

    def _unlock_body(self, request: UnlockRequest) -> dict[str, Any]:
        """``AccountUnlockRequest`` (required, so at least ``{}``): each option only when enabled."""
        body: dict[str, Any] = {}
        if self.config.send_external_verification_id:
            body["externalVerificationId"] = request.origin.ticket_id or request.request_id
        if self.config.unlock_idn_account:
            body["unlockIDNAccount"] = True
        if self.config.force_provisioning:
            body["forceProvisioning"] = True
        return body

    # the look-ups ------------------------------------------------------------------------------
    def _find_account(self, user: UserRef) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
        """The account id, the account object when a look-up returned it (``None`` for a given id), and
        the identity when the look-up went through it (an e-mail)."""
        identity = None
        if user.kind == "id":
            return path_segment(user.value, HEX32, "user.id"), None, None
        if user.kind in ("username", "login_id"):
            attribute = self.config.account_attribute
            criterion = f'{attribute} eq "{filter_value(user.value, "user." + user.kind)}"'
            account = self._one_account(criterion, f"account with that {attribute}")
        elif user.kind == "email":
            identity = self._identity(f'email eq "{filter_value(user.value, "user.email")}"', "with that email")
            identity_id = returned_id(identity, "identity")
            account = self._one_account(f'identityId eq "{identity_id}"', "account of the identity with that email")
        else:
            raise PermanentError("unsupported_identifier", f"SailPoint cannot unlock by {user.kind}")
        return returned_id(account, "account"), account, identity

    def _one_account(self, criterion: str, what: str) -> dict[str, Any]:
        """Accounts list — https://developer.sailpoint.com/docs/api/v3/list-accounts.

        Filterable with ``eq``: ``name``, ``nativeIdentity``, ``identityId``, ``sourceId``. The default
        detail level (FULL) is used: it is the documented ``Account`` with ``locked``.
        """
        source_id = self.config.source_id
        if source_id:
            criterion += f' and sourceId eq "{filter_value(source_id, "source_id")}"'
        accounts = self._list(ACCOUNTS_PATH, criterion)
        where = " in the connection's source_id" if source_id else ""
        if not accounts:
            raise PermanentError("user_not_found", f"SailPoint has no {what}{where}")
        if len(accounts) > 1:
            hint = where or ": set source_id on the connection to pick one source"
            raise PermanentError("ambiguous_user", f"SailPoint has more than one {what}{hint}")
        return accounts[0]

    def _identity(self, criterion: str, what: str) -> dict[str, Any]:
        """List identities — https://developer.sailpoint.com/docs/api/v2025/list-identities (``email eq``, ``id eq``)."""
        identities = self._list(IDENTITIES_PATH, criterion)
        if not identities:
            raise PermanentError("user_not_found", f"SailPoint has no identity {what}")
        if len(identities) > 1:
            raise PermanentError("ambiguous_user", f"SailPoint has more than one identity {what}")
        return identities[0]

    def _list(self, path: str, filters: str) -> list[dict[str, Any]]:
        """One page of a collection; spaces are sent as ``%20`` as Standard Collection Parameters asks."""
        query = urlencode({"filters": filters, "limit": str(LOOKUP_LIMIT)}, quote_via=quote)
        return [item for item in json_list(self._call("GET", self.api + path, params=query)) if isinstance(item, dict)]

    def _read_account(self, account_id: str) -> dict[str, Any]:
        """Account details — https://developer.sailpoint.com/docs/api/v3/get-account."""
        return json_body(self._call("GET", self.api + ACCOUNT_PATH.format(id=account_id)))

    def _confirm(self, account_id: str, result: VendorResult) -> None:
        """Re-read the account until it is no longer locked; the task stays submitted either way."""
        config = self.config
        for _ in range(config.confirm_attempts):
            if config.confirm_interval_seconds >= budget.remaining():
                break
            time.sleep(config.confirm_interval_seconds)
            try:
                account = self._read_account(account_id)
            except UnlockError as exc:
                result.message = f"{SUBMITTED}; could not confirm ({exc.reason})"
                return
            if account.get("locked") is False:
                result.actions.append(CONFIRMED)
                result.message = "account unlocked"
                return
        result.message = STILL_LOCKED

    # http ----------------------------------------------------------------------------------------
    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = bearer_request(self.http, self.tokens, method, url, headers={"Accept": "application/json"}, **kwargs)
        if not response.ok:
            raise self._error(response)
        return response

    def _error(self, response: requests.Response) -> UnlockError:
        """Name ``detailCode`` and ``trackingId`` (the id SailPoint support asks for)."""
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


def api_root(config: SailPointConfig) -> str:
    """The tenant's API root, with or without a trailing slash; one that ends in an API version is refused."""
    if config.base_url is None and config.tenant is None:
        raise PermanentError("config_invalid", "connection field tenant (or base_url) is required")
    root = secure_base_url(config.base_url or f"https://{config.tenant}.api.identitynow.com", "base_url")
    if VERSIONED_PATH.search(urlsplit(root).path):
        raise PermanentError(
            "config_invalid",
            "connection field base_url must be the API root (https://{tenant}.api.identitynow.com) "
            "without an API version path such as /v3 or /beta",
        )
    return root


def returned_id(item: dict[str, Any], what: str, key: str = "id") -> str:
    """The 32-hex id (``key``) of an object SailPoint returned, checked before it goes into a URL or a filter."""
    return path_segment(str(item.get(key, "")), HEX32, f"{what} id returned by SailPoint")


def policy_account(
    account_id: str, account: dict[str, Any] | None, identity: dict[str, Any] | None, wanted: frozenset[str]
) -> Account:
    """What the policy checks of a SailPoint account: its id, name and native identity, the identity's
    e-mail, and each ``wanted`` attribute of whichever of the two was read (absent there: no value)."""
    read = {"account": account, "identity": identity}
    attributes: dict[str, tuple[str, ...]] = {}
    for key in wanted:
        prefix, _, name = key.partition(".")
        item = read.get(prefix)
        if item is not None:
            mapping = item.get("attributes")
            attributes[key] = values(mapping.get(name)) if isinstance(mapping, dict) else ()
    return Account(
        ids=(account_id,),
        usernames=values([account.get("name"), account.get("nativeIdentity")]) if account else (),
        emails=values(identity.get("emailAddress")) if identity else (),
        attributes=attributes,
    )


def json_list(response: requests.Response) -> list[Any]:
    """The response's JSON array (a collection), or ``[]`` when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return []
    return body if isinstance(body, list) else []
