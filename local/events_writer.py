"""``make events``: rewrites events/, the ready API Gateway proxy events of every sender.

One ``webhook-<stem>.json`` per ticketing source kind (and the ServiceNow IAM route) and per
identity-event kind (Okta's Event Hook and Auth0's log stream among them, which sign nothing: their
static ``Authorization`` secret), signed with the local test secrets at ``EVENT_TIME``, for
``make invoke FUNCTION=WebhookFunction EVENT=events/...``. Tests check the files are current.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.auth0_senders import AUTH0_SOURCE, auth0_headers
from local.identity_senders import (
    GIGYA_SOURCE,
    LOGINRADIUS_SOURCE,
    PINGONE_SOURCE,
    gigya_jwt_headers,
    iso,
    loginradius_event,
    loginradius_headers,
    pingone_activity,
    pingone_headers,
)
from local.okta_senders import OKTA_SOURCE, okta_delivery, okta_event, okta_headers
from local.samples import AUTH0_DOMAIN, HELPDESK_SOURCE, WEBHOOK_SECRET, ticket_body
from local.senders import (
    FRESHSERVICE_SECRET,
    FRESHSERVICE_SOURCE,
    GITHUB_SECRET,
    GITHUB_SOURCE,
    JIRA_AUTOMATION_SOURCE,
    JIRA_AUTOMATION_TOKEN,
    JIRA_SECRET,
    JIRA_SOURCE,
    SERVICENOW_IAM_SOURCE,
    SERVICENOW_IAM_USER,
    SERVICENOW_SECRET,
    SERVICENOW_SOURCE,
    ZENDESK_SECRET,
    ZENDESK_SOURCE,
    freshservice_body,
    freshservice_headers,
    github_headers,
    jira_automation_body,
    jira_automation_headers,
    jira_headers,
    jira_issue_updated,
    servicenow_headers,
    servicenow_record,
    zendesk_body,
    zendesk_headers,
)
from local.signing import encode, standard_webhook_headers
from local.simulators.auth0 import log_event
from local.stack import api_gateway_event
from local.template import ROOT

# The time the events/ files were signed at (2026-01-01T00:00:00Z); tests verify them at this time.
EVENT_TIME = 1_767_225_600
EVENTS_DIR = ROOT / "events"


# ticketing systems --------------------------------------------------------------------------
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


# identity events ----------------------------------------------------------------------------
def event_requests() -> dict[str, tuple[str, dict[str, str], bytes]]:
    """Per kind: the source, the headers and the raw body of its events/ file, signed at ``EVENT_TIME``."""
    loginradius = encode(
        loginradius_event(
            "ResetPassword",
            "5f3c0b8e9a6d4c2e8b1a7f6e5d4c3b2a",
            "ann.lee@example.com",
            hook_id="0c6f2a1e-7d1b-4f3a-9e55-3b8a2d4c6e10",
            moment=EVENT_TIME,
        )
    )
    gigya = encode(
        {
            "events": [
                {
                    "type": "accountUpdated",
                    "id": "b3e95b42-5788-49a7-842a-90c0f183d653",
                    "timestamp": EVENT_TIME - 1,
                    "data": {"uid": "gigya-uid-bob"},
                }
            ],
            "nonce": "8693aa10-9c75-48c9-a959-6ef1ae2b6b54",
            "timestamp": EVENT_TIME,
        }
    )
    pingone = encode(
        [
            pingone_activity(
                "PASSWORD.RECOVERY",
                "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
                "dee.rao",
                event_id="4a7e3c1b-2d5f-4e6a-9b8c-7d6e5f4a3b2c",
                moment=EVENT_TIME,
            )
        ]
    )
    pingone_request = pingone_headers()
    return {
        "loginradius-webhook": (LOGINRADIUS_SOURCE, loginradius_headers(loginradius), loginradius),
        "gigya-webhook": (GIGYA_SOURCE, gigya_jwt_headers(gigya, issued_at=EVENT_TIME), gigya),
        "pingone-subscription": (PINGONE_SOURCE, pingone_request, pingone),
        "okta-event-hook": (OKTA_SOURCE, okta_headers(), encode(okta_lockout())),
        "auth0-log-stream": (AUTH0_SOURCE, auth0_headers(), encode([auth0_block()])),
    }


def okta_lockout() -> dict[str, Any]:
    """An Event Hook delivery of one ``user.account.lock``, its ids and times fixed at ``EVENT_TIME``."""
    event = okta_event("user.account.lock", "00ub0oNGTSWTBKOLGLNR", "zoe.adams@example.com", moment=EVENT_TIME - 1)
    delivery = okta_delivery(event | {"uuid": "5d3e6a8c-1f0b-4e2d-9c7a-6b5e4d3c2b1a"})
    return delivery | {"eventId": "7a1c9e4f-3b2d-4f6a-8e0c-1d2b3a4c5e6f", "eventTime": iso(EVENT_TIME)}


def auth0_block() -> dict[str, Any]:
    """A log stream's ``limit_wc`` (brute-force protection blocked the e-mail), dated ``EVENT_TIME``."""
    log = log_event(
        "limit_wc",
        AUTH0_DOMAIN,
        "auth0|5457edea1b8f22891a000004",
        "lia.moreau@example.com",
        log_id="90020260101000000000000000000000000000001",
    )
    log["data"]["date"] = iso(EVENT_TIME)
    return log


def event_file(kind: str) -> dict[str, Any]:
    """The API Gateway proxy event of ``events/webhook-<kind>.json`` (deterministic)."""
    source, headers, body = event_requests()[kind]
    event = api_gateway_event("POST", f"/webhooks/{source}", "/webhooks/{source}", {"source": source}, headers, body)
    event["requestContext"]["requestId"] = f"local-{kind}"
    event["requestContext"]["requestTimeEpoch"] = EVENT_TIME * 1000
    return event


def write_events(directory: Path = EVENTS_DIR) -> list[Path]:
    """Every events/ file of the senders, rewritten."""
    directory.mkdir(exist_ok=True)
    files = {f"{stem}.json": event for stem, event in sample_events().items()}
    files |= {f"webhook-{kind}.json": event_file(kind) for kind in event_requests()}
    written = []
    for name, event in files.items():
        path = directory / name
        path.write_text(json.dumps(event, indent=2) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_events():
        print(written.relative_to(ROOT))
