"""The small interface every vendor connector implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from account_unlock.errors import PermanentError
from account_unlock.http import VendorHttp
from account_unlock.models import UnlockRequest
from account_unlock.steps import Steps

UNRECORDED = Steps()  # the writes of a one-off call (a test of one request, the benchmark) are not recorded


class ConnectionConfig(BaseModel):
    """Base of each vendor's connection-secret model: unknown fields are errors, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vendor: str


@dataclass
class VendorResult:
    """What the vendor did: a reference to quote in the ticket and the writes performed.

    No ``actions`` means the vendor's state showed the user was not locked: nothing was written.
    """

    vendor_reference: str | None = None
    actions: list[str] = field(default_factory=list)
    message: str = "account unlocked"

    @property
    def already_unlocked(self) -> bool:
        return not self.actions


class Connector(ABC):
    """Unlocks one account at one tenant of one vendor."""

    vendor: ClassVar[str]
    config_model: ClassVar[type[ConnectionConfig]]

    def __init__(self, config: Any) -> None:
        self.config = config
        self.http = VendorHttp(self.vendor)

    @classmethod
    def from_secret(cls, secret: Mapping[str, Any]) -> Connector:
        return cls(parse_config(cls.config_model, secret))

    @abstractmethod
    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        """Unlock ``request.user``; raise ``PermanentError`` or ``TransientError`` when it cannot.

        Every vendor write goes through ``steps.once`` and reads the vendor's state first, so no
        retry of the request repeats a write that already succeeded.
        """


def parse_config(model: type[ConnectionConfig], secret: Mapping[str, Any]) -> Any:
    """Validate a connection secret; the error names the fields, never their values."""
    try:
        return model.model_validate(dict(secret))
    except ValidationError as exc:
        problems = sorted({f"{'.'.join(str(p) for p in err['loc'])} ({err['type']})" for err in exc.errors()})
        raise PermanentError("config_invalid", f"connection fields missing or invalid: {', '.join(problems)}") from None
