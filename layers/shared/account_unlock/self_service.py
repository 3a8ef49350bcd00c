"""The self-service path: a locked-out user unlocks their own account from a portal (LoginRadius today).

``POST /self-service/{connection}/unlock`` carries the user's access token (``Authorization: Bearer``)
and a JSON body with the password and the challenge answers, under LoginRadius's own field names::

    {"password": "...", "SecurityAnswer": {"<question id>": "..."}, "g-recaptcha-response": "...",
     "qq_captcha_ticket": "...", "qq_captcha_randstr": "...", "h-captcha-response": "..."}

When the connection asks for it the password is re-verified first, with the password only (LoginRadius
Step-Up Authenticate by Password, https://www.loginradius.com/docs/api/v2/customer-identity-api/step-up-authentication/step-up-auth-by-password/);
only then is the token unlock called with the challenge answers (Auth Unlock Account by Access Token,
https://www.loginradius.com/docs/api/v2/customer-identity-api/authentication/auth-unlock-account-by-access-token/:
its body carries the bot-protection and security answers that lift the lockout). Each answer goes to
that one call only: a captcha answer can be verified once (Google reCAPTCHA, Verifying the user's
response, https://developers.google.com/recaptcha/docs/verify). The answer is immediate JSON the portal
can show (docs/self-service.md has the table). Every answer that passed the attempt limit is audited and
measured like any other unlock, with origin system ``self-service``. LoginRadius is called only once
an ``attempted`` audit item is written (otherwise 503 + ``Retry-After``, no vendor call); the outcome's
item after the call is logged and counted (``AuditWriteFailed``) when it fails, and the answer stands.

The connection's policy (docs/policy.md) applies once the password is re-verified and before the token
unlock: the token's user (LoginRadius "Auth Read all Profiles by Token", read only when the policy has a
protected list or a per-user limit) must not be protected, and the unlock must fit the rate limits
(requester: the portal user's address; source: ``self-service``). A refusal is audited and answered
(409 ``contact_helpdesk``, 429 ``too_many_unlocks``); a dry-run connection re-verifies the password and
sends no unlock (422 ``not_unlocked``, audited as ``dry_run``).

Secrets: the access token, the password and the security answers live only in this request's memory,
as ``SecretStr``. They are never logged, queued, persisted (there is no idempotency record: unlocking
an unlocked account is harmless at the vendor), put in an outcome, audit item, metric or answer, and
validation errors name fields, never values. The attempt counters hold the token's SHA-256 only.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import CORSConfig
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationError

from account_unlock import attempts, audit, http
from account_unlock.aws import AWS_ERRORS
from account_unlock.config import settings
from account_unlock.connections import self_service_for
from account_unlock.edge import Answer, count
from account_unlock.errors import PermanentError, TransientError, UnlockError
from account_unlock.guard import Subject, count_refusal, take_admission
from account_unlock.models import Origin, UnlockOutcome
from account_unlock.observability import logger, metrics
from account_unlock.outcomes import audited, record_outcome
from account_unlock.steps import Account
from account_unlock.vendors.base import ChallengeAnswers, SelfServiceUnlock

ORIGIN_SYSTEM = "self-service"
MAX_BODY_BYTES = 16 * 1024
DEFAULT_RETRY_AFTER = 30
# Time kept back from the Lambda timeout to audit and answer after the last vendor call.
BUDGET_MARGIN_SECONDS = 1.5
BEARER = re.compile(r"^Bearer +(\S+)$", re.IGNORECASE)
PORTAL_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
FIELD_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

Captcha = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$")]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]
SecurityAnswers = Annotated[
    dict[QuestionId, Annotated[SecretStr, Field(min_length=1, max_length=512)]], Field(max_length=10)
]


class UnlockBody(BaseModel):
    """The portal's JSON body. Unknown fields are refused; errors never carry the input values."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True)

    password: Password | None = None
    security_answer: SecurityAnswers | None = Field(default=None, alias="SecurityAnswer")
    g_recaptcha_response: Captcha | None = Field(default=None, alias="g-recaptcha-response")
    qq_captcha_ticket: Captcha | None = None
    qq_captcha_randstr: Captcha | None = None
    h_captcha_response: Captcha | None = Field(default=None, alias="h-captcha-response")

    def answers(self) -> ChallengeAnswers:
        return ChallengeAnswers(
            g_recaptcha_response=self.g_recaptcha_response,
            qq_captcha_ticket=self.qq_captcha_ticket,
            qq_captcha_randstr=self.qq_captcha_randstr,
            h_captcha_response=self.h_captcha_response,
            security_answer=dict(self.security_answer or {}),
        )

    def secret_values(self) -> list[str]:
        values = [self.password.get_secret_value()] if self.password else []
        return values + [answer.get_secret_value() for answer in (self.security_answer or {}).values()]


