"""How Okta Event Hooks call the webhook: the one-time verification ``GET`` and the event deliveries.

Built the way Okta builds them ("Event hooks", https://developer.okta.com/use_cases/event_hooks; "Unable
to verify event hook",
https://support.okta.com/help/s/article/Unable-to-verify-event-hook-Hook-hook-name-execution-failed;
"Examine the Event Object",
https://developer.okta.com/docs/guides/event-hook-implementation/nodejs/event-object/), with the fixed
local test secret below and a source that opts ``user.account.lock`` in. Used by the run command's
story and the tests. Every value here is a local test value, not a credential for any real org.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from local.identity_senders import iso, now
from local.samples import OKTA_CONNECTION, LocalEnvironment

OKTA_SOURCE = "okta-events"
# The hook's "Authentication secret": the whole value of its "Authentication field" header.
OKTA_HOOK_SECRET = "local-okta-event-hook-secret-not-real"
OKTA_UNLOCK_EVENTS = ["user.account.lock"]
HOOK_ID = "who8lzhXvIhTtRGsE0g4"


def okta_event(event_type: str, user_id: str, login: str, *, moment: float | None = None) -> dict[str, Any]:
    """One System Log event of a delivery: the locked user is the ``User`` target."""
    return {
        "uuid": str(uuid.uuid4()),
        "published": iso(now() if moment is None else moment),
        "eventType": event_type,
        "version": "0",
        "displayMessage": "Max sign in attempts exceeded" if event_type == "user.account.lock" else event_type,
        "severity": "WARN",
        "actor": {"id": user_id, "type": "User", "alternateId": login, "displayName": login},
        "outcome": {"result": "SUCCESS", "reason": None},
        "target": [{"id": user_id, "type": "User", "alternateId": login, "displayName": login, "detailEntry": None}],
    }


def okta_delivery(*events: dict[str, Any], org_url: str = "https://acme.okta.com") -> dict[str, Any]:
    """The body Okta posts: ``com.okta.event_hook`` with the events in ``data.events``."""
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": f"{org_url}/api/v1/eventHooks/{HOOK_ID}",
        "eventId": str(uuid.uuid4()),
        "data": {"events": list(events)},
        "eventTime": iso(now()),
        "contentType": "application/json",
    }


def okta_headers(secret: str = OKTA_HOOK_SECRET, field: str = "Authorization") -> dict[str, str]:
    """What Okta sends with a delivery: JSON, and the configured authentication header."""
    return {"Accept": "application/json", "Content-Type": "application/json", field: secret}


def okta_verification_headers(challenge: str | None = None, secret: str = OKTA_HOOK_SECRET) -> dict[str, str]:
    """The one-time verification ``GET``'s headers: the challenge and the authentication header."""
    return {
        "Accept": "application/json",
        "User-Agent": "Okta-Integrations",
        "X-Okta-Verification-Challenge": challenge or secrets.token_urlsafe(30),
        "Authorization": secret,
    }


def okta_source_secret(unlock_events: list[str] | None = OKTA_UNLOCK_EVENTS) -> dict[str, Any]:
    value: dict[str, Any] = {
        "kind": "okta-event-hook",
        "secrets": [OKTA_HOOK_SECRET],
        "connections": [OKTA_CONNECTION],
        "default_connection": OKTA_CONNECTION,
    }
    if unlock_events is not None:
        value["resolved_statuses"] = unlock_events
    return value


def configure_okta_source(env: LocalEnvironment) -> None:
    env.put_secret("source", OKTA_SOURCE, okta_source_secret())
