"""How each ticketing system sends a resolved ticket: its source config, its body, its headers.

- the sources' sample configuration (fixed local test secrets; Zendesk's is its documented test secret);
- the bodies each system sends (Zendesk/Freshservice from the recommended templates, Jira's own
  ``jira:issue_updated`` payload, the ServiceNow business rule's JSON, ...);
- the headers each system signs or sends, computed here independently of the webhook's own checks.

Used by the run command's stories, events/ (local/events_writer.py) and the tests.
Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from local.samples import (
    CALLBACK_SIGNING_SECRET,
    FRESHSERVICE_API_KEY,
    GIGYA_CONNECTION,
    JIRA_API_EMAIL,
    JIRA_API_TOKEN,
    LOGINRADIUS_CONNECTION,
    PINGONE_CONNECTION,
    SAILPOINT_CONNECTION,
    SERVICENOW_API_PASSWORD,
    SERVICENOW_API_USER,
    ZENDESK_AGENT_EMAIL,
    ZENDESK_API_TOKEN,
    LocalEnvironment,
)
from local.simulators.servicenow import sys_id_of

ZENDESK_SOURCE = "zendesk"
ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # Zendesk's documented test secret, used as-is
JIRA_SOURCE = "jira"
JIRA_SECRET = "local-jira-webhook-secret-0001"
JIRA_AUTOMATION_SOURCE = "jira-automation"
JIRA_AUTOMATION_TOKEN = "local-jira-automation-token-0001"
SERVICENOW_SOURCE = "servicenow"
SERVICENOW_SECRET = "local-servicenow-secret-0001"
SERVICENOW_IAM_SOURCE = "servicenow-iam"
# The IAM user whose access keys ServiceNow IntegrationHub signs with (SigV4), as API Gateway reports it.
SERVICENOW_IAM_USER = "arn:aws:iam::123456789012:user/servicenow-integrationhub"
FRESHSERVICE_SOURCE = "freshservice"
FRESHSERVICE_SECRET = "local-freshservice-secret-0001"
GITHUB_SOURCE = "github"
GITHUB_SECRET = "local-github-hmac-secret-0001"

ALL_CONNECTIONS = [PINGONE_CONNECTION, LOGINRADIUS_CONNECTION, SAILPOINT_CONNECTION, GIGYA_CONNECTION]


def source_configs() -> dict[str, dict[str, Any]]:
    """The JSON of each source secret ``<prefix>/sources/<name>``."""
    return {
        ZENDESK_SOURCE: {"kind": "zendesk", "secrets": [ZENDESK_SECRET], "connections": ALL_CONNECTIONS},
        JIRA_SOURCE: {
            "kind": "jira",
            "secrets": [JIRA_SECRET],
            "connections": [LOGINRADIUS_CONNECTION],
            "default_connection": LOGINRADIUS_CONNECTION,
        },
        JIRA_AUTOMATION_SOURCE: {
            "kind": "jira-automation",
            "secrets": [JIRA_AUTOMATION_TOKEN],
            "connections": ALL_CONNECTIONS,
        },
        SERVICENOW_SOURCE: {"kind": "servicenow", "secrets": [SERVICENOW_SECRET], "connections": ALL_CONNECTIONS},
        SERVICENOW_IAM_SOURCE: {
            "kind": "servicenow",
            "auth": "iam",
            "iam_principals": [SERVICENOW_IAM_USER],
            "connections": ALL_CONNECTIONS,
        },
        FRESHSERVICE_SOURCE: {"kind": "freshservice", "secrets": [FRESHSERVICE_SECRET], "connections": ALL_CONNECTIONS},
        GITHUB_SOURCE: {"kind": "github-hmac", "secrets": [GITHUB_SECRET], "connections": ALL_CONNECTIONS},
    }


def writeback_configs(env: LocalEnvironment) -> dict[str, dict[str, Any]]:
    """The ``writeback`` block of each sample source: its helpdesk simulator (docs/writeback.md)."""
    jira = {"base_url": env.jira.url, "credentials": {"email": JIRA_API_EMAIL, "api_token": JIRA_API_TOKEN}}
    servicenow = {
        "base_url": env.servicenow.url,
        "credentials": {"username": SERVICENOW_API_USER, "password": SERVICENOW_API_PASSWORD},
    }
    return {
        ZENDESK_SOURCE: {
            "base_url": env.zendesk.url,
            "credentials": {"email": ZENDESK_AGENT_EMAIL, "api_token": ZENDESK_API_TOKEN},
        },
        JIRA_SOURCE: jira,
        JIRA_AUTOMATION_SOURCE: jira,
        SERVICENOW_SOURCE: servicenow,
        SERVICENOW_IAM_SOURCE: servicenow,
        FRESHSERVICE_SOURCE: {"base_url": env.freshservice.url, "credentials": {"api_key": FRESHSERVICE_API_KEY}},
        GITHUB_SOURCE: {
            "url": f"{env.callback.url}/hooks/account-unlock",
            "credentials": {"signing_secret": CALLBACK_SIGNING_SECRET},
        },
    }


def configure_sources(env: LocalEnvironment) -> None:
    """Every sample source, writing back to its helpdesk simulator."""
    writeback = writeback_configs(env)
    for name, config in source_configs().items():
        env.put_secret("source", name, config | {"writeback": writeback[name]})


# Bodies, as each system renders them ----------------------------------------------------------
def templated_body(
    ticket_id: str, requester_email: str, *, status: str | int, url: str, connection: str, unlock_user: str = ""
) -> dict[str, Any]:
    """The body template recommended to Zendesk and Freshservice (sources/templated.py), rendered."""
    return {
        "ticket": {
            "id": ticket_id,
            "status": status,
            "url": url,
            "requester_email": requester_email,
            "unlock_user": unlock_user,
        },
        "connection": connection,
        "agent": "agent@example.com",
    }


def zendesk_body(
    ticket_id: str,
    requester_email: str,
    *,
    status: str = "Solved",
    unlock_user: str = "",
    connection: str = PINGONE_CONNECTION,
) -> dict[str, Any]:
    """The recommended trigger body template (docs/sources/zendesk.md) as Zendesk renders it."""
    url = f"https://example.zendesk.com/agent/tickets/{ticket_id}"
    return templated_body(
        ticket_id, requester_email, status=status, url=url, connection=connection, unlock_user=unlock_user
    )


def jira_issue_updated(
    key: str, unlock_user: Any, *, status: str = "Done", category: str = "done", resolution: str | None = "Done"
) -> dict[str, Any]:
    """A Jira Cloud ``jira:issue_updated`` payload (the shape of Atlassian's documented example)."""
    site = "https://example.atlassian.net"
    issue_id = str(10000 + sum(key.encode()) % 9000)
    items: list[dict[str, Any]] = [
        {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": "3",
            "fromString": "In Progress",
            "to": "10002",
            "toString": status,
        },
    ]
    if resolution:
        items.insert(
            0,
            {
                "field": "resolution",
                "fieldtype": "jira",
                "fieldId": "resolution",
                "from": None,
                "fromString": None,
                "to": "10000",
                "toString": resolution,
            },
        )
    return {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {
            "self": f"{site}/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5",
            "accountId": "5b10ac8d82e05b22cc7d4ef5",
            "emailAddress": "agent@example.com",
            "displayName": "Help Desk Agent",
            "active": True,
            "accountType": "atlassian",
        },
        "issue": {
            "id": issue_id,
            "self": f"{site}/rest/api/2/issue/{issue_id}",
            "key": key,
            "fields": {
                "summary": "Locked out after too many password attempts",
                "status": {
                    "self": f"{site}/rest/api/2/status/10002",
                    "name": status,
                    "id": "10002",
                    "statusCategory": {
                        "self": f"{site}/rest/api/2/statuscategory/3",
                        "id": 3,
                        "key": category,
                        "colorName": "green",
                        "name": status,
                    },
                },
                "resolution": {"self": f"{site}/rest/api/2/resolution/10000", "id": "10000", "name": resolution}
                if resolution
                else None,
                "customfield_10050": unlock_user,
            },
        },
        "changelog": {"id": str(int(issue_id) + 90000), "items": items},
    }


def jira_automation_body(
    key: str,
    user: dict[str, str],
    *,
    status: str = "Done",
    category: str = "done",
    connection: str = SAILPOINT_CONNECTION,
) -> dict[str, Any]:
    """The recommended "Send web request" custom data (docs/sources/jira-automation.md), rendered."""
    return {
        "ticket": {
            "id": key,
            "status": status,
            "status_category": category,
            "url": f"https://example.atlassian.net/browse/{key}",
        },
        "user": user,
        "connection": connection,
        "requested_by": "agent@example.com",
        "reason": "Done",
    }


def servicenow_record(
    number: str,
    caller_email: str | None,
    caller_user_name: str,
    *,
    state: str | int = "6",
    connection: str = SAILPOINT_CONNECTION,
) -> dict[str, Any]:
    """What the recommended business rule script (docs/sources/servicenow.md) sends."""
    sys_id = sys_id_of(number)
    return {
        "number": number,
        "sys_id": sys_id,
        "table": "incident",
        "state": state,
        "url": f"https://example.service-now.com/nav_to.do?uri=incident.do?sys_id={sys_id}",
        "caller": {"email": caller_email, "user_name": caller_user_name},
        "connection": connection,
        "resolved_by": "agent@example.com",
        "close_code": "Solution provided",
    }


def freshservice_body(
    ticket_id: str, requester_email: str, *, status: str | int = "Resolved", connection: str = GIGYA_CONNECTION
) -> dict[str, Any]:
    """The recommended "Trigger webhook" content (docs/sources/freshservice.md), rendered."""
    url = f"https://example.freshservice.com/helpdesk/tickets/{ticket_id}"
    return templated_body(ticket_id, requester_email, status=status, url=url, connection=connection)


# Headers, as each system signs or sends them -------------------------------------------------
def zendesk_headers(
    secret: str, body: bytes, *, timestamp: str | None = None, invocation_id: str | None = None
) -> dict[str, str]:
    """base64(HMAC-SHA256(secret as UTF-8, TIMESTAMP + BODY)); timestamp ISO-8601 UTC."""
    stamp = timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Id": "01J8ZP3Z0ZQ6Z0KPW3M4T5V6X7",
        "X-Zendesk-Webhook-Invocation-Id": invocation_id or str(uuid.uuid4().int)[:19],
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def hub_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: WebSub's signature, as Jira (X-Hub-Signature) and GitHub (X-Hub-Signature-256) send it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def jira_headers(secret: str, body: bytes, *, identifier: str | None = None, retry: int = 0) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4().int)[:18],
        "X-Atlassian-Webhook-Flow": "Primary",
        "X-Hub-Signature": hub_signature(secret, body),
    }
    if retry:
        headers["X-Atlassian-Webhook-Retry"] = str(retry)
    return headers


def jira_automation_headers(token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Automation-Webhook-Token": token}


def servicenow_headers(secret: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-ServiceNow-Secret": secret}


def freshservice_headers(secret: str, *, basic_user: str | None = None) -> dict[str, str]:
    """The custom header, or (``basic_user``) the secret as the password of Basic authentication."""
    if basic_user is None:
        return {"Content-Type": "application/json", "X-Freshservice-Secret": secret}
    token = base64.b64encode(f"{basic_user}:{secret}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {token}"}


def github_headers(secret: str, body: bytes, *, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": "ticket",
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": hub_signature(secret, body),
    }
