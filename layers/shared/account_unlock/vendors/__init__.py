"""Vendor connectors, by the ``vendor`` field of a connection secret."""

from __future__ import annotations

from account_unlock.vendors.base import Connector
from account_unlock.vendors.gigya import GigyaConnector
from account_unlock.vendors.loginradius import LoginRadiusConnector
from account_unlock.vendors.pingone import PingOneConnector
from account_unlock.vendors.sailpoint import SailPointConnector

CONNECTORS: dict[str, type[Connector]] = {
    GigyaConnector.vendor: GigyaConnector,
    LoginRadiusConnector.vendor: LoginRadiusConnector,
    PingOneConnector.vendor: PingOneConnector,
    SailPointConnector.vendor: SailPointConnector,
}