@dataclass(frozen=True)
class PortalRequest:
    """One request of the portal, as the function hands it over (headers with any case)."""

    connection: str
    headers: Mapping[str, str]
    body: bytes
    source_ip: str
    request_id: str
    remaining_seconds: float = 10.0


@dataclass
class Result:
    """What one attempt came to: a reason code, an internal message, and what the portal may see."""

    reason: str
    message: str
    public_message: str | None = None
    retry_after: float | None = None
    transient: bool = False
    actions: list[str] = field(default_factory=list)


# reason -> (HTTP status, error code, message for the user)
SIGN_IN_AGAIN = (401, "invalid_token", "Your session is not valid or has expired. Sign in again, then retry.")
CONTACT_HELPDESK = (409, "contact_helpdesk", "This lock cannot be lifted here. Contact the helpdesk.")
ANSWERS: dict[str, tuple[int, str, str]] = {
    "unlocked": (200, "", "Your account is unlocked. You can sign in again."),
    "invalid_password": (401, "invalid_password", "The password is not correct."),
    "token_invalid": SIGN_IN_AGAIN,
    # Deliberately the very same answer as an invalid token: it never tells whether an account exists.
    "user_not_found": SIGN_IN_AGAIN,
    "token_missing": (401, "missing_token", "Send the access token of the signed-in user as 'Authorization: Bearer'."),
    "account_blocked": CONTACT_HELPDESK,
    "account_suspended": CONTACT_HELPDESK,
    "challenge_required": (403, "challenge_required", "Complete the security check, then try again."),
    "password_required": (400, "password_required", "Enter your password to unlock the account."),
    "invalid_request": (400, "invalid_request", "The request is not valid."),
    "bad_request": (400, "bad_request", "The identity provider refused the request. Check the answers and retry."),
    # Our own configuration (API key refused, connection secret broken): nothing the user can fix.
    "bad_credentials": (502, "unavailable", "Unlocking is not available right now. Contact the helpdesk."),
    "forbidden": (502, "unavailable", "Unlocking is not available right now. Contact the helpdesk."),
    "config_invalid": (502, "unavailable", "Unlocking is not available right now. Contact the helpdesk."),
    # The connection's policy (docs/policy.md): a protected account, too many unlocks, a dry run.
    "protected_account": CONTACT_HELPDESK,
    "rate_limited_policy": (
        429,
        "too_many_unlocks",
        "Too many unlocks right now. Try again later or contact the helpdesk.",
    ),
}
NOT_UNLOCKED = (422, "not_unlocked", "The account could not be unlocked here. Contact the helpdesk.")
UNAVAILABLE = (503, "unavailable", "Unlocking is busy or unavailable. Try again in a moment.")
WWW_AUTHENTICATE = {
    "invalid_token": 'Bearer error="invalid_token"',
    "missing_token": "Bearer",
}


