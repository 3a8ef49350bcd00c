"""Gigya / SAP Customer Data Cloud: ``accounts.rba.unlock`` for a user (UID or loginID) or an IP address.

Seed 004 and reference/vendors.md: ``POST https://accounts.<data center>/accounts.rba.unlock``,
form-encoded ``apiKey`` + ``userKey`` + ``secret`` (HTTPS only, body only, never the URL) and exactly
one of ``UID``, ``loginID`` or ``ip``. Gigya answers HTTP 200 even on failure: only ``errorCode == 0``
is a success, and ``callId`` is kept as the vendor reference either way.

Retries: HTTP 429/5xx and network errors are VendorHttp's. The "try again" codes Gigya sends inside an
HTTP 200 (403048, 409030, 500001, 504001, 504002) are invisible to it, so they get a small bounded loop
here that never waits past the invocation's time budget. A 301001 (wrong data center) is followed once
to the ``apiDomain`` it names, and only when that is a Gigya host: the secret goes there.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.http import RETRY_STATUSES, budget, classify_status, json_body
from account_unlock.models import UnlockRequest, UserRef
from account_unlock.validation import filter_value, secure_base_url
from account_unlock.vendors.base import ConnectionConfig, Connector, VendorResult

METHOD = "accounts.rba.unlock"
DataCenter = Literal["us1", "eu1", "au1", "ru1", "cn1"]
API_DOMAINS: dict[str, str] = {
    "us1": "us1.gigya.com",
    "eu1": "eu1.gigya.com",
    "au1": "au1.gigya.com",
    "ru1": "ru1.gigya.com",
    "cn1": "cn1.gigya-api.cn",
}
# An apiDomain from a 301001 answer is trusted only when it is a host under Gigya's own domains.
API_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,4}(?:gigya\.com|gigya-api\.cn)$")
# Keys and secrets are printable ASCII without spaces: a pasted trailing newline is a config error.
KEY = r"^[!-~]{1,256}$"

SUCCESS = 0
WRONG_DATA_CENTER = 301001
TRANSIENT_CODES: dict[int, str] = {
    403048: "rate_limited",  # API rate limit exceeded
    409030: "vendor_unavailable",  # concurrent update
    500001: "vendor_unavailable",  # general server error
    504001: "vendor_unavailable",  # timeout
    504002: "vendor_unavailable",  # general (request) timeout
}
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
    data_center: DataCenter
    api_key: str = Field(pattern=KEY)
    user_key: str = Field(pattern=KEY)
    secret: SecretStr = Field(min_length=1, max_length=256)
    base_url: str | None = Field(default=None, description="API root override, e.g. https://accounts.eu1.gigya.com")

    @field_validator("secret")
    @classmethod
    def _printable_secret(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(KEY, value.get_secret_value()):
            raise ValueError("secret must be printable ASCII without spaces")  # never echo the value
        return value


def default_api_root(api_domain: str) -> str:
    """Gigya's URL scheme: the namespace of the method, then the data center's domain."""
    return f"https://accounts.{api_domain}"


class GigyaConnector(Connector):
    vendor = "gigya"
    config_model = GigyaConfig

    # Extra attempts for the "try again" codes that arrive inside an HTTP 200, and the first wait.
    code_retries: int = 2
    code_backoff: float = 0.5

    def __init__(self, config: GigyaConfig) -> None:
        super().__init__(config)
        root = config.base_url or default_api_root(API_DOMAINS[config.data_center])
        self.endpoint = f"{secure_base_url(root, 'base_url')}/{METHOD}"
        # Turns a validated apiDomain into an API root. Tests point it at a loopback simulator; the
        # domain check in ``_redirect`` runs before it either way.
        self.api_root_for: Callable[[str], str] = default_api_root

    def unlock(self, request: UnlockRequest) -> VendorResult:
        field, value = self._identifier(request.user)
        config = self.config
        form = {
            "apiKey": config.api_key,
            "userKey": config.user_key,
            "secret": config.secret.get_secret_value(),
            "format": "json",
            "httpStatusCodes": "false",
            field: value,
        }
        url, redirected_to, attempt = self.endpoint, None, 0
        while True:
            body, reference = self._post(url, form)
            code = body["errorCode"]
            if code == SUCCESS:
                what = "IP address" if field == "ip" else "account"
                message = f"{what} unlocked"
                if redirected_to:
                    message += f" at {redirected_to}: set data_center to match it"
                return VendorResult(vendor_reference=reference, actions=[METHOD], message=message)
            if code == WRONG_DATA_CENTER:
                if redirected_to:
                    raise PermanentError(
                        "config_invalid",
                        f"Gigya answered 301001 (wrong data center) again at {redirected_to}",
                        vendor_reference=reference,
                    )
                redirected_to, url = self._redirect(body, reference)
                continue
            if code in TRANSIENT_CODES and attempt < self.code_retries:
                wait = self.code_backoff * 2**attempt
                if wait < budget.remaining():
                    attempt += 1
                    time.sleep(wait)
                    continue
            raise self._error(code, body, reference, field)

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

    def _post(self, url: str, form: dict[str, str]) -> tuple[dict[str, Any], str | None]:
        """POST the form; return a body that carries an integer ``errorCode``, and its ``callId``."""
        response = self.http.request("POST", url, data=form, headers={"Accept": "application/json"})
        body = json_body(response)
        reference = str(body["callId"]) if isinstance(body.get("callId"), str) and body["callId"] else None
        code = body.get("errorCode")
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if response.status_code in RETRY_STATUSES or response.status_code >= 500:
            # VendorHttp has already retried these statuses: no second loop here.
            error = classify_status(response, "Gigya", self._detail(code, body))
            error.vendor_reference = reference
            raise error
        if not isinstance(code, int) or isinstance(code, bool):
            if response.ok:
                raise TransientError(
                    "vendor_unavailable", "Gigya answered without an errorCode", vendor_reference=reference
                )
            if response.status_code == 404:  # a wrong base_url, not an unknown user
                raise PermanentError("bad_request", f"Gigya answered HTTP 404 for {METHOD}: check base_url")
            error = classify_status(response, "Gigya", response.reason or "no errorCode in the answer")
            error.vendor_reference = reference
            raise error
        return {**body, "errorCode": code}, reference

    def _redirect(self, body: dict[str, Any], reference: str | None) -> tuple[str, str]:
        """The apiDomain of a 301001 answer and the unlock URL there, if it is one of Gigya's hosts."""
        domain = body.get("apiDomain")
        domain = domain.strip().lower() if isinstance(domain, str) else ""
        if len(domain) > 253 or not API_DOMAIN.fullmatch(domain):
            raise PermanentError(
                "config_invalid",
                "Gigya answered 301001 (wrong data center) without a Gigya apiDomain: check data_center",
                vendor_reference=reference,
            )
        return domain, f"{secure_base_url(self.api_root_for(domain), 'apiDomain')}/{METHOD}"

    @staticmethod
    def _detail(code: object, body: dict[str, Any]) -> str:
        text = " ".join(str(body[key]) for key in ("errorMessage", "errorDetails") if body.get(key))
        return f"{code if code is not None else 'error'}: {text[:300] or 'no details'}"  # errorDetails may be a trace

    def _error(self, code: int, body: dict[str, Any], reference: str | None, field: str) -> UnlockError:
        message = f"Gigya {self._detail(code, body)}"
        if code in TRANSIENT_CODES:
            return TransientError(TRANSIENT_CODES[code], message, vendor_reference=reference)
        if code == UNAUTHORIZED_USER:
            details = f"{body.get('errorMessage', '')} {body.get('errorDetails', '')}"
            unknown = field != "ip" and UNKNOWN_USER.search(details)
            return PermanentError("user_not_found" if unknown else "forbidden", message, vendor_reference=reference)
        reason = PERMANENT_CODES.get(code)
        if reason is None:
            family = code // 1000
            reason = {400: "bad_request", 403: "forbidden"}.get(family, "vendor_error")
        return PermanentError(reason, message, vendor_reference=reference)
