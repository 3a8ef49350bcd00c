"""Vendor connectors, by the ``vendor`` field of a connection secret."""

from __future__ import annotations

from account_unlock.vendors.base import Connector
from account_unlock.vendors.pingone import PingOneConnector

CONNECTORS: dict[str, type[Connector]] = {
    PingOneConnector.vendor: PingOneConnector,
}
