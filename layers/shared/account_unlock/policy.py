"""The connection's policy: the accounts it must never unlock, how many unlocks a window allows, dry run.

It lives in the connection secret as a ``policy`` object (docs/policy.md), so changing it needs no
deploy: the secret cache's max age (``SECRET_MAX_AGE_SECONDS``) applies. No ``policy`` object: no
checks at all, as before policies existed. An invalid one fails the request closed (``config_invalid``,
naming the field, before any vendor call).

Protected accounts are matched with fnmatch-style globs (``*``, ``?``, ``[abc]``), case-insensitively,
against the whole value: a list entry without a wildcard is an exact name. The identifier the request
names is checked before any vendor call (``check_user``); what the connector's look-up returned (the
vendor's id, username and e-mail, and the membership attributes the connector reads, see
``Connector.policy_attributes``) before the first write (``check_account``). This module decides;
``account_unlock.guard`` counts the rate limits and runs the checks at the right moments.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints, ValidationError

from account_unlock.edge import field_names
from account_unlock.errors import PermanentError
from account_unlock.http import VendorHttp
from account_unlock.models import UserRef
from account_unlock.steps import Account, WriteBlocked

PROTECTED = "protected_account"
RATE_LIMITED = "rate_limited_policy"
DRY_RUN = "dry_run"
REFUSALS = (PROTECTED, RATE_LIMITED)  # the reasons counted as PolicyRefusals

Glob = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Globs = Annotated[list[Glob], Field(max_length=1000)]
AttributeName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,127}(\.[A-Za-z0-9_-]{1,128}){0,8}$")
]
# The identifiers of a request, and the protected lists each one is compared with.
USER_FIELDS = {
    "id": ("ids",),
    "username": ("usernames",),
    "email": ("emails",),
    "login_id": ("usernames", "emails"),  # a login id is a username or an e-mail, depending on the site
    "ip": (),
}


class ProtectedAccounts(BaseModel):
    """Accounts this connection never unlocks: by identifier, or by an attribute the connector reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ids: Globs = []
    usernames: Globs = []
    emails: Globs = []
    attributes: Annotated[dict[AttributeName, Globs], Field(max_length=50)] = {}


class RateLimit(BaseModel):
    """At most ``max`` unlocks per fixed window of ``window_seconds``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max: StrictInt = Field(ge=1, le=1_000_000)
    window_seconds: StrictInt = Field(ge=60, le=31 * 86400)


class RateLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    per_user: RateLimit | None = None
    per_requester: RateLimit | None = None
    per_source: RateLimit | None = None


class PolicyConfig(BaseModel):
    """The ``policy`` object of a connection secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dry_run: StrictBool = False
    protected: ProtectedAccounts = ProtectedAccounts()
    rate_limits: RateLimits = RateLimits()


def compiled(globs: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for a list of globs (``None``: the list is empty)."""
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(glob.casefold())})" for glob in globs))


def matches(pattern: re.Pattern[str] | None, candidates: tuple[str, ...]) -> bool:
    return pattern is not None and any(pattern.match(value.casefold()) for value in candidates)


@dataclass(frozen=True)
class Policy:
    """A parsed policy (``config`` None: the connection has none, and nothing is checked)."""

    config: PolicyConfig | None = None
    _patterns: dict[str, re.Pattern[str] | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        protected = self.config.protected if self.config else ProtectedAccounts()
        patterns = {name: compiled(getattr(protected, name)) for name in ("ids", "usernames", "emails")}
        patterns |= {f"attributes.{key}": compiled(globs) for key, globs in protected.attributes.items()}
        object.__setattr__(self, "_patterns", patterns)

    @property
    def active(self) -> bool:
        return self.config is not None

    @property
    def dry_run(self) -> bool:
        return bool(self.config and self.config.dry_run)

    @property
    def rate_limits(self) -> RateLimits:
        return self.config.rate_limits if self.config else RateLimits()

    @property
    def wanted(self) -> frozenset[str]:
        """The account attributes to read for ``check_account``."""
        return frozenset(self.config.protected.attributes) if self.config else frozenset()

    @property
    def needs_account(self) -> bool:
        """Whether the account must be known before the write: a protected list or a per-user limit."""
        return any(pattern is not None for pattern in self._patterns.values()) or (
            self.rate_limits.per_user is not None
        )

    def check_user(self, user: UserRef) -> None:
        """Before any vendor call: the identifier the request names must not be protected."""
        for name in USER_FIELDS[user.kind]:
            if matches(self._patterns[name], (user.value,)):
                raise protected(f"the request's user.{user.kind} matches policy.protected.{name}")

    def check_account(self, account: Account, vendor: str) -> None:
        """Before the first write: nothing the look-up returned may be protected, and every attribute
        the policy names must have been read (otherwise the account cannot be cleared: refused)."""
        for name, candidates in (("ids", account.ids), ("usernames", account.usernames), ("emails", account.emails)):
            if matches(self._patterns[name], candidates):
                raise protected(f"the account's {name[:-1]} at {vendor} matches policy.protected.{name}")
        for key in sorted(self.wanted):
            if key not in account.attributes:
                raise protected(f"policy.protected.attributes.{key} could not be checked: {vendor} did not return it")
            if matches(self._patterns[f"attributes.{key}"], account.attributes[key]):
                raise protected(f"the account's {key} at {vendor} matches policy.protected.attributes.{key}")


NO_POLICY = Policy()


def protected(message: str) -> PermanentError:
    return PermanentError(PROTECTED, f"refused by the connection's policy: {message}")


def parse_policy(name: str, vendor: str, raw: Any, attributes: str) -> Policy:
    """The ``policy`` of connection ``name`` (``None``: no policy); ``config_invalid`` names the field.

    ``attributes`` is the pattern of the attribute names the vendor's connector reads
    (``Connector.policy_attributes``): any other would never match, so it is refused.
    """
    if raw is None:
        return NO_POLICY
    try:
        config = PolicyConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [p if p.startswith("policy ") else f"policy.{p}" for p in field_names(exc, "policy", with_kind=True)]
        message = f"connection '{name}': policy fields missing or invalid: {', '.join(problems)}"
        raise PermanentError("config_invalid", message) from None
    for key in sorted(config.protected.attributes):
        if not re.fullmatch(attributes, key):
            raise PermanentError(
                "config_invalid",
                f"connection '{name}': policy.protected.attributes.{key} is not an attribute {vendor} "
                "connections read (docs/policy.md lists them)",
            )
    return Policy(config)


class ReadOnlyHttp(VendorHttp):
    """The HTTP of a dry-run connection: reads and token requests go out, a write is refused unsent.

    It wraps the connector's own session (``inner``), so nothing else about the calls changes.
    """

    def __init__(self, inner: VendorHttp) -> None:  # no super().__init__(): the inner sessions serve
        self.inner = inner
        self.vendor = inner.vendor

    def request(self, method: str, url: str, *, write: bool = False, **kwargs: Any) -> Any:
        if write:
            raise WriteBlocked(self.vendor)
        return self.inner.request(method, url, **kwargs)
