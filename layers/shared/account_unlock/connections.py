"""Connector instances per connection, kept warm with their sessions and tokens."""

from __future__ import annotations

import hashlib
import json

from account_unlock.errors import PermanentError
from account_unlock.secrets import load_secret
from account_unlock.vendors import CONNECTORS
from account_unlock.vendors.base import Connector

_connectors: dict[str, tuple[str, Connector]] = {}


def connector_for(name: str) -> Connector:
    """The connector for connection ``name``; rebuilt only when its secret changes (rotation)."""
    secret = load_secret("connection", name)
    fingerprint = hashlib.sha256(json.dumps(secret, sort_keys=True).encode()).hexdigest()
    cached = _connectors.get(name)
    if cached and cached[0] == fingerprint:
        return cached[1]
    vendor = secret.get("vendor")
    connector_class = CONNECTORS.get(vendor) if isinstance(vendor, str) else None
    if connector_class is None:
        raise PermanentError("config_invalid", f"connection '{name}': field vendor must be one of {sorted(CONNECTORS)}")
    connector = connector_class.from_secret(secret)
    _connectors[name] = (fingerprint, connector)
    return connector


def vendor_of(name: str) -> str | None:
    cached = _connectors.get(name)
    return cached[1].vendor if cached else None
