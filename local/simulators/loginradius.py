"""LoginRadius simulator: the Account (manage) API used for helpdesk unlocks, and the two
self-service calls made with the user's own access token. Each behaviour follows a LoginRadius page:

- ``GET /identity/v2/manage/account`` by ``email`` / ``userName`` / ``phone`` (Account Profiles by Email,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-profiles-by-email/, and the
  "by User Name" / "by Phone ID" pages next to it), ``GET /identity/v2/manage/account/{uid}`` (Account Profiles
  by UID, https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-profiles-by-uid/) and
  ``PUT /identity/v2/manage/account/{uid}`` (Account Update,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/account/account-update/), authenticated by the
  ``X-LoginRadius-ApiKey`` / ``X-LoginRadius-ApiSecret`` headers or the ``apikey`` / ``apisecret`` query
  parameters (API Security, https://www.loginradius.com/docs/api/v2/customer-identity-api/api-security/);
- ``PUT /identity/v2/auth/account/reauth/password`` (Step-Up Authenticate by Password,
  https://www.loginradius.com/docs/api/v2/customer-identity-api/step-up-authentication/step-up-auth-by-password/,
  "Verify Password" in the newer reference) and ``PUT /identity/v2/auth/account/unlock`` (Auth Unlock Account
  by Access Token, https://www.loginradius.com/docs/api/v2/customer-identity-api/authentication/auth-unlock-account-by-access-token/,
  "Unlock User"), authenticated by the ``apikey`` query parameter and the user's access token
  (``Authorization: Bearer`` or the ``access_token`` query parameter, API Security). Tokens come from
  ``issue_token``; passwords from ``set_password``;
- ``GET /identity/v2/auth/account`` (Auth Read all Profiles by Token, Authentication API,
  https://www.loginradius.com/docs/developer/api/authentication-api/): the token's user's profile, with
  the same authentication as the two self-service calls;
- ``GET /identity/v2/manage/account/{uid}/role`` (Roles by UID, Roles Management,
  https://www.loginradius.com/docs/developer/api/roles-management/; "Retrieve Roles by UID",
  https://docs.demo.login2test.com/api-reference/roles-management/GetRolesByUid): ``{"Roles": [...]}``
  with the API key and secret; the user's ``roles``;
- the token unlock lifts captcha and security-question lockouts only, with the answer to the challenge in
  its body; Block (991) and Suspend (1198, with ``Data.LoginLockedTimeout``) are refused (Auth Security,
  https://www.loginradius.com/docs/api/v2/admin-console/platform-security/auth-security-configuration/);
- a captcha answer is verified when sent, and a verified answer is spent: the captcha providers verify each
  answer once (Google reCAPTCHA, Verifying the user's response, https://developers.google.com/recaptcha/docs/verify:
  "can only be verified once"; Tencent Cloud CAPTCHA, DescribeCaptchaResult,
  https://cloud.tencent.com/document/product/1108/36926: CaptchaCode 9 "ticket reused"). A spent answer is
  refused with 982 "CAPTCHA is invalid".

Errors use LoginRadius's ``{"ErrorCode","Message","Description","IsProviderError","ProviderErrorResponse"}``
body with the codes and HTTP statuses of Customer Identity API Codes,
https://www.loginradius.com/docs/api/v2/getting-started/response-codes/customer-identity-api-codes/.
The random faults of ``inject`` (``local.simulators.base.Chaos``) are answered from that page too: HTTP
429 "Too Many Request" (rate limiting; the page documents no ``Retry-After``, so none is sent and the
client backs off on its own) and ``ErrorCode`` 950 with HTTP 500. ``writes`` counts the account updates
(the helpdesk unlock) and the token unlocks per Uid.
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
PROFILE = r"/identity/v2/auth/account"
REAUTH = r"/identity/v2/auth/account/reauth/password"
SELF_UNLOCK = r"/identity/v2/auth/account/unlock"
BEARER = re.compile(r"^Bearer (\S+)$")
CAPTCHA_FIELDS = ("g-recaptcha-response", "h-captcha-response")
LockType = Literal["captcha", "security_question", "suspend"]

# ErrorCode: (HTTP status, Message, Description). Statuses: Customer Identity API Codes. Texts: the bodies
# shown by LoginRadius's API reference, "Unlock User" (https://docs.demo.login2test.com/api-reference/user/unlockaccountbyaccesstoken)
# and "Verify Password" (https://docs.demo.login2test.com/api-reference/security/ReauthPassword) for 901, 902,
# 908, 938, 1079, 1205; Auth Security for 991, 1132, 1148, 1198; Customer Identity API Codes for the others.
ERRORS: dict[int, tuple[int, str, str]] = {
    901: (
        403,
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
    908: (403, "A parameter is not formatted correctly", "A parameter is not formatted correctly."),
    938: (
        403,
        "User does not exist",
        "The user does not exist, please use a valid user in order to process this request.",
    ),
    905: (
        403,
        "Access token is invalid",
        "The LoginRadius access token is invalid, please use the correct or valid access token in order to process "
        "this request.",
    ),
    906: (
        403,
        "Access token has expired",
        "The LoginRadius access token has expired, please request a new token from LoginRadius API.",
    ),
    950: (
        500,
        "Operation failed due to an unknown error",
        "An unknown error has occurred, please try again in a few minutes or contact your system admin.",
    ),
    982: (403, "CAPTCHA is invalid", "CAPTCHA is invalid, please enter the correct CAPTCHA value."),
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
    roles: list[str] = dataclasses.field(default_factory=list)

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
        ("GET", ACCOUNT + r"/(?P<uid>[^/]+)", "get_account_by_uid"),
        ("GET", ACCOUNT + r"/(?P<uid>[^/]+)/role", "get_roles"),
        ("GET", PROFILE, "profile_by_token"),
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
        self.spent_answers: set[tuple[str, str]] = set()  # (field, captcha answer) already verified
        self._settings = (api_key, api_secret)

    def reset(self) -> None:
        """Forget users, issued access tokens and spent captcha answers, so one simulator serves many tests."""
        super().reset()
        with self.lock:
            self.api_key, self.api_secret = self._settings
            self.users.clear()
            self.tokens.clear()
            self.spent_answers.clear()

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

    def get_account_by_uid(self, request: Request) -> Reply:
        """Account Profiles by UID: the same profile; an unknown UID is 938 "User does not exist"."""
        if denied := self._authorize_admin(request):
            return denied
        user = self.users.get(unquote(request.params["uid"]))
        return Reply(200, user.profile()) if user else error(938)

    def get_roles(self, request: Request) -> Reply:
        """Roles by UID: the user's role names (984 "Account ID is invalid" is not emulated: 938)."""
        if denied := self._authorize_admin(request):
            return denied
        user = self.users.get(unquote(request.params["uid"]))
        return Reply(200, {"Roles": list(user.roles)}) if user else error(938)

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
        self.count_write("account.update", user.uid)
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
        """The JSON object body; ``{}`` is valid here (the token unlock's curl example sends ``-d '{}'``)."""
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return None
        try:
            body = json.loads(request.body)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _captcha_answers(body: dict[str, Any]) -> list[tuple[str, str]]:
        """The answers a provider can verify: a reCAPTCHA / hCaptcha response, a QQ ticket with its randstr."""
        answers = [(name, body[name]) for name in CAPTCHA_FIELDS if isinstance(body.get(name), str) and body[name]]
        ticket, randstr = body.get("qq_captcha_ticket"), body.get("qq_captcha_randstr")
        if isinstance(ticket, str) and ticket and isinstance(randstr, str) and randstr:
            answers.append(("qq_captcha_ticket", ticket))
        return answers

    def _verify_captchas(self, body: dict[str, Any]) -> Reply | None:
        """Verify every captcha answer sent, once: a second use of an answer is 982 "CAPTCHA is invalid"."""
        for answer in self._captcha_answers(body):
            if answer in self.spent_answers:
                return error(982)
            self.spent_answers.add(answer)
        return None

    def profile_by_token(self, request: Request) -> Reply:
        """Auth Read all Profiles by Token: the profile of the token's user."""
        user = self._authorize_user(request)
        return user if isinstance(user, Reply) else Reply(200, user.profile())

    def reauth_password(self, request: Request) -> Reply:
        """Step-Up Authenticate by Password: the token's user re-enters their password.

        Captcha answers sent here are verified (so spent) like anywhere else. Whether LoginRadius refuses
        a locked account here is not documented; the simulator does not, like the connector assumes.
        """
        user = self._authorize_user(request)
        if isinstance(user, Reply):
            return user
        body = self._any_json_object(request)
        if body is None:
            return error(1079)
        if spent := self._verify_captchas(body):
            return spent
        password = body.get("password")
        if not isinstance(password, str) or not password:
            return error(908, "The password is a required parameter.")
        if user.password is None or password != user.password:
            return error(1205)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 900))
        return Reply(200, {"SecondFactorValidationToken": str(uuid.uuid4()), "ExpireIn": expires})

    def unlock_by_token(self, request: Request) -> Reply:
        """Auth Unlock Account by Access Token: lifts captcha/security-question lockouts only.

        Block and Suspend are refused before any captcha answer is looked at (the order is not documented).
        """
        user = self._authorize_user(request)
        if isinstance(user, Reply):
            return user
        body = self._any_json_object(request)
        if body is None:
            return error(1079)
        if user.blocked:
            return error(991)
        if user.locked and user.lock_type == "suspend":
            return error(1198, data={"LoginLockedTimeout": user.locked_until})
        if spent := self._verify_captchas(body):
            return spent
        if user.locked:
            if user.lock_type == "captcha" and not self._captcha_answers(body):  # verified just above
                return error(1132)
            if user.lock_type == "security_question" and not self._security_answer_passed(user, body):
                return error(1148)
        user.locked = False
        self.count_write("token.unlock", user.uid)
        return Reply(200, {"IsPosted": True})

    @staticmethod
    def _security_answer_passed(user: LoginRadiusUser, body: dict[str, Any]) -> bool:
        answers = body.get("securityanswer")
        if not isinstance(answers, dict) or not answers:
            return False
        return all(
            isinstance(value, str) and user.security_answers.get(question, "").lower() == value.lower()
            for question, value in answers.items()
        )

    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        """HTTP 429 with the page's message and description for it (it lists no ErrorCode for a 429)."""
        description = (
            "Response status code indicates the user has sent too many requests in a given amount of time "
            "(i.e. rate limiting)"
        )
        return Reply(429, {"Message": "Too Many Request", "Description": description})

    def server_error(self, request: Request) -> Reply:
        return error(950)

    def not_routed(self, request: Request) -> Reply:
        # 404 "The API endpoint is not correct" (Customer Identity API Codes); the body is not documented.
        return Reply(404, {"Message": f"No HTTP resource was found that matches the request URI {request.path}"})
