"""One resolved ticket from each ticketing system, sent the way that system sends it.

- the sources' sample configuration (fixed local test secrets; Zendesk's is its documented test secret);
- the bodies each system sends (Zendesk/Freshservice from the recommended templates, Jira's own
  ``jira:issue_updated`` payload, the ServiceNow business rule's JSON, ...);
- the headers each system signs or sends, computed here independently of the webhook's own checks;
- ``ticketing_story(story)`` for the run command, and ``sample_events()`` behind ``events/webhook-*.json``
  (``python -m local.story_ticketing`` rewrites them).

Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.samples import (
    GIGYA_CONNECTION,
    HELPDESK_SOURCE,
    LOGINRADIUS_CONNECTION,
    PINGONE_CONNECTION,
    SAILPOINT_CONNECTION,
    WEBHOOK_SECRET,
    LocalEnvironment,
    ticket_body,
)
from local.signing import encode, standard_webhook_headers
from local.stack import api_gateway_event
from local.template import ROOT

if TYPE_CHECKING:
    from local.run import Story

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
# The time the events/ files were signed at (2026-01-01T00:00:00Z); tests verify them at this time.
EVENT_TIME = 1_767_225_600
EVENTS_DIR = ROOT / "events"


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


def configure_sources(env: LocalEnvironment) -> None:
    for name, config in source_configs().items():
        env.put_secret("source", name, config)


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
    sys_id = uuid.uuid5(uuid.NAMESPACE_URL, number).hex
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


# events/ -------------------------------------------------------------------------------------
def sample_requests() -> dict[str, tuple[str, str, dict[str, str], bytes, str | None]]:
    """Per events/ file stem: (kind, source, headers, body, IAM caller), signed at ``EVENT_TIME``."""
    stamp = datetime.fromtimestamp(EVENT_TIME, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    zendesk = encode(zendesk_body("4711", "lena.fischer@example.com"))
    jira = encode(
        jira_issue_updated(
            "HELP-42",
            {
                "accountId": "5b10a2844c20165700ede21g",
                "emailAddress": "noah.berg@example.com",
                "displayName": "Noah Berg",
            },
        )
        | {"timestamp": EVENT_TIME * 1000}
    )
    automation = encode(jira_automation_body("HELP-43", {"email": "ivy.chen@example.com"}))
    servicenow = encode(servicenow_record("INC0010001", "mia.rossi@example.com", "mia.rossi"))
    freshservice = encode(freshservice_body("123", "sam.okafor@example.com", status=4))
    github = encode(ticket_body("INC-2001", {"username": "omar.haddad"}))
    standard = encode(ticket_body("INC-1001", {"username": "jdoe"}))
    return {
        "webhook-zendesk": (
            "zendesk",
            ZENDESK_SOURCE,
            zendesk_headers(ZENDESK_SECRET, zendesk, timestamp=stamp, invocation_id="8350205582"),
            zendesk,
            None,
        ),
        "webhook-jira": ("jira", JIRA_SOURCE, jira_headers(JIRA_SECRET, jira, identifier="1767225600-42"), jira, None),
        "webhook-jira-automation": (
            "jira-automation",
            JIRA_AUTOMATION_SOURCE,
            jira_automation_headers(JIRA_AUTOMATION_TOKEN),
            automation,
            None,
        ),
        "webhook-servicenow": (
            "servicenow",
            SERVICENOW_SOURCE,
            servicenow_headers(SERVICENOW_SECRET),
            servicenow,
            None,
        ),
        "webhook-servicenow-iam": (
            "servicenow",
            SERVICENOW_IAM_SOURCE,
            {"Content-Type": "application/json"},
            servicenow,
            SERVICENOW_IAM_USER,
        ),
        "webhook-freshservice": (
            "freshservice",
            FRESHSERVICE_SOURCE,
            freshservice_headers(FRESHSERVICE_SECRET, basic_user="freshservice"),
            freshservice,
            None,
        ),
        "webhook-github-hmac": (
            "github-hmac",
            GITHUB_SOURCE,
            github_headers(GITHUB_SECRET, github, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            github,
            None,
        ),
        "webhook-standard-webhooks": (
            "standard-webhooks",
            HELPDESK_SOURCE,
            standard_webhook_headers(WEBHOOK_SECRET, standard, msg_id="msg_events_0001", timestamp=EVENT_TIME),
            standard,
            None,
        ),
    }


def sample_events() -> dict[str, dict[str, Any]]:
    """The API Gateway proxy events of events/ (one per source kind, and the ServiceNow IAM route)."""
    events = {}
    for stem, (_, source, headers, body, caller) in sample_requests().items():
        route = "/iam/webhooks" if caller else "/webhooks"
        event = api_gateway_event(
            "POST", f"{route}/{source}", f"{route}/{{source}}", {"source": source}, headers, body, identity=caller
        )
        event["requestContext"]["requestTimeEpoch"] = EVENT_TIME * 1000
        event["requestContext"]["requestId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, stem))
        events[stem] = event
    return events


def write_events(directory: Path = EVENTS_DIR) -> list[Path]:
    written = []
    for stem, event in sample_events().items():
        path = directory / f"{stem}.json"
        path.write_text(json.dumps(event, indent=2) + "\n")
        written.append(path)
    return written


# the run command -----------------------------------------------------------------------------
def ticketing_story(story: Story) -> None:
    """One resolved ticket from each ticketing system, each unlocking a user at a vendor."""
    env = story.env
    configure_sources(env)

    lena = env.pingone.add_user("lena.fischer", "lena.fischer@example.com", account_locked=True)
    zendesk = encode(zendesk_body("4711", lena.email))
    story.run(
        "Zendesk trigger: ticket 4711 solved, unlock the requester at PingOne (by email)",
        lambda: story.webhook(ZENDESK_SOURCE, zendesk, zendesk_headers(ZENDESK_SECRET, zendesk)),
        note=lambda: f"lena.fischer now: account locked={lena.account_locked}",
    )
    old = zendesk_headers(ZENDESK_SECRET, zendesk, timestamp="2021-03-25T05:09:27Z")
    story.run(
        "Zendesk delivery replayed with its 2021 timestamp",
        lambda: story.webhook(ZENDESK_SOURCE, zendesk, old),
        note=lambda: "rejected: nothing on the bus",
    )

    noah = env.loginradius.add_user("noah.berg@example.com", "noah.berg")
    picker = {"accountId": "5b10a2844c20165700ede21g", "emailAddress": noah.email, "displayName": "Noah Berg"}
    jira = encode(jira_issue_updated("HELP-42", picker))
    jira_sent = jira_headers(JIRA_SECRET, jira)
    story.run(
        "Jira admin webhook: HELP-42 moved to Done, unlock the user picked in 'Unlock user' at LoginRadius",
        lambda: story.webhook(JIRA_SOURCE, jira, jira_sent),
        note=lambda: f"noah.berg now: locked={noah.locked}",
    )
    retried = jira_sent | {"X-Atlassian-Webhook-Retry": "1"}
    story.run(
        "Jira retries the same delivery (same X-Atlassian-Webhook-Identifier)",
        lambda: story.webhook(JIRA_SOURCE, jira, retried),
        note=lambda: "deduplicated on the delivery id: the stored answer, no second unlock",
    )
    open_issue = encode(
        jira_issue_updated("HELP-44", picker, status="In Progress", category="indeterminate", resolution=None)
    )
    story.run(
        "Jira: HELP-44 updated but still In Progress",
        lambda: story.webhook(JIRA_SOURCE, open_issue, jira_headers(JIRA_SECRET, open_issue)),
        note=lambda: "ignored: nothing on the bus",
    )

    ivy = env.sailpoint.add_account("ivy.chen", email="ivy.chen@example.com")
    automation = encode(jira_automation_body("HELP-43", {"email": "ivy.chen@example.com"}))
    story.run(
        "Jira Automation web request: HELP-43 Done, unlock at SailPoint",
        lambda: story.webhook(JIRA_AUTOMATION_SOURCE, automation, jira_automation_headers(JIRA_AUTOMATION_TOKEN)),
        note=lambda: f"ivy.chen@example.com now: locked={ivy.locked}",
    )

    mia = env.sailpoint.add_account("mia.rossi")
    incident = encode(servicenow_record("INC0010001", None, "mia.rossi"))
    story.run(
        "ServiceNow business rule: INC0010001 Resolved (state 6), caller has no email: unlock by user name",
        lambda: story.webhook(SERVICENOW_SOURCE, incident, servicenow_headers(SERVICENOW_SECRET)),
        note=lambda: f"mia.rossi now: locked={mia.locked}",
    )

    kai = env.gigya.add_account("kai-" + uuid.uuid4().hex[:8], "kai.tanaka@example.com")
    signed = encode(servicenow_record("INC0010002", kai.login_id, "kai.tanaka", state=7, connection=GIGYA_CONNECTION))

    def iam_request(caller: str) -> str:
        status, _, payload = env.stack.api_request(
            "POST",
            f"/iam/webhooks/{SERVICENOW_IAM_SOURCE}",
            {"Content-Type": "application/json"},
            signed,
            identity=caller,
        )
        return f"HTTP {status} {payload.decode()}"

    story.run(
        "ServiceNow IntegrationHub, SigV4-signed on the IAM route by a caller not on the allow-list",
        lambda: iam_request("arn:aws:iam::123456789012:user/someone-else"),
        note=lambda: "rejected: nothing on the bus",
    )
    story.run(
        "ServiceNow IntegrationHub, SigV4-signed by the allowed IAM user: INC0010002 Closed, unlock at Gigya",
        lambda: iam_request(SERVICENOW_IAM_USER),
        note=lambda: f"kai now: locked={kai.locked}",
    )

    sam = env.gigya.add_account("sam-" + uuid.uuid4().hex[:8], "sam.okafor@example.com")
    fresh = encode(freshservice_body("123", sam.login_id))
    story.run(
        "Freshservice automation (Basic auth): ticket 123 Resolved, unlock the requester at Gigya",
        lambda: story.webhook(
            FRESHSERVICE_SOURCE, fresh, freshservice_headers(FRESHSERVICE_SECRET, basic_user="freshservice")
        ),
        note=lambda: f"sam.okafor now: locked={sam.locked}",
    )

    omar = env.pingone.add_user("omar.haddad", "omar.haddad@example.com", account_locked=True)
    github = encode(ticket_body("INC-2001", {"username": omar.username}))
    story.run(
        "GitHub-style signed webhook: INC-2001 resolved, unlock omar.haddad at PingOne",
        lambda: story.webhook(GITHUB_SOURCE, github, github_headers(GITHUB_SECRET, github)),
        note=lambda: f"omar.haddad now: account locked={omar.account_locked}",
    )
    tampered = github.replace(b"omar.haddad", b"administrator")
    story.run(
        "GitHub-style webhook with the user changed after signing",
        lambda: story.webhook(GITHUB_SOURCE, tampered, github_headers(GITHUB_SECRET, github)),
        note=lambda: "rejected: nothing on the bus",
    )


if __name__ == "__main__":
    for written in write_events():
        print(written.relative_to(ROOT))
