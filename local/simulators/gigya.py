"""Gigya / SAP Customer Data Cloud simulator: ``POST /accounts.rba.unlock`` ("accounts.rba.unlock REST",
https://developers.gigya.com/display/GD/accounts.rba.unlock+REST: one of ``UID``, ``loginID`` or ``ip``) and
``POST /accounts.getAccountInfo`` for a ``UID`` with ``include=isLockedOut`` ("accounts.getAccountInfo REST",
https://developers.gigya.com/display/GD/accounts.getAccountInfo+REST; ``isLockedOut`` is in the include list
of "accounts.getAccountInfo JS", https://developers.gigya.com/display/GD/accounts.getAccountInfo+JS: "Indicates
whether the account is currently locked out").

Like Gigya, it answers HTTP 200 whatever happened (unless the caller asks for ``httpStatusCodes=true``;
SAP's Python SDK always sends ``false``, SAP/gigya-python-sdk GSSDK.py) with
``{"statusCode","errorCode","statusReason","callId","time"}``, plus ``errorMessage`` and ``errorDetails``
on errors ("Response Data" of accounts.rba.unlock REST: only ``errorCode`` 0 is a success; ``statusCode``
is the HTTP status the code stands for, e.g. 403 for 403007 in
"Handling Unknown Parameters", https://developers.gigya.com/display/GD/Handling+Unknown+Parameters).
Parameters are read from the form-encoded body only. ``denied_methods`` emulates a user key whose
permission group lacks a method: 403007 "Permission denied" (Response Codes and Errors REST,
https://developers.gigya.com/display/GD/Response+Codes+and+Errors+REST).

Test controls on top of the base class's HTTP faults: ``fail_with_code(code, times)`` queues Gigya
error codes answered inside an HTTP 200 (so are the random faults of ``inject``,
``local.simulators.base.Chaos``: 403048 "Rate limit exceeded" and 500001 "General Server error", codes of
Response Codes and Errors REST, which documents no ``Retry-After``), ``wrong_data_center = True`` answers 301001 with the
``apiDomain`` of ``data_center`` (or ``api_domain`` when set). ``writes`` counts the unlocks per
``UID``, ``loginID`` or ``ip``.

``GET /accounts.getJWTPublicKey?apiKey=…&V2=true`` publishes the site's webhook signing keys as JWKs
(``site_keys``, the current one last; ``rotate_site_key()`` adds one): the method is public and needs
only the API key ("accounts.getJWTPublicKey REST",
https://developers.gigya.com/display/GD/accounts.getJWTPublicKey+REST), and with ``V2=true`` SAP's SDK
reads the answer's ``keys`` and picks the JWK of the token's ``kid`` (SAP/gigya-java-sdk,
auth/src/main/java/com/gigya/auth/GSAuthRequestUtils.java, https://github.com/SAP/gigya-java-sdk). The
answer without ``V2`` is not emulated. ``LOCAL_SITE_KEY`` is a fixed local test key pair (not a
credential of any real site), so that the webhooks signed with it, events/ included, stay the same.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from local.simulators.base import Reply, Request, Simulator

FORM = "application/x-www-form-urlencoded"
METHOD = "accounts.rba.unlock"
IDENTIFIERS = ("UID", "loginID", "ip")
DOMAINS = {"cn1": "cn1.gigya-api.cn"}
# errorMessage of each code: Response Codes and Errors REST (above); 403048's text as Gigya answers it.
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
    409030: "Concurrent updates not allowed",
    500001: "General Server error",
    504001: "Timeout",
    504002: "General timeout",
}


@dataclass(frozen=True)
class GigyaSiteKey:
    """One of the site's RSA key pairs for signing webhook JWTs (RS256)."""

    kid: str
    private_pem: bytes

    def private_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(self.private_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key().public_key(), as_dict=True)
        return {"kid": self.kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": jwk["n"], "e": jwk["e"]}


def new_site_key(kid: str) -> GigyaSiteKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return GigyaSiteKey(kid, pem)


# LOCAL TEST KEY: signs the local and test webhooks only; it is no credential of any Gigya site.
LOCAL_SITE_KEY = GigyaSiteKey(
    "local-gigya-site-key-1",
    b"""-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDQkKSCilogAUGV
tto7GdXLv6Tb8uU60dKmdDCyljboJgbIvpderSfjzb3UktQxG9N+bqA1qUnwKguc
VkoZ3itN9hRn7CAIhMVuYvjQDS07KIhSkuOCVuFAsaI+C0oyuGYLY3+QnEL+kue0
HnFduGEThLczq/nclxkHnDX8nKZBtIv9SlaZ4cIWlZAnkqLg6hayoY7qfq3IK5Jb
45ij5Qzes75fx9S8G1nyYjRcyHIY2JFMdUmmY3apQS8EPwvvfWfQptZyKpOT2FjE
y1FAC0HN/8C58SSGDrmVcOuNszMuk/AVLBsIL6jr92GHhxRxhPNuh3HIqupraeLl
nmcGPYCPAgMBAAECggEAKb7BxsUla+GEfJBoVssBgXIe781Kt3624I1CEATEAaxW
0EhhqNgUs2KDW/B1m0y8BMLku0jinTj1MPoOg+X1mfmmtPRMpxfYIpOZxJ7WjlA7
FPgEpJp6JIZJeIyu8b754c6tAkdcm3LRALrVKxKUD6GRP7zs2ou9vUm1fpXmKyE5
CR6RbnFVdWDbqg4pU644JuvWy4aOkBRz5RnpEJ8xH71dzCEUhdcFRyXk1KGdZvie
fka/XdfI7RYVesp3je5TYA0/xuu8zKDRcLqwR9D0NzAckP92xPXflvrlEdleLpup
IJhNq16JMU6N6Nn4MqZXJlUtuTSEE2r21fCP1oxkCQKBgQDx4CUHL7JcsXICBqze
v8bJ012koNnjLjeBB3D7TmjuTkN7yO4TeW4n5svkE8oWdMi6ZZarqNxftHLlgUDN
75/ZuqrH4Rd7fSkSrhq11B8mxtdS1sCJHVxM1khG/fBHLs0hzXdJhSt4T+W0t/K0
nLA5160VYeloifJ7wb7KE8phyQKBgQDcvofTV5dPe/xgTAz01aFCXqzUGcio8Ype
uBwJ63qpIOe+3d8UbdhLSSqREVXT4HGV6ncwlRXX5KL9ZG6oKIT53+nQF8rrgdMi
CDTgQ4yOF00Lv+KOxh3q3wTPhWZRePu1deveHZ4P2HJLSqs3fVmh2sMOzvJZpmQW
QiAKGPC7lwKBgBqWbPuRPqX5y3J1kWMa6Zsd5NlH5SuX1PoV+1FkmRw49ioRODpj
yrwQHrF/i2NUiwwSRrGv6imLCGY6AwmgIY4pesRl9dLZOz6WbNE39ASrLtgoSxnH
ZHH9zAwhtdvdRSdGEqq+PL0I61MmNUOtRaHWF2yWSrX3E/SOo45LBqAhAoGAFxUh
VNsy6k/XuyYYsL1qCGun/OHZVrkzM+ZioDLsd6UGNrIysost8+lptxOt+uLcXcXP
wtfEGfhBhueqnpDmHs7oPydNw8SmlEdxaAYIO496MgFVqoJS/I1njl+vrFNPVtFG
4coNDjEe+nqLXtkPt1oNzY2cT/2TN7Sgbw3elm8CgYEAnX6sz7N09hcyKDyFivnx
V98i2OvdPIqzYenKlfoP/Ou5YNsg8wH+4PIIXf16RtX4CpdJYdcrAfWk+KF950TB
LaMvnxledKx/m9F/ISs2gemdNlUOaEik+o34/8U1zgAva6sNtR63azuQLWWyRaM+
IHlLjWIq9MrshUM7/Ds//tg=
-----END PRIVATE KEY-----
""",
)


@dataclass
class GigyaAccount:
    uid: str
    login_id: str
    locked: bool = True
    data: dict[str, Any] = field(default_factory=dict)  # the site's custom data object


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class GigyaSimulator(Simulator):
    name = "gigya"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/accounts\.rba\.unlock", "unlock"),
        ("POST", r"/accounts\.getAccountInfo", "get_account_info"),
        ("GET", r"/accounts\.getJWTPublicKey", "jwt_public_key"),
    ]

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
        self.denied_methods: set[str] = set()  # methods the user key's permission group may not call
        self.site_keys: list[GigyaSiteKey] = [LOCAL_SITE_KEY]

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

    @property
    def site_key(self) -> GigyaSiteKey:
        """The key the site signs webhooks with now."""
        return self.site_keys[-1]

    def rotate_site_key(self) -> GigyaSiteKey:
        """Sign with a new key from now on; the previous keys stay published."""
        with self.lock:
            self.site_keys.append(new_site_key(f"rotated-{len(self.site_keys)}-{uuid.uuid4().hex[:8]}"))
            return self.site_key

    def reset(self, data_center: str = "us1") -> None:
        """Forget accounts, locked IPs and switches as well, so one started simulator serves many tests."""
        self.clear()
        with self.lock:
            self.accounts.clear()
            self.locked_ips.clear()
            self.data_center = data_center
            self.wrong_data_center = False
            self.api_domain = None
            self.denied_methods.clear()
            self.site_keys = [LOCAL_SITE_KEY]

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

    def _refused(self, request: Request, method: str) -> Reply | None:
        """The answer to a server-side call that is not accepted: format, data center, credentials, permission."""
        if (request.header("content-type") or "").split(";")[0].strip() != FORM:
            return self._reply(request, 400001, "Content-Type must be application/x-www-form-urlencoded")
        form = request.form()
        if self.wrong_data_center:  # 301001 carries the apiDomain to use (Response Codes and Errors REST)
            return self._reply(request, 301001, "Please use the apiDomain", apiDomain=self.own_api_domain)
        if not form.get("apiKey"):
            return self._reply(request, 400002, "Missing required parameter: apiKey")
        if form["apiKey"] != self.api_key:
            return self._reply(request, 400093)
        if not form.get("userKey") or not form.get("secret"):
            return self._reply(request, 403007, "Server-side method called without userKey and secret")
        if form["userKey"] != self.user_key or form["secret"] != self.secret:
            return self._reply(request, 403003, "Invalid user key or secret")
        if method in self.denied_methods:
            return self._reply(request, 403007, f"The user key's permission group does not allow {method}")
        return None

    def get_account_info(self, request: Request) -> Reply:
        """The account of a ``UID``: ``profile`` and ``data`` when ``include`` names them (its default is
        ``profile,data``), ``isLockedOut`` only when it names it (accounts.getAccountInfo REST)."""
        if refused := self._refused(request, "accounts.getAccountInfo"):
            return refused
        form = request.form()
        if not form.get("UID"):
            return self._reply(request, 400002, "Missing required parameter: UID")
        account = self.accounts.get(form["UID"])
        if account is None:  # not documented for this method: the same answer as accounts.rba.unlock's
            return self._reply(request, 403005, "Unknown user")
        included = {name.strip() for name in form.get("include", "profile,data").split(",")}
        extra: dict[str, Any] = {"UID": account.uid}
        if "profile" in included:
            extra["profile"] = {"email": account.login_id}
        if "data" in included:
            extra["data"] = account.data
        if "isLockedOut" in included:
            extra["isLockedOut"] = account.locked
        return self._reply(request, 0, **extra)

    def unlock(self, request: Request) -> Reply:
        if self.code_faults:
            code, details = self.code_faults.popleft()
            return self._reply(request, code, details)
        if refused := self._refused(request, "accounts.rba.unlock"):
            return refused
        form = request.form()
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
        self.count_write(METHOD, f"{key}={value}")
        return self._reply(request, 0)

    def jwt_public_key(self, request: Request) -> Reply:
        """The site's public keys: only ``apiKey`` is needed (public method), 400093 for another key."""
        api_key = request.query.get("apiKey", [""])[-1]
        if not api_key:
            return self._reply(request, 400002, "Missing required parameter: apiKey")
        if api_key != self.api_key:
            return self._reply(request, 400093)
        return self._reply(request, 0, keys=[key.public_jwk() for key in self.site_keys])

    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        return self._reply(request, 403048)

    def server_error(self, request: Request) -> Reply:
        return self._reply(request, 500001)

    def not_routed(self, request: Request) -> Reply:
        # Not documented: the HTML 404 a web server answers for an unknown path (no errorCode).
        return Reply(404, "<html><body>Not Found</body></html>", content_type="text/html")
