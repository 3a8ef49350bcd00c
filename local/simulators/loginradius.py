"""LoginRadius simulator: the Account (manage) API used for helpdesk unlocks, and the two
self-service calls made with the user's own access token.

Helpdesk: ``GET /identity/v2/manage/account`` (profile by ``email``, ``userName`` or ``phone``) and
``PUT /identity/v2/manage/account/{uid}`` (Account Update), authenticated by the
``X-LoginRadius-ApiKey`` / ``X-LoginRadius-ApiSecret`` headers or the ``apikey`` / ``apisecret`` query
parameters.

Self-service: ``PUT /identity/v2/auth/account/reauth/password`` (Verify Password, seed 003) and
``PUT /identity/v2/auth/account/unlock`` (Unlock User by access token, seed 000), authenticated by the
``apikey`` query parameter and the user's access token (``Authorization: Bearer`` or, as the seeds'
curl shows, the ``access_token`` query parameter). Tokens come from ``issue_token``; passwords from
``set_password``. The token unlock lifts captcha and security-question lockouts only; Block (991) and
Suspend (1198, with ``Data.LoginLockedTimeout``) are refused, as LoginRadius documents.

Errors use LoginRadius's ``{"ErrorCode","Message","Description",...}`` body with the codes and HTTP
statuses of seeds 000/003, reference/vendors.md and LoginRadius's "Auth Security" page (lockout types).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import unquote

from local.simulators.base import Reply, Request, Simulator

ACCOUNT = r"/identity/v2/manage/account"
REAUTH = r"/identity/v2/auth/account/reauth/password"
SELF_UNLOCK = r"/identity/v2/auth/account/unlock"
BEARER = re.compile(r"^Bearer (\S+)$")
CAPTCHA_FIELDS = ("g-recaptcha-response", "h-captcha-response")
LockType = Literal["captcha", "security_question", "suspend"]

# ErrorCode: (HTTP status, Message, Description). Texts of 901/902/908/938/1079/1205 are the seed pages';
# 991/1132/1148/1198 are LoginRadius's "Auth Security" page; 905/906 and the statuses not given by a
# seed or the reference (905/906/991/1132/1148/1198) are this simulator's choice.
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
    905: (401, "The access token is invalid", "The access token is invalid, please sign in again."),
    906: (401, "The access token has expired", "The access token has expired, please sign in again."),
    950: (500, "Unknown error", "An unknown error has occurred, please try again."),
    991: (
        403,
        "Your account is blocked",
        "Your account has been blocked by the system admin, please contact the admin for more information.",
    ),
    1132: (
        403,
        "Your account has been locked, please enter reCAPTCHA in order to login",
        "Your account has been locked, please enter reCAPTCHA in order to login.",
    ),
    1148: (
        403,
        "Your account has been locked",
        "Your account has been locked, please enter the answer to the security question in order to login.",
    ),
    1198: (403, "Your account has been locked", "Your account has been locked, please try again after sometime."),
    1205: (401, "Invalid password", "Please use a valid password."),
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


def error(code: int, description: str | None = None, data: dict[str, Any] | None = None) -> Reply:
    body = error_body(code, description)
    if data is not None:
        body["Data"] = data
    return Reply(ERRORS[code][0], body)


@dataclass
class LoginRadiusUser:
    uid: str
    email: str
    username: str
    phone: str | None = None
    locked: bool = True
    blocked: bool = False
    id: str = ""
    password: str | None = None
    lock_type: LockType = "captcha"
    security_answers: dict[str, str] = dataclasses.field(default_factory=dict)
    locked_until: str = ""

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
        ("PUT", REAUTH, "reauth_password"),
        ("PUT", SELF_UNLOCK, "unlock_by_token"),
    ]

    def __init__(self, api_key: str, api_secret: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.users: dict[str, LoginRadiusUser] = {}
        self.tokens: dict[str, tuple[str, bool]] = {}  # access token -> (uid, expired)
        self._settings = (api_key, api_secret)

    def reset(self) -> None:
        """Forget users and issued access tokens as well, so one started simulator serves many tests."""
        super().reset()
        with self.lock:
            self.api_key, self.api_secret = self._settings
            self.users.clear()
            self.tokens.clear()

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

    # self-service state ------------------------------------------------------------------------
    def issue_token(self, uid: str, *, expired: bool = False, token: str | None = None) -> str:
        """An access token for user ``uid``, as LoginRadius issues one at sign-in (a UUID)."""
        value = token or str(uuid.uuid4())
        self.tokens[value] = (uid, expired)
        return value

    def set_password(self, uid: str, password: str) -> None:
        self.users[uid].password = password

    def lock_account(
        self,
        uid: str,
        lock_type: LockType = "captcha",
        *,
        security_answers: dict[str, str] | None = None,
        locked_until: str | None = None,
    ) -> None:
        """Lock ``uid`` with a lockout type of LoginRadius's Brute Force Lockout (Block is ``blocked``)."""
        user = self.users[uid]
        user.locked, user.lock_type = True, lock_type
        user.security_answers = dict(security_answers or user.security_answers)
        user.locked_until = locked_until or time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 900))

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

    # self-service (auth) API: the user's own access token -------------------------------------
    def _authorize_user(self, request: Request) -> LoginRadiusUser | Reply:
        """``apikey`` query parameter and the user's token (Bearer header or ``access_token`` query)."""
        key = self._query(request, "apikey")
        if not key:
            return error(908, "The apikey is a required parameter.")
        if key != self.api_key:
            return error(901)
        match = BEARER.match(request.header("authorization") or "")
        token = match.group(1) if match else self._query(request, "access_token")
        if not token:
            return error(908, "The access_token is a required parameter.")
        if token not in self.tokens:
            return error(905)
        uid, expired = self.tokens[token]
        if expired:
            return error(906)
        user = self.users.get(uid)
        return user if user else error(938)

    @staticmethod
    def _any_json_object(request: Request) -> dict[str, Any] | None:
        """The JSON object body; ``{}`` is valid here (seed 000's curl sends ``-d '{}'``)."""
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return None
        try:
            body = json.loads(request.body)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def reauth_password(self, request: Request) -> Reply:
        """Verify Password (seed 003): the token's user re-enters their password."""
        user = self._authorize_user(request)
        if isinstance(user, Reply):
            return user
        body = self._any_json_object(request)
        if body is None:
            return error(1079)
        password = body.get("password")
        if not isinstance(password, str) or not password:
            return error(908, "The password is a required parameter.")
        if user.password is None or password != user.password:
            return error(1205)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 900))
        return Reply(200, {"SecondFactorValidationToken": str(uuid.uuid4()), "ExpireIn": expires})

    def unlock_by_token(self, request: Request) -> Reply:
        """Unlock User by access token (seed 000): lifts captcha/security-question lockouts only."""
        user = self._authorize_user(request)
        if isinstance(user, Reply):
            return user
        body = self._any_json_object(request)
        if body is None:
            return error(1079)
        if user.blocked:
            return error(991)
        if user.locked:
            if user.lock_type == "suspend":
                return error(1198, data={"LoginLockedTimeout": user.locked_until})
            if user.lock_type == "captcha" and not self._captcha_passed(body):
                return error(1132)
            if user.lock_type == "security_question" and not self._security_answer_passed(user, body):
                return error(1148)
        user.locked = False
        return Reply(200, {"IsPosted": True})

    @staticmethod
    def _captcha_passed(body: dict[str, Any]) -> bool:
        """Any non-empty captcha answer passes (the simulator does not ask Google/Tencent/hCaptcha)."""
        if any(isinstance(body.get(name), str) and body[name] for name in CAPTCHA_FIELDS):
            return True
        ticket, randstr = body.get("qq_captcha_ticket"), body.get("qq_captcha_randstr")
        return bool(isinstance(ticket, str) and ticket and isinstance(randstr, str) and randstr)

    @staticmethod
    def _security_answer_passed(user: LoginRadiusUser, body: dict[str, Any]) -> bool:
        answers = body.get("securityanswer")
        if not isinstance(answers, dict) or not answers:
            return False
        return all(
            isinstance(value, str) and user.security_answers.get(question, "").lower() == value.lower()
            for question, value in answers.items()
        )

    def not_routed(self, request: Request) -> Reply:
        return Reply(404, {"Message": f"No HTTP resource was found that matches the request URI {request.path}"})
