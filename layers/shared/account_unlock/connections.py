"""Connector and self-service instances per connection, kept warm with their sessions and tokens,
each carrying the connection's policy (``account_unlock.policy``), parsed when the secret changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from account_unlock.errors import PermanentError
from account_unlock.policy import ReadOnlyHttp, parse_policy
from account_unlock.secrets import load_secret
from account_unlock.vendors import CONNECTORS, SELF_SERVICE
from account_unlock.vendors.base import Connector, SelfServiceUnlock

Built = TypeVar("Built")

_connectors: dict[str, tuple[str, Connector]] = {}
_self_service: dict[str, tuple[str, SelfServiceUnlock]] = {}


def connector_for(name: str) -> Connector:
    """The connector for connection ``name``; rebuilt only when its secret changes (rotation)."""
    return _built(name, connector_builder, _connectors, unknown_vendor)


def connector_builder(vendor: str) -> Callable[[Mapping[str, Any]], Connector] | None:
    """The vendor's ``from_secret``; only that vendor's module is imported."""
    return CONNECTORS[vendor].from_secret if vendor in CONNECTORS else None


def self_service_for(name: str) -> SelfServiceUnlock:
    """The self-service unlock of connection ``name``, for a vendor that offers one (``SELF_SERVICE``).

    ``PermanentError`` as for ``connector_for``; a connection of a vendor without self-service is
    ``unknown_connection`` here. Whether the connection opted in is the caller's check.
    """
    return _built(name, SELF_SERVICE.get, _self_service, no_self_service)


def unknown_vendor(name: str, vendor: object) -> PermanentError:
    return PermanentError("config_invalid", f"connection '{name}': field vendor must be one of {sorted(CONNECTORS)}")


def no_self_service(name: str, vendor: object) -> PermanentError:
    if vendor in CONNECTORS:
        return PermanentError("unknown_connection", f"connection '{name}': vendor {vendor} offers no self-service")
    return unknown_vendor(name, vendor)


def _built(
    name: str,
    builder: Callable[[str], Callable[[Mapping[str, Any]], Built] | None],
    cache: dict[str, tuple[str, Built]],
    refuse: Callable[[str, object], PermanentError],
) -> Built:
    """What ``builder`` gives for the secret's vendor makes of connection ``name``'s secret, kept until
    the secret changes.

    The policy is parsed first, so an invalid one is refused with its own field names, and set on the
    client (``policy``); a dry-run connection's client gets a ``ReadOnlyHttp``: no write of it can
    reach the vendor.
    """
    secret = load_secret("connection", name)
    fingerprint = hashlib.sha256(json.dumps(secret, sort_keys=True).encode()).hexdigest()
    cached = cache.get(name)
    if cached and cached[0] == fingerprint:
        return cached[1]
    vendor = secret.get("vendor")
    build = builder(vendor) if isinstance(vendor, str) else None
    if build is None:
        raise refuse(name, vendor)
    attributes = CONNECTORS.get(str(vendor), Connector).policy_attributes
    policy = parse_policy(name, str(vendor), secret.get("policy"), attributes)
    built = build(secret)
    client: Any = built  # both kinds of client carry ``policy`` and send through their ``http``
    client.policy = policy
    if policy.dry_run:
        client.http = ReadOnlyHttp(client.http)
    cache[name] = (fingerprint, built)
    return built