def handle_self_service(request: PortalRequest) -> Answer:
    """Answer one self-service unlock request; never raises for anything the caller sent."""
    headers = {key.lower(): value for key, value in request.headers.items()}
    if len(request.body) > MAX_BODY_BYTES:
        return respond(request, 413, "too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    origin = headers.get("origin")
    if origin is not None and origin not in allowed_origins():
        return respond(request, 403, "origin_not_allowed", "This origin may not call the unlock service.")
    try:
        portal = self_service_portal(request.connection)
    except LookupError:
        return respond(request, 404, "unknown_connection", "Unknown connection.")
    except TransientError:
        logger.warning("connection secret could not be read", extra={"connection": request.connection})
        return respond(request, *UNAVAILABLE, retry_after=DEFAULT_RETRY_AFTER)
    token = bearer_token(headers.get("authorization"))
    try:
        attempts.register(request.source_ip, attempts.token_fingerprint(token) if token else None)
    except attempts.AttemptLimitReached as exc:
        logger.warning(
            "self-service attempt limit reached",
            extra={"connection": request.connection, "scope": exc.scope, "source_ip": request.source_ip},
        )
        count("SelfServiceAttemptsLimited", scope=exc.scope)
        return respond(
            request, 429, "too_many_attempts", "Too many attempts. Wait, then try again.", retry_after=exc.retry_after
        )
    except TransientError:
        logger.error("attempt counters unavailable: failing closed")
        return respond(request, *UNAVAILABLE, retry_after=DEFAULT_RETRY_AFTER)
    secrets = [token.get_secret_value()] if token else []
    result = attempt(portal, request, token, secrets)
    record(request, portal.vendor, result, secrets)
    return reply_for(request, result)


def attempt(portal: SelfServiceUnlock, request: PortalRequest, token: SecretStr | None, secrets: list[str]) -> Result:
    """Parse the body, re-verify the password (when required or given), apply the policy, unlock by token."""
    if token is None:
        return Result("token_missing", "no access token (Authorization: Bearer) in the request")
    try:
        body = parse_body(request.body)
    except InvalidBody as exc:
        return Result("invalid_request", f"invalid body: {exc.public}", public_message=exc.public)
    secrets += body.secret_values()  # the caller scrubs the audit message of these too
    if body.password is None and portal.requires_password:
        return Result("password_required", "the connection requires the password and none was given")
    try:
        audit_attempt(request, portal.vendor)
    except AWS_ERRORS:
        return Result(
            "audit_unavailable", "the attempt could not be audited: the vendor was not called", transient=True
        )
    answers = body.answers()
    started = time.perf_counter()
    try:
        with http.budget.running(max(request.remaining_seconds - BUDGET_MARGIN_SECONDS, 0.5)):
            if body.password is not None:
                portal.verify_password(token, body.password)  # the password only: the answers are the unlock's
            guard(portal, request, token)
            result = portal.unlock_with_token(token, answers)  # refused unsent for a dry-run connection
    except UnlockError as exc:
        count_refusal(exc.reason)
        return Result(exc.reason, exc.message, retry_after=getattr(exc, "retry_after", None), transient=exc.retryable)
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics.add_metric(name="VendorLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    return Result("unlocked", result.message, actions=result.actions)


def guard(portal: SelfServiceUnlock, request: PortalRequest, token: SecretStr) -> None:
    """The connection's policy before the token unlock; raises its refusal.

    The token's user is read only when the policy needs to know it. Each attempt that gets here is
    one unlock for the rate limits: there is no retry of a portal request, the user's next click is
    a new attempt.
    """
    policy = portal.policy
    if not policy.active:
        return
    account = portal.account(token, policy.wanted) if policy.needs_account else Account()
    policy.check_account(account, portal.vendor)
    user = f"token={attempts.token_fingerprint(token)}"  # counted when the vendor returned no user id
    subject = Subject(request.connection, user, requester(request), ORIGIN_SYSTEM)
    take_admission(policy, subject, account, dry_run=policy.dry_run)


class InvalidBody(ValueError):
    """The body is not the expected JSON object; ``public`` names the fields, never their values."""

    def __init__(self, public: str) -> None:
        super().__init__(public)
        self.public = public


def parse_body(raw: bytes) -> UnlockBody:
    if not raw.strip():
        return UnlockBody()
    try:
        return UnlockBody.model_validate_json(raw)
    except ValidationError as exc:
        problems = exc.errors(include_input=False, include_url=False, include_context=False)
        if any(problem["type"] in {"json_invalid", "model_type"} for problem in problems):
            raise InvalidBody("the body is not a JSON object") from None
        names = sorted({field_name(problem) for problem in problems})
        raise InvalidBody(f"invalid or unknown fields: {', '.join(names)}") from None


def field_name(problem: Any) -> str:
    """The top-level field a validation problem is about (an unknown field's name only if tame)."""
    name = str(problem["loc"][0]) if problem["loc"] else "body"
    return name if FIELD_NAME.fullmatch(name) else "(unnamed field)"


def bearer_token(value: str | None) -> SecretStr | None:
    match = BEARER.match(value or "")
    return SecretStr(match.group(1)) if match else None


def self_service_portal(name: str) -> SelfServiceUnlock:
    """The self-service unlock of a connection that opted in; ``LookupError`` for anything else (an
    invalid policy too: logged with the field it names, and no vendor call)."""
    try:
        portal = self_service_for(name)
    except PermanentError as exc:
        if exc.reason != "unknown_connection":
            logger.error("connection is not usable", extra={"connection": name, "error": exc.message})
        raise LookupError(name) from None
    if not portal.enabled:
        raise LookupError(name)
    return portal


def requester(request: PortalRequest) -> str:
    return f"portal user from {request.source_ip}"[:256]


def audit_attempt(request: PortalRequest, vendor: str) -> None:
    """The ``attempted`` audit item, written before the vendor is called; a failure is raised."""
    audited(
        lambda: audit.record_attempt(
            request_id=request.request_id,
            connection=request.connection,
            vendor=vendor,
            origin_system=ORIGIN_SYSTEM,
            requested_by=requester(request),
        ),
        request.request_id,
    )


def record(request: PortalRequest, vendor: str, result: Result, secrets: list[str]) -> None:
    """Audit and measure the outcome like every unlock; the user is not named (see docs/self-service.md).

    A failed audit write is logged and counted by ``record_outcome`` and not raised: the user is told
    what happened at the vendor (an unlock is not undone); if the vendor was called, the attempt's
    own item is already written.
    """
    outcome = UnlockOutcome(
        request_id=request.request_id,
        status="unlocked" if result.reason == "unlocked" else "failed",
        reason=result.reason,
        message=scrub(result.message, secrets),
        connection=request.connection,
        vendor=vendor,
        user={},
        origin=Origin(system=ORIGIN_SYSTEM),
        requested_by=requester(request),
        actions=result.actions,
    )
    with contextlib.suppress(*AWS_ERRORS):
        record_outcome(outcome)


def reply_for(request: PortalRequest, result: Result) -> Answer:
    if result.transient:
        return respond(request, *UNAVAILABLE, retry_after=result.retry_after or DEFAULT_RETRY_AFTER)
    status, error, message = ANSWERS.get(result.reason, NOT_UNLOCKED)
    if status == 200:
        count("SelfServiceAnswers", answer="unlocked")
        return Answer(200, {"status": "unlocked", "message": message, "request_id": request.request_id})
    return respond(request, status, error, result.public_message or message)


def respond(
    request: PortalRequest, status: int, error: str, message: str, *, retry_after: float | None = None
) -> Answer:
    """A refusal the portal can show: ``{"status": "not_unlocked", "error", "message", "request_id"}``."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if error in WWW_AUTHENTICATE:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE[error]
    count("SelfServiceAnswers", answer=error)
    logger.info("self-service answer", extra={"connection": request.connection, "status": status, "error": error})
    body = {"status": "not_unlocked", "error": error, "message": message, "request_id": request.request_id}
    return Answer(status, body, headers)


def scrub(text: str, secrets: list[str]) -> str:
    """Defence in depth: vendor texts end up in the audit; no secret value may ride along."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


# CORS ------------------------------------------------------------------------------------------
def allowed_origins(value: str | None = None) -> list[str]:
    """The portal origins from ``ALLOWED_ORIGINS`` (comma-separated); ``*`` and junk are ignored."""
    raw = settings().allowed_origins if value is None else value
    origins = [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]
    return [origin for origin in origins if PORTAL_ORIGIN.fullmatch(origin)]


def cors_config(value: str | None = None) -> CORSConfig | None:
    """Powertools CORS for the listed origins only; no origins listed = no CORS at all (fail closed)."""
    origins = allowed_origins(value)
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
        allow_credentials=False,
    )
