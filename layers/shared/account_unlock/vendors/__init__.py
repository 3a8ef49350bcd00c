"""Vendor connectors and self-service unlocks, by the ``vendor`` field of a connection secret.

Each is imported when a connection of its vendor is first used (``account_unlock.registry``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from account_unlock.registry import Registry
from account_unlock.vendors.base import Connector, SelfServiceUnlock

CONNECTORS: Registry[type[Connector]] = Registry(
    {
        "auth0": "account_unlock.vendors.auth0:Auth0Connector",
        "gigya": "account_unlock.vendors.gigya:GigyaConnector",
        "loginradius": "account_unlock.vendors.loginradius:LoginRadiusConnector",
        "okta": "account_unlock.vendors.okta:OktaConnector",
        "pingone": "account_unlock.vendors.pingone:PingOneConnector",
        "sailpoint": "account_unlock.vendors.sailpoint:SailPointConnector",
    }
)
# The vendors that offer a self-service unlock: each builds it from the connection secret.
SELF_SERVICE: Registry[Callable[[Mapping[str, Any]], SelfServiceUnlock]] = Registry(
    {"loginradius": "account_unlock.vendors.loginradius_portal:LoginRadiusPortal"},
    make=lambda portal: portal.from_secret,
)
