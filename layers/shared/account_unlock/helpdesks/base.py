"""What every helpdesk write-back shares: the ``writeback`` block of a source secret, the comment
template and the HTTP answer check.

A source secret's ``writeback`` object is validated here, by the write-back function only (the
webhook keeps it as raw JSON: a mistake in it never stops an unlock). Unknown fields are refused and
every error names the field, never its value. Credentials live in the block's ``credentials`` object
of the same secret (``SecretStr``: never logged or printed); the comment template is rendered with
``string.Template`` over a fixed set of outcome fields (``COMMENT_FIELDS``): no attribute access, no
format specs, nothing but those values is reachable, so no template can print a secret.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from string import Template
from typing import Annotated, Any, ClassVar, Literal

import requests
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from account_unlock.errors import PermanentError, TransientError
from account_unlock.http import RETRY_STATUSES, VendorHttp, retry_after
from account_unlock.models import UnlockOutcome
from account_unlock.validation import secure_base_url

OutcomeKind = Literal["unlocked", "failed", "refused"]
# Reasons of an "Unlock Failed" that a connection's policy decided (docs/policy.md), not a failure.
REFUSAL_REASONS = frozenset({"protected_account", "rate_limited_policy", "dry_run"})
COMMENT_FIELDS = frozenset(
    {
        "outcome",
        "status",
        "reason",
        "message",
        "request_id",
        "connection",
        "vendor",
        "user",
        "ticket_id",
        "ticket_url",
        "requested_by",
        "vendor_reference",
        "actions",
    }
)
MAX_TEMPLATE_CHARS = 4000
MAX_COMMENT_CHARS = 8000


def outcome_kind(outcome: UnlockOutcome) -> OutcomeKind:
    if outcome.status == "unlocked":
        return "unlocked"
    return "refused" if outcome.reason in REFUSAL_REASONS else "failed"


def comment_fields(outcome: UnlockOutcome) -> dict[str, str]:
    """The only values a template can use: the outcome's own, as text."""
    return {
        "outcome": outcome.detail_type,
        "status": outcome.status,
        "reason": outcome.reason,
        "message": outcome.message,
        "request_id": outcome.request_id,
        "connection": outcome.connection,
        "vendor": outcome.vendor or "unknown",
        "user": ", ".join(f"{kind}={value}" for kind, value in outcome.user.items()),
        "ticket_id": outcome.origin.ticket_id or "",
        "ticket_url": outcome.origin.ticket_url or "",
        "requested_by": outcome.requested_by or "",
        "vendor_reference": outcome.vendor_reference or "",
        "actions": ", ".join(outcome.actions) or "none",
    }


def checked_template(text: str) -> str:
    """A ``string.Template`` that names only ``COMMENT_FIELDS`` (``$name`` / ``${name}``)."""
    template = Template(text)
    if not template.is_valid():
        raise ValueError("is not a valid template (a lone $; write $$ for a dollar sign)")
    unknown = sorted(set(template.get_identifiers()) - COMMENT_FIELDS)
    if unknown:
        raise ValueError(f"uses unknown fields {unknown}; allowed: {sorted(COMMENT_FIELDS)}")
    return text


class Templates(BaseModel):
    """The comment of each kind of outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unlocked: str = Field(
        default="Account unlocked: $user at $vendor ($connection); the user can sign in again. "
        "Actions: $actions. Request $request_id.",
        max_length=MAX_TEMPLATE_CHARS,
    )
    failed: str = Field(
        default="Unlock failed ($reason): $message. The account may still be locked. Request $request_id.",
        max_length=MAX_TEMPLATE_CHARS,
    )
    refused: str = Field(
        default="Unlock refused by the connection's policy ($reason): $message. Request $request_id.",
        max_length=MAX_TEMPLATE_CHARS,
    )

    @field_validator("unlocked", "failed", "refused")
    @classmethod
    def _only_outcome_fields(cls, text: str) -> str:
        return checked_template(text)


class PostOn(BaseModel):
    """Whether each kind of outcome is written back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unlocked: bool = True
    failed: bool = True
    refused: bool = True


class WriteBackConfig(BaseModel):
    """The fields every helpdesk's ``writeback`` block has; each helpdesk adds its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    post_on: PostOn = Field(default_factory=PostOn, description="On/off per outcome kind")
    templates: Templates = Field(default_factory=Templates, description="The comment of each outcome kind")

    def comment(self, outcome: UnlockOutcome) -> str:
        text = getattr(self.templates, outcome_kind(outcome))
        return Template(text).substitute(comment_fields(outcome))[:MAX_COMMENT_CHARS]

    def posts(self, outcome: UnlockOutcome) -> bool:
        return bool(getattr(self.post_on, outcome_kind(outcome)))


def base_url(url: str) -> str:
    """``https`` (plain ``http`` only on loopback: the simulators), as for connections."""
    try:
        return secure_base_url(url, "base_url")
    except PermanentError:
        raise ValueError("must be an https URL without user-info, query or fragment (http only on loopback)") from None


BaseUrl = Annotated[str, AfterValidator(base_url)]


@dataclass(frozen=True)
class Posted:
    """What a write-back did: a message safe to audit and log, and the helpdesk's id of the comment."""

    message: str
    reference: str | None = None


class Helpdesk(ABC):
    """One helpdesk's write-back: ``post`` reads what it must, and its last request is the one write."""

    name: ClassVar[str]
    config_model: ClassVar[type[WriteBackConfig]]

    def __init__(self) -> None:
        self.http = VendorHttp(self.name)

    @abstractmethod
    def post(self, config: Any, ticket_id: str, comment: str, outcome: UnlockOutcome) -> Posted:
        """Add ``comment`` to the ticket; ``PermanentError`` when the helpdesk refuses, ``TransientError``
        when it may accept later (the caller's retries)."""


def checked(response: requests.Response, helpdesk: str, what: str) -> requests.Response:
    """The response when it is a success; else the error its status means (retry or refuse)."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    message = f"{helpdesk} answered HTTP {status} to {what}"
    if status in RETRY_STATUSES or status >= 500:
        raise TransientError("helpdesk_unavailable", message, retry_after=retry_after(response))
    raise PermanentError("writeback_refused", message)


def json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
