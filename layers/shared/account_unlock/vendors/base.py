"""The small interfaces of a vendor: its connector (every vendor) and its self-service unlock (some)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from account_unlock.edge import field_names
from account_unlock.errors import PermanentError
from account_unlock.http import VendorHttp
from account_unlock.models import UnlockRequest
from account_unlock.policy import NO_POLICY, Policy, PolicyConfig
from account_unlock.steps import Account, Steps

UNRECORDED = Steps()  # the writes of a one-off call (a test of one request, the benchmark) are not recorded


class ConnectionConfig(BaseModel):
    """Base of each vendor's connection-secret model: unknown fields are errors, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vendor: str
    policy: PolicyConfig | None = None  # read by account_unlock.connections (docs/policy.md)


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


@dataclass(frozen=True)
class ChallengeAnswers:
    """What the user answered to the bot-protection and security-question challenges.

    Security answers are secrets like the password; ``repr`` shows which answers are present only.
    """

    g_recaptcha_response: str | None = None
    qq_captcha_ticket: str | None = None
    qq_captcha_randstr: str | None = None
    h_captcha_response: str | None = None
    security_answer: Mapping[str, SecretStr] = field(default_factory=dict)

    def captcha_fields(self) -> dict[str, str]:
        """The captcha answers given, under the field names of the portal's body (LoginRadius's)."""
        fields = {
            "g-recaptcha-response": self.g_recaptcha_response,
            "qq_captcha_ticket": self.qq_captcha_ticket,
            "qq_captcha_randstr": self.qq_captcha_randstr,
            "h-captcha-response": self.h_captcha_response,
        }
        return {name: value for name, value in fields.items() if value}

    def security_answers(self) -> dict[str, str]:
        return {question: answer.get_secret_value() for question, answer in self.security_answer.items()}

    def __repr__(self) -> str:
        given = [*self.captcha_fields(), *(["security_answer"] if self.security_answer else [])]
        return f"ChallengeAnswers(given={given})"


class SelfServiceUnlock(Protocol):
    """A vendor's self-service unlock: the locked-out user's own access token lifts the lockout.

    Built per connection by ``connections.self_service_for``, only in the self-service function.
    """

    @property
    def vendor(self) -> str: ...

    @property
    def policy(self) -> Policy:
        """The connection's policy (set by ``connections``)."""
        ...

    @property
    def enabled(self) -> bool:
        """The connection opted in to self-service."""
        ...

    @property
    def requires_password(self) -> bool:
        """The password is re-verified (``verify_password``) before the token unlock."""
        ...

    def verify_password(self, token: SecretStr, password: SecretStr) -> None:
        """Re-authenticate the token's user with the password only; raise an ``UnlockError`` when refused."""
        ...

    def account(self, token: SecretStr, wanted: frozenset[str]) -> Account:
        """The token's user as the vendor returns it, with the ``wanted`` attributes, for the policy."""
        ...

    def unlock_with_token(self, token: SecretStr, answers: ChallengeAnswers) -> VendorResult:
        """Unlock the token's user with the challenge answers; raise an ``UnlockError`` when it cannot."""
        ...


class Connector(ABC):
    """Unlocks one account at one tenant of one vendor."""

    vendor: ClassVar[str]
    config_model: ClassVar[type[ConnectionConfig]]
    # The names of the account attributes the connector reads for a policy (``Account.attributes``),
    # as a regular expression; a policy naming another one is refused as config_invalid.
    policy_attributes: ClassVar[str] = r"(?!)"

    def __init__(self, config: Any) -> None:
        self.config = config
        self.http = VendorHttp(self.vendor)
        self.policy: Policy = NO_POLICY  # the connection's, set by ``connections``

    @classmethod
    def from_secret(cls, secret: Mapping[str, Any]) -> Connector:
        return cls(parse_config(cls.config_model, secret))

    @abstractmethod
    def unlock(self, request: UnlockRequest, steps: Steps = UNRECORDED) -> VendorResult:
        """Unlock ``request.user``; raise ``PermanentError`` or ``TransientError`` when it cannot.

        Every vendor write goes through ``steps.once`` and reads the vendor's state first, so no
        retry of the request repeats a write that already succeeded. Before the first write, what the
        look-up found goes to ``steps.admit`` (the policy may refuse there, with nothing written).
        """


def parse_config(model: type[ConnectionConfig], secret: Mapping[str, Any]) -> Any:
    """Validate a connection secret; the error names the fields, never their values."""
    try:
        return model.model_validate(dict(secret))
    except ValidationError as exc:
        problems = field_names(exc, with_kind=True)
        raise PermanentError("config_invalid", f"connection fields missing or invalid: {', '.join(problems)}") from None
