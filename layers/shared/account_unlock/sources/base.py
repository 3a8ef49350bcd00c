"""The small interface every webhook source kind implements, and the source configuration."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationInfo, field_validator

from account_unlock.models import TICKET_RESOLVED
from account_unlock.sources.mapping import FieldMap

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
# An IAM user or role ARN, or an STS assumed-role ARN; a trailing "/*" stands for any session name.
PrincipalArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+?(/\*)?$")
]
TIMESTAMP_TOLERANCE_SECONDS = 300


class Unauthorized(Exception):  # named after the HTTP answer it becomes
    """The request's credentials are missing, wrong or stale. The message is safe to return."""


class NestedTooDeeply(ValueError):
    """A JSON body nested deeper than Python's recursion limit lets ``json`` parse (about 1,000 levels)."""


def parse_json(body: bytes) -> Any:
    """The body as JSON; ``ValueError`` (``NestedTooDeeply`` for a too-deep one) when it cannot be parsed."""
    try:
        return json.loads(body)
    except RecursionError:
        raise NestedTooDeeply("body is nested too deeply") from None


class SourceConfig(BaseModel):
    """The JSON of the secret ``<prefix>/sources/<name>``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    auth: Literal["secret", "iam"] = Field(
        default="secret",
        description="'iam': only the IAM route (SigV4, verified by API Gateway) from one of iam_principals",
    )
    secrets: list[SecretStr] = Field(
        default_factory=list, validate_default=True, description="Active secrets; several during a rotation"
    )
    iam_principals: list[PrincipalArn] = Field(
        default_factory=list, validate_default=True, description="With auth 'iam': the callers allowed"
    )
    connections: list[Name] = Field(min_length=1, description="The connections this source may target")
    default_connection: Name | None = None
    mapping: dict[str, str] = Field(default_factory=dict, description="JMESPath overrides of the kind's preset")
    resolved_statuses: list[str] | None = Field(
        default=None,
        description="Statuses (for identity events: event types) that mean 'unlock now'; replaces the preset's test",
    )
    writeback: dict[str, Any] | None = Field(
        default=None,
        description="Where outcomes are written back (docs/writeback.md); validated by the write-back function "
        "only (account_unlock.helpdesks), so a mistake in it never stops an unlock",
    )

    @field_validator("secrets")
    @classmethod
    def _secrets_unless_iam(cls, secrets: list[SecretStr], info: ValidationInfo) -> list[SecretStr]:
        if not secrets and info.data.get("auth") != "iam":
            raise ValueError("at least one secret is required (empty only with auth 'iam')")
        return secrets

    @field_validator("iam_principals")
    @classmethod
    def _principals_with_iam(cls, principals: list[str], info: ValidationInfo) -> list[str]:
        if (info.data.get("auth") == "iam") != bool(principals):
            raise ValueError("auth 'iam' needs iam_principals; other sources must not have any")
        return principals

    def allows_principal(self, principal: str) -> bool:
        """Whether an IAM caller ARN is on the allow-list (exactly, or as a session of an ``.../*`` entry)."""
        for allowed in self.iam_principals:
            if allowed.endswith("/*"):
                session = principal.removeprefix(allowed[:-1])
                if session != principal and session and "/" not in session:
                    return True
            elif principal == allowed:
                return True
        return False


@dataclass(frozen=True)
class Delivery:
    """One HTTP request from a sender, as received: headers with lower-case names, raw body bytes."""

    source: str
    headers: Mapping[str, str]
    body: bytes
    received_at: float
    iam_principal: str | None = None
    """The caller's ARN when the request came on the IAM route (API Gateway verified its SigV4 signature)."""

    def header(self, name: str) -> str:
        value = self.headers.get(name)
        if not value:
            raise Unauthorized(f"missing header {name}")
        return value

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, for senders that sign fields inside it; None when it is not one
        (an authentic body that is not a JSON object is left to the mapping, which answers 400)."""
        try:
            payload = parse_json(self.body)
        except (ValueError, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None


class SourceKind(ABC):
    """How one kind of sender authenticates, and where its payload keeps the fields we need.

    ``items`` splits a payload into the requests it carries: one for a ticket, several for a batch
    of identity events. In a batch, an item that cannot be mapped is skipped and reported, so one
    bad event never blocks (or makes the sender retry forever) the others.
    """

    kind: ClassVar[str]
    preset: ClassVar[FieldMap]
    detail_type: ClassVar[str] = TICKET_RESOLVED
    batched: ClassVar[bool] = False
    accepted_status: ClassVar[int] = 202  # what the sender counts as delivered
    max_body_bytes: ClassVar[int] = 256 * 1024  # one EventBridge entry
    config_model: ClassVar[type[SourceConfig]] = SourceConfig  # a kind with settings of its own extends it

    def bind(self, config: SourceConfig) -> SourceKind:
        """This kind set up for one source (``config`` is a ``config_model``); most kinds need no set-up."""
        return self

    @abstractmethod
    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        """Verify the credentials against every active secret; return the sender's delivery id.

        Raise ``Unauthorized`` when no secret verifies. Comparisons are constant-time.
        """

    def verification(self, delivery: Delivery, secrets: Sequence[str]) -> dict[str, str] | None:
        """The answer to a sender's one-time verification ``GET`` (Okta Event Hooks); None: the kind
        sends none. Raise ``Unauthorized`` when the request's credentials do not verify."""
        return None

    def payload(self, delivery: Delivery) -> Any:
        """The parsed body the mapping is applied to (JSON by default)."""
        return parse_json(delivery.body)

    def items(self, payload: Any) -> list[Any]:
        """The items of a payload the mapping is applied to, one request each."""
        return [payload]
