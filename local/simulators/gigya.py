"""Gigya / SAP Customer Data Cloud simulator: ``POST /accounts.rba.unlock`` (seed 004).

Like Gigya, it answers HTTP 200 whatever happened (unless the caller asks for
``httpStatusCodes=true``) with ``{"statusCode","errorCode","statusReason","callId","time"}``, plus
``errorMessage`` and ``errorDetails`` on errors. Parameters are read from the form-encoded body only.

Test controls on top of the base class's HTTP faults: ``fail_with_code(code, times)`` queues Gigya
error codes answered inside an HTTP 200, ``wrong_data_center = True`` answers 301001 with the
``apiDomain`` of ``data_center`` (or ``api_domain`` when set).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from local.simulators.base import Reply, Request, Simulator

FORM = "application/x-www-form-urlencoded"
IDENTIFIERS = ("UID", "loginID", "ip")
DOMAINS = {"cn1": "cn1.gigya-api.cn"}
MESSAGES = {
    301001: "Invalid data center",
    400001: "Invalid request format",
    400002: "Missing required parameter",
    400006: "Invalid parameter value",
    400093: "Invalid ApiKey parameter",
    403002: "Request has expired",
    403003: "Invalid request signature",
    403005: "Unauthorized user",
    403006: "Secret Sent Over Http",
    403007: "Permission denied",
    403047: "Login identifier does not exist",
    403048: "Rate limit exceeded",
    409030: "Concurrent update",
    500001: "General Server error",
    504001: "Timeout",
}


@dataclass
class GigyaAccount:
    uid: str
    login_id: str
    locked: bool = True


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class GigyaSimulator(Simulator):
    name = "gigya"
    routes: ClassVar[list[tuple[str, str, str]]] = [("POST", r"/accounts\.rba\.unlock", "unlock")]

    def __init__(self, api_key: str, user_key: str, secret: str, data_center: str = "us1") -> None:
        super().__init__()
        self.api_key = api_key
        self.user_key = user_key
        self.secret = secret
        self.data_center = data_center
        self.accounts: dict[str, GigyaAccount] = {}
        self.locked_ips: set[str] = set()
        self.wrong_data_center = False
        self.api_domain: str | None = None
        self.code_faults: deque[tuple[int, str | None]] = deque()

    # test controls ---------------------------------------------------------------------------
    def add_account(self, uid: str, login_id: str, *, locked: bool = True) -> GigyaAccount:
        account = GigyaAccount(uid, login_id, locked)
        self.accounts[uid] = account
        return account

    def lock_ip(self, ip: str) -> None:
        self.locked_ips.add(str(ipaddress.ip_address(ip)))

    def fail_with_code(self, code: int, times: int = 1, *, details: str | None = None) -> None:
        """Answer the next ``times`` unlocks with Gigya error ``code`` inside an HTTP 200."""
        with self.lock:
            self.code_faults.extend([(code, details)] * times)

    def clear(self) -> None:
        super().clear()
        with self.lock:
            self.code_faults.clear()

    def reset(self, data_center: str = "us1") -> None:
        """Forget accounts, locked IPs and switches as well, so one started simulator serves many tests."""
        self.clear()
        with self.lock:
            self.accounts.clear()
            self.locked_ips.clear()
            self.data_center = data_center
            self.wrong_data_center = False
            self.api_domain = None

    @property
    def own_api_domain(self) -> str:
        return self.api_domain or DOMAINS.get(self.data_center, f"{self.data_center}.gigya.com")

    # answers ---------------------------------------------------------------------------------
    def _reply(self, request: Request, code: int, details: str | None = None, **extra: Any) -> Reply:
        status = 200 if code == 0 else code // 1000
        body: dict[str, Any] = {"statusCode": status, "errorCode": code}
        if code:
            body["errorMessage"] = MESSAGES.get(code, "Error")
            body["errorDetails"] = details or body["errorMessage"]
        body |= {"statusReason": HTTPStatus(status).phrase, "callId": uuid.uuid4().hex, "time": now(), **extra}
        http_status = status if request.form().get("httpStatusCodes") == "true" else 200
        return Reply(http_status, body)

    def unlock(self, request: Request) -> Reply:
        if (request.header("content-type") or "").split(";")[0].strip() != FORM:
            return self._reply(request, 400001, "Content-Type must be application/x-www-form-urlencoded")
        if self.code_faults:
            code, details = self.code_faults.popleft()
            return self._reply(request, code, details)
        form = request.form()
        if self.wrong_data_center:
            return self._reply(request, 301001, "Please use the apiDomain", apiDomain=self.own_api_domain)
        if not form.get("apiKey"):
            return self._reply(request, 400002, "Missing required parameter: apiKey")
        if form["apiKey"] != self.api_key:
            return self._reply(request, 400093)
        if not form.get("userKey") or not form.get("secret"):
            return self._reply(request, 403007, "Server-side method called without userKey and secret")
        if form["userKey"] != self.user_key or form["secret"] != self.secret:
            return self._reply(request, 403003, "Invalid user key or secret")
        given = [key for key in IDENTIFIERS if key in form]
        if not given:
            return self._reply(request, 400002, "Missing required parameter: loginID, UID or ip")
        if len(given) > 1:
            return self._reply(request, 400006, "Pass only one of loginID, UID or ip")
        key, value = given[0], form[given[0]]
        if key == "UID":
            account = self.accounts.get(value)
            if account is None:
                return self._reply(request, 403005, "Unknown user")
            account.locked = False
        elif key == "loginID":
            found = [a for a in self.accounts.values() if a.login_id.casefold() == value.casefold()]
            if not found:
                return self._reply(request, 403047)
            found[0].locked = False
        else:
            try:
                self.locked_ips.discard(str(ipaddress.ip_address(value)))
            except ValueError:
                return self._reply(request, 400006, "Invalid ip")
        return self._reply(request, 0)

    def not_routed(self, request: Request) -> Reply:
        return Reply(404, "<html><body>Not Found</body></html>", content_type="text/html")
