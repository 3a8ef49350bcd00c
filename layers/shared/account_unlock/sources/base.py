"""The small interface every webhook source kind implements, and the source configuration."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

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
    """How one kind of sender authenticates, and where its payload keeps the fields we need."""

    kind: ClassVar[str]
    preset: ClassVar[FieldMap]

    @abstractmethod
    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        """Verify the credentials against every active secret; return the sender's delivery id.

        Raise ``Unauthorized`` when no secret verifies. Comparisons are constant-time.
        """

    def payload(self, delivery: Delivery) -> Any:
        """The parsed body the mapping is applied to (JSON by default)."""
        return json.loads(delivery.body)
