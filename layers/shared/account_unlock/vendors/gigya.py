"""Gigya / SAP Customer Data Cloud: ``accounts.rba.unlock`` for a user (UID or loginID) or an IP address.

accounts.rba.unlock REST (https://developers.gigya.com/display/GD/accounts.rba.unlock+REST):
``POST https://accounts.<data center>/accounts.rba.unlock``, form-encoded ``apiKey`` + ``userKey`` + ``secret``
(HTTPS only, body only, never the URL) and exactly one of ``UID``, ``loginID`` or ``ip``. Gigya answers
HTTP 200 even on failure: only ``errorCode == 0`` is a success, and ``callId`` is kept as the vendor
reference either way.

Exactly once: the unlock goes through ``steps.once("gigya.unlock", …)`` with ``write=True``. Gigya documents
the lock state as the account's ``isLockedOut`` ("Indicates whether the account is currently locked out",
returned by accounts.getAccountInfo with ``include=isLockedOut``: accounts.getAccountInfo JS,
https://developers.gigya.com/display/GD/accounts.getAccountInfo+JS, and its REST twin,
https://developers.gigya.com/display/GD/accounts.getAccountInfo+REST). Reading it needs a permission the
least-privilege key (``accounts.rba.unlock`` only) does not have, and it takes a ``UID``, not a loginID or an
IP, so it is opt-in (``read_lockout_state``) and used for ``UID`` unlocks only: an account it shows as not
locked gets no write. Otherwise the unlock is sent unconditionally (Gigya documents no lock state for an IP).

Errors (Response Codes and Errors REST, https://developers.gigya.com/display/GD/Response+Codes+and+Errors+REST):
the first three digits of a code are the HTTP status it stands for (the answer's ``statusCode``), so the
5xxxxx families (500001 general server error, 504001 / 504002 timeouts, …) are transient like an HTTP 5xx.
Retries: HTTP 429/5xx and network errors are VendorHttp's. Of the "try again" codes that arrive inside an
HTTP 200, only those that say the request was refused before it was processed (403048, rate limit) are
retried here, in a small bounded loop that never waits past the invocation's time budget; after a 5xxxxx
the unlock may have happened, so it is left to the retry of the whole request. A 301001 (wrong data
center) is followed once to the ``apiDomain`` it names, and only when that is a Gigya host: the secret goes there.

For a connection policy (``Steps.admit``): ``data.<path>`` and ``profile.<path>`` are fields of the account's
``data`` and ``profile`` objects, read with accounts.getAccountInfo (``include=profile,data``, with
``isLockedOut`` when ``read_lockout_state``) before the unlock, and only when the policy names such fields.
The method takes a ``UID``: a loginID or IP unlock cannot be checked against them and is refused.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.gigya_sites import API_DOMAINS, KEY, DataCenter, default_api_root
from account_unlock.http import RETRY_STATUSES, budget, classify_status, json_body
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.steps import Account, Steps, Write, values
from account_unlock.validation import filter_value, secure_base_url
from account_unlock.vendors.base import UNRECORDED, ConnectionConfig, Connector, VendorResult

METHOD = "accounts.rba.unlock"
READ_METHOD = "accounts.getAccountInfo"
UNLOCK_STEP = "gigya.unlock"
# An apiDomain from a 301001 answer is trusted only when it is a host under Gigya's own domains.
API_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,4}(?:gigya\.com|gigya-api\.cn)$")

SUCCESS = 0
WRONG_DATA_CENTER = 301001
# Refused before being processed: safe to send again at once, even for the unlock.
NOT_PROCESSED: dict[int, str] = {403048: "rate_limited"}  # "Rate limit exceeded"
TRANSIENT_CODES: dict[int, str] = NOT_PROCESSED | {409030: "vendor_unavailable"}  # concurrent updates not allowed
SERVER_FAMILY = 500  # 5xxxxx: the code stands for an HTTP 5xx
TIMEOUT_FAMILY = 504  # 504001 timeout, 504002 general timeout
PERMANENT_CODES: dict[int, str] = {
    400001: "bad_request",  # invalid request format
    400002: "bad_request",  # missing required parameter
    400006: "bad_request",  # invalid parameter value
    400009: "bad_request",  # validation error
    400093: "bad_credentials",  # invalid ApiKey parameter
    403002: "bad_request",  # request has expired
    403003: "bad_credentials",  # invalid request signature (wrong secret)
    403006: "config_invalid",  # secret sent over plain HTTP
    403007: "forbidden",  # permission denied (the user key lacks the permission)
    403047: "user_not_found",  # login identifier does not exist
    404000: "user_not_found",  # not found
}
UNAUTHORIZED_USER = 403005  # "Unauthorized user": "Unknown user" for a UID, otherwise a permission problem
UNKNOWN_USER = re.compile(r"unknown user|not found|does not exist", re.IGNORECASE)


class GigyaConfig(ConnectionConfig):
    vendor: Literal["gigya"]
    base_url: str | None = Field(default=None, description="API root override, e.g. https://accounts.eu1.gigya.com")
    data_center: DataCenter | None = Field(default=None, validate_default=True)
    api_key: str = Field(pattern=KEY)
    user_key: str = Field(pattern=KEY)
    secret: SecretStr = Field(min_length=1, max_length=256)
    read_lockout_state: bool = Field(
        default=False, description="Read isLockedOut (accounts.getAccountInfo) before unlocking a UID"
    )

    @field_validator("data_center")
    @classmethod
    def _data_center_or_base_url(cls, value: DataCenter | None, info: ValidationInfo) -> DataCenter | None:
        if value is None and info.data.get("base_url") is None:
            raise ValueError("data_center is required unless base_url is given")
        return value

    @field_validator("secret")
    @classmethod
    def _printable_secret(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(KEY, value.get_secret_value()):
            raise ValueError("secret must be printable ASCII without spaces")  # never echo the value
        return value


@dataclass
class Route:
    """Where the calls of one unlock go: the configured API root, or the one a 301001 named (followed once)."""

    root: str
    redirected_to: str | None = None


class GigyaConnector(Connector):
    vendor = "gigya"
    config_model = GigyaConfig
    policy_attributes = r"(?:data|profile)(?:\.[A-Za-z0-9_-]{1,128}){1,8}"

    # Extra attempts for the "not processed" codes that arrive inside an HTTP 200, and the first wait.
    code_retries: int = 2
    code_backoff: float = 0.5

    def __init__(self, config: GigyaConfig) -> None:
        super().__init__(config)
        root = config.base_url
        if root is None:  # the model requires one of the two
            root = default_api_root(API_DOMAINS[str(config.data_center)])
        self.api = secure_base_url(root, "base_url")
        # Turns a validated apiDomain into an API root. Tests point it at a loopback simulator; the
        # domain check in ``_follow`` runs before it either way.
        self.api_root_for: Callable[[str], str] = default_api_root

    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        field, value = self._identifier(request.user)
        route = Route(self.api)
        wanted = steps.wanted()
        info = self._account_info(route, value, profile=True) if wanted and field == "UID" else None
        steps.admit(policy_account(field, value, info, wanted))
        written = steps.once(UNLOCK_STEP, lambda: self._unlock(route, field, value, info))
        if not written.done:
            return VendorResult(vendor_reference=written.reference, message="already unlocked: isLockedOut is false")
        message = f"{'IP address' if field == 'ip' else 'account'} unlocked"
        if route.redirected_to:
            message += f" at {route.redirected_to}: set data_center to match it"
        return VendorResult(vendor_reference=written.reference, actions=[METHOD], message=message)

    def _unlock(self, route: Route, field: str, value: str, info: tuple[dict[str, Any], str | None] | None) -> Write:
        """accounts.rba.unlock, skipped only when the opted-in read says the account is not locked out
        (the read the policy already made, in this attempt, or a new one)."""
        if self.config.read_lockout_state and field == "UID":
            account, reference = info or self._account_info(route, value, profile=False)
            if account.get("isLockedOut") is False:
                return Write(done=False, reference=reference)
        _, reference = self._call(route, METHOD, {field: value}, field, write=True)
        return Write(done=True, reference=reference)

    def _account_info(self, route: Route, uid: str, *, profile: bool) -> tuple[dict[str, Any], str | None]:
        """accounts.getAccountInfo of a UID: ``isLockedOut`` (when opted in), ``profile`` and ``data`` (for a policy)."""
        included = (["isLockedOut"] if self.config.read_lockout_state else []) + (
            ["profile", "data"] if profile else []
        )
        return self._call(route, READ_METHOD, {"UID": uid, "include": ",".join(included)}, "UID", write=False)

    def _identifier(self, user: UserRef) -> tuple[str, str]:
        """Gigya's parameter for the identifier, and its value checked before anything is sent."""
        if user.kind == "ip":
            try:
                address = ipaddress.ip_address(user.value)
            except ValueError:
                raise PermanentError("invalid_identifier", "user.ip is not an IPv4 or IPv6 address") from None
            if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
                raise PermanentError("invalid_identifier", "user.ip must not carry an IPv6 zone")
            return "ip", str(address)
        if user.kind == "id":
            return "UID", filter_value(user.value, "user.id")
        # loginID is the email or the username, depending on the site's schema: no look-up needed.
        return "loginID", filter_value(user.value, f"user.{user.kind}")

    def _call(
        self, route: Route, method: str, params: dict[str, str], field: str, *, write: bool
    ) -> tuple[dict[str, Any], str | None]:
        """One server-side method: the body of its success and its ``callId``; raise on any error code."""
        config = self.config
        form = {
            "apiKey": config.api_key,
            "userKey": config.user_key,
            "secret": config.secret.get_secret_value(),
            "format": "json",
            "httpStatusCodes": "false",
            **params,
        }
        attempt = 0
        while True:
            body, reference = self._post(f"{route.root}/{method}", form, write=write)
            code = body["errorCode"]
            if code == SUCCESS:
                return body, reference
            if code == WRONG_DATA_CENTER:  # refused by the wrong data center: nothing was processed
                self._follow(route, body, reference)
                continue
            if code in NOT_PROCESSED and attempt < self.code_retries:
                wait = self.code_backoff * 2**attempt
                if wait < budget.remaining():
                    attempt += 1
                    time.sleep(wait)
                    continue
            raise self._error(code, body, reference, field)

    def _post(self, url: str, form: dict[str, str], *, write: bool) -> tuple[dict[str, Any], str | None]:
        """POST the form; return a body that carries an integer ``errorCode``, and its ``callId``."""
        response = self.http.request("POST", url, data=form, headers={"Accept": "application/json"}, write=write)
        body = json_body(response)
        reference = str(body["callId"]) if isinstance(body.get("callId"), str) and body["callId"] else None
        code = body.get("errorCode")
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if response.status_code in RETRY_STATUSES or response.status_code >= 500:
            # VendorHttp has already retried these statuses (as far as a write may be): no second loop here.
            error = classify_status(response, "Gigya", self._detail(code, body))
            error.vendor_reference = reference
            raise error
        if not isinstance(code, int) or isinstance(code, bool):
            if response.ok:
                raise TransientError(
                    "vendor_unavailable", "Gigya answered without an errorCode", vendor_reference=reference
                )
            if response.status_code == 404:  # a wrong base_url, not an unknown user
                raise PermanentError(
                    "bad_request", f"Gigya answered HTTP 404 for {url.rsplit('/', 1)[-1]}: check base_url"
                )
            error = classify_status(response, "Gigya", response.reason or "no errorCode in the answer")
            error.vendor_reference = reference
            raise error
        return {**body, "errorCode": code}, reference

    def _follow(self, route: Route, body: dict[str, Any], reference: str | None) -> None:
        """Point ``route`` at the apiDomain of a 301001 answer, once, and only if it is one of Gigya's hosts."""
        if route.redirected_to:
            raise PermanentError(
                "config_invalid",
                f"Gigya answered 301001 (wrong data center) again at {route.redirected_to}",
                vendor_reference=reference,
            )
        domain = body.get("apiDomain")
        domain = domain.strip().lower() if isinstance(domain, str) else ""
        if len(domain) > 253 or not API_DOMAIN.fullmatch(domain):
            raise PermanentError(
                "config_invalid",
                "Gigya answered 301001 (wrong data center) without a Gigya apiDomain: check data_center",
                vendor_reference=reference,
            )
        route.root = secure_base_url(self.api_root_for(domain), "apiDomain")
        route.redirected_to = domain

    @staticmethod
    def _detail(code: object, body: dict[str, Any]) -> str:
        text = " ".join(str(body[key]) for key in ("errorMessage", "errorDetails") if body.get(key))
        return f"{code if code is not None else 'error'}: {text[:300] or 'no details'}"  # errorDetails may be a trace

    def _error(self, code: int, body: dict[str, Any], reference: str | None, field: str) -> UnlockError:
        message = f"Gigya {self._detail(code, body)}"
        family = code // 1000
        if code in TRANSIENT_CODES:
            return TransientError(TRANSIENT_CODES[code], message, vendor_reference=reference)
        if family >= SERVER_FAMILY:  # general server error, timeouts …: may succeed later
            reason = "vendor_timeout" if family == TIMEOUT_FAMILY else "vendor_unavailable"
            return TransientError(reason, message, vendor_reference=reference)
        if code == UNAUTHORIZED_USER:
            details = f"{body.get('errorMessage', '')} {body.get('errorDetails', '')}"
            unknown = field != "ip" and UNKNOWN_USER.search(details)
            return PermanentError("user_not_found" if unknown else "forbidden", message, vendor_reference=reference)
        reason = PERMANENT_CODES.get(code) or {400: "bad_request", 403: "forbidden"}.get(family, "vendor_error")
        return PermanentError(reason, message, vendor_reference=reference)


def policy_account(
    field: str, value: str, info: tuple[dict[str, Any], str | None] | None, wanted: frozenset[str]
) -> Account:
    """What the policy checks of a Gigya account: the UID, and the profile's e-mail and the ``wanted``
    profile and data fields when accounts.getAccountInfo was read (a missing field: no value)."""
    attributes: dict[str, tuple[str, ...]] = {}
    account = info[0] if info is not None else {}
    for key in wanted if info is not None else ():
        found: Any = account
        for part in key.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        attributes[key] = values(found)
    profile = account.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    return Account(ids=(value,) if field == "UID" else (), emails=values(profile.get("email")), attributes=attributes)
