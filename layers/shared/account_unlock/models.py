"""The event contract on the bus: requests to unlock and their outcomes.

The JSON Schemas in ``schemas/`` are generated from these models (``make schemas``) and a test keeps
them in step.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from account_unlock.validation import plain_text

TICKET_RESOLVED = "Ticket Resolved"
UNLOCK_REQUESTED = "Unlock Requested"
ACCOUNT_UNLOCKED = "Account Unlocked"
UNLOCK_FAILED = "Unlock Failed"
REQUEST_DETAIL_TYPES = (TICKET_RESOLVED, UNLOCK_REQUESTED)


def _identifier(value: str) -> str:
    if not plain_text(value):
        raise ValueError("contains a control, invisible formatting or line separator character")
    return value


# Identifiers end up in vendor filters, URLs, logs and audit records: printable text without control
# characters (the pattern, published in the schemas), nor C1 controls, bidi overrides, zero-width
# characters or line separators (``validation.plain_text``), which would make one value look like another.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_identifier),
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^[^\x00-\x1f\x7f]*$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]

USER_KEYS = ("id", "username", "email", "login_id", "ip")
OutcomeStatus = Literal["unlocked", "failed"]


class Origin(BaseModel):
    """Where the request came from, so write-back consumers can find the ticket again."""

    model_config = ConfigDict(extra="ignore")

    system: Name
    ticket_id: Text | None = None
    ticket_url: LongText | None = None
    delivery_id: Text | None = None


class UserRef(BaseModel):
    """The account to unlock, named by exactly one identifier."""

    model_config = ConfigDict(extra="forbid")

    id: Text | None = None
    username: Text | None = None
    email: Text | None = None
    login_id: Text | None = None
    ip: Text | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> UserRef:
        given = [key for key in USER_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"user needs exactly one of {', '.join(USER_KEYS)}")
        return self

    @property
    def kind(self) -> str:
        return next(key for key in USER_KEYS if getattr(self, key) is not None)

    @property
    def value(self) -> str:
        return str(getattr(self, self.kind))

    def describe(self) -> str:
        return f"{self.kind}={self.value}"


class UnlockRequest(BaseModel):
    """The ``detail`` of a "Ticket Resolved" or "Unlock Requested" event."""

    model_config = ConfigDict(extra="ignore")

    request_id: Text
    origin: Origin
    connection: Name
    user: UserRef
    requested_by: Text | None = None
    reason: LongText | None = None


class UnlockOutcome(BaseModel):
    """The ``detail`` of an "Account Unlocked" or "Unlock Failed" event, and of the audit record."""

    request_id: str
    status: OutcomeStatus
    reason: str = Field(description="Reason code: 'unlocked' or why it failed (user_not_found, ...)")
    message: str
    connection: str
    vendor: str | None = None
    user: dict[str, str]
    origin: Origin
    requested_by: str | None = None
    vendor_reference: str | None = Field(default=None, description="Task id, callId or trackingId")
    actions: list[str] = Field(default_factory=list, description="Vendor operations performed")
    planned_actions: list[str] | None = Field(
        default=None,
        description="Dry run only (reason 'dry_run'): the vendor operations that would have been performed",
    )

    @property
    def detail_type(self) -> str:
        return ACCOUNT_UNLOCKED if self.status == "unlocked" else UNLOCK_FAILED
