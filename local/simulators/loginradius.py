"""LoginRadius simulator: the Account (manage) API used for helpdesk unlocks.

Serves ``GET /identity/v2/manage/account`` (profile by ``email``, ``userName`` or ``phone``) and
``PUT /identity/v2/manage/account/{uid}`` (Account Update), authenticated by the
``X-LoginRadius-ApiKey`` / ``X-LoginRadius-ApiSecret`` headers or the ``apikey`` / ``apisecret`` query
parameters. Errors use LoginRadius's ``{"ErrorCode","Message","Description",...}`` body with the codes
and HTTP statuses of seeds 000/003 and reference/vendors.md.

More endpoints (e.g. the self-service ``/identity/v2/auth/...`` ones) are added by appending to
``routes`` and writing a handler; ``_authorize_admin``, ``_find`` and ``error`` are meant to be reused.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

from local.simulators.base import Reply, Request, Simulator

ACCOUNT = r"/identity/v2/manage/account"

# ErrorCode: (HTTP status, Message, Description). Texts of 901/902/908/938/1079 are the seed pages'.
ERRORS: dict[int, tuple[int, str, str]] = {
    901: (
        401,
        "The API key is unauthorized",
        "The provided LoginRadius API key is invalid or is not authorized, please use a valid or authorized "
        "LoginRadius API key or check the API key for your LoginRadius account.",
    ),
    902: (
        401,
        "The API secret is unauthorized",
        "The provided LoginRadius API secret is invalid or is not authorized, please use a valid or authorized "
        "LoginRadius API secret or check the API secret for your LoginRadius account.",
    ),
    908: (400, "A parameter is not formatted correctly", "A parameter is not formatted correctly."),
    938: (
        403,
        "User does not exist",
        "The user does not exist, please use a valid user in order to process this request.",
    ),
    950: (500, "Unknown error", "An unknown error has occurred, please try again."),
    991: (403, "Account is blocked", "The account is blocked, please contact the site administrator."),
    1079: (
        400,
        "Put body is invalid or empty",
        "Please use a valid put body in JSON format in order to process this request.",
    ),
}


def error_body(code: int, description: str | None = None) -> dict[str, Any]:
    """A LoginRadius error body for ``code`` (also handy for ``sim.fail``)."""
    _, message, default = ERRORS[code]
    return {
        "ErrorCode": code,
        "Message": message,
        "Description": description or default,
        "IsProviderError": False,
        "ProviderErrorResponse": None,
    }


def error(code: int, description: str | None = None) -> Reply:
    return Reply(ERRORS[code][0], error_body(code, description))


@dataclass
class LoginRadiusUser:
    uid: str
    email: str
    username: str
    phone: str | None = None
    locked: bool = True
    blocked: bool = False
    id: str = ""

    def profile(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Uid": self.uid,
            "Email": [{"Type": "Primary", "Value": self.email}],
            "EmailVerified": True,
            "UserName": self.username,
            "PhoneId": self.phone,
            "IsActive": not self.blocked,
            "IsDeleted": False,
            "IsLoginLocked": self.locked,
        }


class LoginRadiusSimulator(Simulator):
    name = "loginradius"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("GET", ACCOUNT, "get_account"),
        ("PUT", ACCOUNT + r"/(?P<uid>[^/]+)", "update_account"),
    ]

    def __init__(self, api_key: str, api_secret: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.users: dict[str, LoginRadiusUser] = {}

    def add_user(
        self,
        email: str,
        username: str,
        *,
        uid: str | None = None,
        locked: bool = True,
        blocked: bool = False,
        phone: str | None = None,
    ) -> LoginRadiusUser:
        user = LoginRadiusUser(uid or uuid.uuid4().hex, email, username, phone, locked, blocked, uuid.uuid4().hex)
        self.users[user.uid] = user
        return user

    # helpers for handlers ----------------------------------------------------------------------
    @staticmethod
    def _query(request: Request, name: str) -> str | None:
        values = request.query.get(name)
        return values[-1] if values else None

    def _authorize_admin(self, request: Request) -> Reply | None:
        """API key and secret, from the headers or (as LoginRadius also allows) the query string."""
        key = request.header("x-loginradius-apikey") or self._query(request, "apikey")
        secret = request.header("x-loginradius-apisecret") or self._query(request, "apisecret")
        if not key:
            return error(908, "The apikey is a required parameter.")
        if key != self.api_key:
            return error(901)
        if not secret:
            return error(908, "The apisecret is a required parameter.")
        if secret != self.api_secret:
            return error(902)
        return None

    def _find(
        self, *, email: str | None = None, username: str | None = None, phone: str | None = None
    ) -> LoginRadiusUser | None:
        for user in self.users.values():
            if email is not None and user.email.lower() == email.lower():
                return user
            if username is not None and user.username == username:
                return user
            if phone is not None and user.phone == phone:
                return user
        return None

    @staticmethod
    def _json_object(request: Request) -> dict[str, Any] | None:
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return None
        try:
            body = json.loads(request.body)
        except ValueError:
            return None
        return body if isinstance(body, dict) and body else None

    # manage API --------------------------------------------------------------------------------
    def get_account(self, request: Request) -> Reply:
        if denied := self._authorize_admin(request):
            return denied
        email, username, phone = (self._query(request, name) for name in ("email", "userName", "phone"))
        if not (email or username or phone):
            return error(908, "The email, userName or phone is a required parameter.")
        user = self._find(email=email or None, username=username or None, phone=phone or None)
        return Reply(200, user.profile()) if user else error(938)

    def update_account(self, request: Request) -> Reply:
        if denied := self._authorize_admin(request):
            return denied
        body = self._json_object(request)
        if body is None:
            return error(1079)
        user = self.users.get(unquote(request.params["uid"]))
        if user is None:
            return error(938)
        for field in ("IsLoginLocked", "IsActive"):
            if field in body and not isinstance(body[field], bool):
                return error(908, f"The {field} is not formatted correctly.")
        if "IsLoginLocked" in body:
            user.locked = body["IsLoginLocked"]
        if "IsActive" in body:
            user.blocked = not body["IsActive"]
        return Reply(200, user.profile())

    def not_routed(self, request: Request) -> Reply:
        return Reply(404, {"Message": f"No HTTP resource was found that matches the request URI {request.path}"})
