"""Sample configuration for the local stack: secrets, simulator tenants and users.

Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from local.simulators.auth0 import Auth0Simulator
from local.simulators.base import Simulator
from local.simulators.callback import CallbackReceiver
from local.simulators.freshservice import FreshserviceSimulator
from local.simulators.gigya import GigyaSimulator
from local.simulators.jira import JiraSimulator
from local.simulators.loginradius import LoginRadiusSimulator
from local.simulators.okta import OktaSimulator, new_service_app_key, public_pem
from local.simulators.pingone import PingOneSimulator
from local.simulators.sailpoint import SailPointSimulator
from local.simulators.servicenow import ServiceNowSimulator
from local.simulators.tickets import TicketSimulator
from local.simulators.zendesk import ZendeskSimulator
from local.stack import LocalStack

PINGONE_ENVIRONMENT = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
PINGONE_CLIENT_ID = "account-unlock-local"
PINGONE_CLIENT_SECRET = "local-pingone-client-secret"
PINGONE_CONNECTION = "pingone-workforce"
# The fixed Standard Webhooks test secret; events/ is signed with it (base64 of a 32-byte string).
WEBHOOK_SECRET = "whsec_bG9jYWwtdGVzdC1zZWNyZXQtMDAwMS1ub3QtcmVhbCEh"
HELPDESK_SOURCE = "helpdesk"

LOGINRADIUS_CONNECTION = "loginradius-customers"
LOGINRADIUS_API_KEY = "local-loginradius-api-key"
LOGINRADIUS_API_SECRET = "local-loginradius-api-secret"
SAILPOINT_CONNECTION = "sailpoint-isc"
SAILPOINT_CLIENT_ID = "local-sailpoint-client"
SAILPOINT_CLIENT_SECRET = "local-sailpoint-client-secret"
GIGYA_CONNECTION = "gigya-cdc"
GIGYA_API_KEY = "local-gigya-api-key"
GIGYA_USER_KEY = "local-gigya-user-key"
GIGYA_SECRET = "local-gigya-secret"
OKTA_CONNECTION = "okta-workforce"
OKTA_CLIENT_ID = "0oalocalserviceapp01"
OKTA_API_TOKEN = "00local-okta-api-token-not-real"
AUTH0_CONNECTION = "auth0-customers"
AUTH0_DOMAIN = "local-tenant.eu.auth0.com"
AUTH0_CLIENT_ID = "local-auth0-m2m-client"
AUTH0_CLIENT_SECRET = "local-auth0-client-secret-not-real"
CONNECTIONS = (
    PINGONE_CONNECTION,
    LOGINRADIUS_CONNECTION,
    SAILPOINT_CONNECTION,
    GIGYA_CONNECTION,
    OKTA_CONNECTION,
    AUTH0_CONNECTION,
)
# The helpdesks' API credentials the sample sources write back with (their writeback blocks, local/senders.py).
ZENDESK_AGENT_EMAIL = "unlock-bot@example.com"
ZENDESK_API_TOKEN = "local-zendesk-api-token-0001"
JIRA_API_EMAIL = "unlock-bot@example.com"
JIRA_API_TOKEN = "local-jira-api-token-0001"
SERVICENOW_API_USER = "account.unlock"
SERVICENOW_API_PASSWORD = "local-servicenow-api-password-0001"
FRESHSERVICE_API_KEY = "local-freshservice-api-key-0001"
CALLBACK_SIGNING_SECRET = "whsec_bG9jYWwtY2FsbGJhY2stc2VjcmV0LTAwMDEtbm90LXJlYWw="


def secret_prefix() -> str:
    return os.environ.get("SECRET_PREFIX", "account-unlock")


class LocalEnvironment:
    """The stack plus the vendor simulators, with sample secrets and locked users."""

    def __init__(self) -> None:
        self.stack = LocalStack()
        self.pingone = PingOneSimulator(PINGONE_ENVIRONMENT, PINGONE_CLIENT_ID, PINGONE_CLIENT_SECRET)
        self.loginradius = LoginRadiusSimulator(LOGINRADIUS_API_KEY, LOGINRADIUS_API_SECRET)
        self.sailpoint = SailPointSimulator(SAILPOINT_CLIENT_ID, SAILPOINT_CLIENT_SECRET)
        self.gigya = GigyaSimulator(GIGYA_API_KEY, GIGYA_USER_KEY, GIGYA_SECRET)
        self.okta_key = new_service_app_key()  # the local service app's key pair, new each run
        self.okta = OktaSimulator(OKTA_CLIENT_ID, public_pem(self.okta_key), OKTA_API_TOKEN)
        self.auth0 = Auth0Simulator(AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET)
        self.zendesk = ZendeskSimulator(ZENDESK_AGENT_EMAIL, ZENDESK_API_TOKEN)
        self.jira = JiraSimulator(JIRA_API_EMAIL, JIRA_API_TOKEN)
        self.servicenow = ServiceNowSimulator(SERVICENOW_API_USER, SERVICENOW_API_PASSWORD)
        self.freshservice = FreshserviceSimulator(FRESHSERVICE_API_KEY)
        self.callback = CallbackReceiver(CALLBACK_SIGNING_SECRET)

    @property
    def helpdesks(self) -> list[TicketSimulator]:
        """The helpdesks the sample sources write outcomes back to."""
        return [self.zendesk, self.jira, self.servicenow, self.freshservice, self.callback]

    @property
    def simulators(self) -> list[Simulator]:
        return [self.pingone, self.loginradius, self.sailpoint, self.gigya, self.okta, self.auth0, *self.helpdesks]

    def start(self) -> LocalEnvironment:
        self.stack.start()
        for simulator in self.simulators:
            simulator.start()
        self.put_secret("connection", PINGONE_CONNECTION, self.pingone_connection())
        self.put_secret(
            "connection",
            LOGINRADIUS_CONNECTION,
            {
                "vendor": "loginradius",
                "api_key": LOGINRADIUS_API_KEY,
                "api_secret": LOGINRADIUS_API_SECRET,
                "base_url": self.loginradius.url,
            },
        )
        self.put_secret(
            "connection",
            SAILPOINT_CONNECTION,
            {
                "vendor": "sailpoint",
                "client_id": SAILPOINT_CLIENT_ID,
                "client_secret": SAILPOINT_CLIENT_SECRET,
                "base_url": self.sailpoint.url,
            },
        )
        self.put_secret("connection", GIGYA_CONNECTION, self.gigya_connection())
        self.put_secret("connection", OKTA_CONNECTION, self.okta_connection())
        self.put_secret("connection", AUTH0_CONNECTION, self.auth0_connection())
        self.put_secret(
            "source",
            HELPDESK_SOURCE,
            {
                "kind": "standard-webhooks",
                "secrets": [WEBHOOK_SECRET],
                "connections": list(CONNECTIONS),
            },
        )
        return self

    def stop(self) -> None:
        for simulator in self.simulators:
            simulator.stop()
        self.stack.stop()

    def pingone_connection(self, **overrides: Any) -> dict[str, Any]:
        return {
            "vendor": "pingone",
            "environment_id": PINGONE_ENVIRONMENT,
            "client_id": PINGONE_CLIENT_ID,
            "client_secret": PINGONE_CLIENT_SECRET,
            "region": "com",
            "base_url": f"{self.pingone.url}/v1",
            "auth_url": self.pingone.url,
        } | overrides

    def gigya_connection(self, **overrides: Any) -> dict[str, Any]:
        return {
            "vendor": "gigya",
            "data_center": "us1",
            "api_key": GIGYA_API_KEY,
            "user_key": GIGYA_USER_KEY,
            "secret": GIGYA_SECRET,
            "base_url": self.gigya.url,
        } | overrides

    def auth0_connection(self, **overrides: Any) -> dict[str, Any]:
        return {
            "vendor": "auth0",
            "domain": AUTH0_DOMAIN,
            "client_id": AUTH0_CLIENT_ID,
            "client_secret": AUTH0_CLIENT_SECRET,
            "base_url": self.auth0.url,
        } | overrides

    def okta_connection(self, **overrides: Any) -> dict[str, Any]:
        return {
            "vendor": "okta",
            "org_url": self.okta.url,
            "client_id": OKTA_CLIENT_ID,
            "private_key": self.okta_key.decode(),
            "algorithm": "ES256",
        } | overrides

    def put_secret(self, kind: str, name: str, value: dict[str, Any]) -> None:
        """Create or replace ``<prefix>/<kind>s/<name>``; a self-service connection is tagged
        ``self-service=enabled``, as a deployer must tag it for the self-service function to read it."""
        client = self.stack.client("secretsmanager")
        secret_id = f"{secret_prefix()}/{kind}s/{name}"
        try:
            client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(Name=secret_id, SecretString=json.dumps(value))
        if value.get("self_service_enabled"):
            client.tag_resource(SecretId=secret_id, Tags=[{"Key": "self-service", "Value": "enabled"}])


def ticket_body(
    ticket_id: str, user: dict[str, str], *, status: str = "resolved", connection: str = PINGONE_CONNECTION
) -> dict[str, Any]:
    """The generic ticket JSON that the Standard Webhooks source maps (see README)."""
    return {
        "ticket": {"id": ticket_id, "status": status, "url": f"https://helpdesk.example.com/tickets/{ticket_id}"},
        "connection": connection,
        "user": user,
        "requested_by": "agent@example.com",
        "reason": "Identity verified by phone",
    }


def unlock_requested(
    user: dict[str, str], *, connection: str = PINGONE_CONNECTION, workflow_run: str | None = None
) -> dict[str, Any]:
    """The detail of an "Unlock Requested" event as an identity workflow would publish it."""
    run = workflow_run or f"run-{uuid.uuid4().hex[:8]}"
    return {
        "request_id": str(uuid.uuid4()),
        "origin": {"system": "identity-workflows", "ticket_id": run},
        "connection": connection,
        "user": user,
        "requested_by": "workflow:locked-out-user-verified",
        "reason": f"self-service verification completed at {time.strftime('%H:%M:%S')}",
    }
