"""Vendor connectors and self-service unlocks, by the ``vendor`` field of a connection secret."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from account_unlock.vendors.auth0 import Auth0Connector
from account_unlock.vendors.base import Connector, SelfServiceUnlock
from account_unlock.vendors.gigya import GigyaConnector
from account_unlock.vendors.loginradius import LoginRadiusConnector
from account_unlock.vendors.loginradius_portal import LoginRadiusPortal
from account_unlock.vendors.okta import OktaConnector
from account_unlock.vendors.pingone import PingOneConnector
from account_unlock.vendors.sailpoint import SailPointConnector

CONNECTORS: dict[str, type[Connector]] = {
    Auth0Connector.vendor: Auth0Connector,
    GigyaConnector.vendor: GigyaConnector,
    LoginRadiusConnector.vendor: LoginRadiusConnector,
    OktaConnector.vendor: OktaConnector,
    PingOneConnector.vendor: PingOneConnector,
    SailPointConnector.vendor: SailPointConnector,
}
# The vendors that offer a self-service unlock: each builds it from the connection secret.
SELF_SERVICE: dict[str, Callable[[Mapping[str, Any]], SelfServiceUnlock]] = {
    LoginRadiusPortal.vendor: LoginRadiusPortal.from_secret,
}
