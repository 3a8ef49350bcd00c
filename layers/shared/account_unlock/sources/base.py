"""The small interface every webhook source kind implements, and the source configuration."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from account_unlock.models import TICKET_RESOLVED
from account_unlock.sources.mapping import FieldMap

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
TIMESTAMP_TOLERANCE_SECONDS = 300


class Unauthorized(Exception):  # noqa: N818 - reads as the HTTP answer it becomes
    """The request's credentials are missing, wrong or stale. The message is safe to return."""


class SourceConfig(BaseModel):
    """The JSON of the secret ``<prefix>/sources/<name>``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    secrets: list[SecretStr] = Field(min_length=1, description="Active secrets; several during a rotation")
    connections: list[Name] = Field(min_length=1, description="The connections this source may target")
    default_connection: Name | None = None
    mapping: dict[str, str] = Field(default_factory=dict, description="JMESPath overrides of the kind's preset")
    resolved_statuses: list[str] | None = Field(
        default=None,
        description="Statuses (for identity events: event types) that mean 'unlock now'; replaces the preset's test",
    )


@dataclass(frozen=True)
class Delivery:
    """One HTTP request from a sender, as received: headers with lower-case names, raw body bytes."""

    source: str
    headers: Mapping[str, str]
    body: bytes
    received_at: float

    def header(self, name: str) -> str:
        value = self.headers.get(name)
        if not value:
            raise Unauthorized(f"missing header {name}")
        return value


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

    @abstractmethod
    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        """Verify the credentials against every active secret; return the sender's delivery id.

        Raise ``Unauthorized`` when no secret verifies. Comparisons are constant-time.
        """

    def payload(self, delivery: Delivery) -> Any:
        """The parsed body the mapping is applied to (JSON by default)."""
        return json.loads(delivery.body)

    def items(self, payload: Any) -> list[Any]:
        """The items of a payload the mapping is applied to, one request each."""
        return [payload]
