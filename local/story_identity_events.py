"""Identity-event webhooks in the run command: LoginRadius, Gigya and PingOne subscriptions.

Each sender's request is built the way that sender builds it (its body shape, its signature or
static header), with the fixed local test secrets below. ``identity_events_story`` configures its
own sources and plays, per kind: an opted-in event that unlocks, an event type nobody opted in
(ignored), and a forged request (rejected).

``python -m local.story_identity_events`` rewrites ``events/webhook-<kind>.json``: API Gateway proxy
events signed with these secrets at ``EVENT_TIME``, for ``sam local invoke WebhookFunction -e ...``.
Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from account_unlock.sources import gigya_webhook, loginradius_webhook
from local.samples import (
    GIGYA_API_KEY,
    GIGYA_CONNECTION,
    LOGINRADIUS_CONNECTION,
    PINGONE_CONNECTION,
    PINGONE_ENVIRONMENT,
    LocalEnvironment,
)
from local.signing import encode, gigya_webhook_headers
from local.stack import api_gateway_event

if TYPE_CHECKING:
    from local.run import Story

LOGINRADIUS_SOURCE = "loginradius-events"
GIGYA_SOURCE = "gigya-events"
PINGONE_SOURCE = "pingone-events"
SOURCES = {
    "loginradius-webhook": LOGINRADIUS_SOURCE,
    "gigya-webhook": GIGYA_SOURCE,
    "pingone-subscription": PINGONE_SOURCE,
}
# LoginRadius signs with the secret's UTF-8 bytes; Gigya signs a JWT with the simulator's site key
# (GIGYA_WEBHOOK_SECRET, base64 of a 24-byte string, is for legacy "hmac-sha1" sources only);
# a PingOne secret is the whole Authorization header value the subscription sends.
LOGINRADIUS_WEBHOOK_SECRET = "local-loginradius-webhook-secret-not-real"
GIGYA_WEBHOOK_SECRET = "bG9jYWwtZ2lneWEtc2VjcmV0LW5vdC1yZWFs"
PINGONE_SUBSCRIPTION_SECRET = "Bearer local-pingone-subscription-token-not-real"
# What the local sources opt in ("resolved_statuses"); every other event type is ignored.
LOGINRADIUS_UNLOCK_EVENTS = ["ResetPassword"]
GIGYA_UNLOCK_EVENTS = ["accountUpdated"]
PINGONE_UNLOCK_EVENTS = ["PASSWORD.RECOVERY"]
EVENT_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z, the time inside every events/ file
EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> float:
    return datetime.now(UTC).timestamp()


# senders' bodies ---------------------------------------------------------------------------------
def loginradius_event(
    hook_name: str, uid: str, email: str, *, hook_id: str | None = None, moment: float | None = None
) -> dict[str, Any]:
    """A LoginRadius webhook body: ``{"HookName","Time","HookId","Data"}``, ``Data`` the profile."""
    return {
        "HookName": hook_name,
        "Time": iso(now() if moment is None else moment),
        "HookId": hook_id or str(uuid.uuid4()),
        "Data": {
            "Uid": uid,
            "Email": [{"Type": "Primary", "Value": email}],
            "EmailVerified": True,
            "IsActive": True,
        },
    }


def gigya_notification(
    events: list[tuple[str, str]], *, nonce: str | None = None, moment: float | None = None
) -> dict[str, Any]:
    """A Gigya notification: ``events`` as ``(type, uid)`` pairs, plus ``nonce`` and ``timestamp``."""
    sent = int(now() if moment is None else moment)
    return {
        "events": [
            {"type": kind, "id": str(uuid.uuid4()), "timestamp": sent - 1, "data": {"uid": uid}} for kind, uid in events
        ],
        "nonce": nonce or str(uuid.uuid4()),
        "timestamp": sent,
    }


def pingone_activity(
    action_type: str, user_id: str, username: str, *, event_id: str | None = None, moment: float | None = None
) -> dict[str, Any]:
    """One PingOne audit activity, as a subscription delivers it (an element of the posted array)."""
    api = f"https://api.pingone.com/v1/environments/{PINGONE_ENVIRONMENT}"
    activity_id = event_id or str(uuid.uuid4())
    recorded = iso(now() if moment is None else moment)
    return {
        "_links": {"self": {"href": f"{api}/activities/{activity_id}"}},
        "id": activity_id,
        "recordedAt": recorded,
        "createdAt": recorded,
        "correlationId": str(uuid.uuid5(uuid.NAMESPACE_URL, activity_id)),
        "actors": {
            "user": {"id": user_id, "name": username, "type": "USER", "environment": {"id": PINGONE_ENVIRONMENT}}
        },
        "action": {"type": action_type, "description": action_type.replace(".", " ").title()},
        "resources": [
            {
                "type": "USER",
                "id": user_id,
                "name": username,
                "environment": {"id": PINGONE_ENVIRONMENT},
                "href": f"{api}/users/{user_id}",
            }
        ],
        "result": {"status": "SUCCESS", "description": f"{action_type} for {username}"},
    }


# senders' headers --------------------------------------------------------------------------------
def loginradius_headers(raw: bytes, secret: str = LOGINRADIUS_WEBHOOK_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "signature": loginradius_webhook.sign(secret, raw)}


def gigya_jwt_headers(raw: bytes, **signing: Any) -> dict[str, str]:
    """``X-Gigya-Sig-JWT`` signed with the Gigya simulator's site key (``issued_at``, ``site_key``...)."""
    return gigya_webhook_headers(raw, GIGYA_API_KEY, **signing)


def gigya_headers(raw: bytes, secret: str = GIGYA_WEBHOOK_SECRET) -> dict[str, str]:
    """The legacy ``X-Gigya-Sig-Hmac-Sha1``, for sources with ``signature: "hmac-sha1"``."""
    return {"Content-Type": "application/json", "X-Gigya-Sig-Hmac-Sha1": gigya_webhook.sign(secret, raw)}


def pingone_headers(secret: str = PINGONE_SUBSCRIPTION_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": secret}


# sources -----------------------------------------------------------------------------------------
def source_secret(kind: str, secret: str, connection: str, unlock_events: list[str] | None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "kind": kind,
        "secrets": [secret],
        "connections": [connection],
        "default_connection": connection,
    }
    if unlock_events is not None:
        value["resolved_statuses"] = unlock_events
    return value


def gigya_source_secret(env: LocalEnvironment, unlock_events: list[str] | None) -> dict[str, Any]:
    """A ``gigya-webhook`` source verifying JWTs with the keys of the Gigya simulator's site."""
    value: dict[str, Any] = {
        "kind": "gigya-webhook",
        "api_key": GIGYA_API_KEY,
        "base_url": env.gigya.url,
        "connections": [GIGYA_CONNECTION],
        "default_connection": GIGYA_CONNECTION,
    }
    if unlock_events is not None:
        value["resolved_statuses"] = unlock_events
    return value


def configure_sources(env: LocalEnvironment) -> None:
    env.put_secret(
        "source",
        LOGINRADIUS_SOURCE,
        source_secret(
            "loginradius-webhook", LOGINRADIUS_WEBHOOK_SECRET, LOGINRADIUS_CONNECTION, LOGINRADIUS_UNLOCK_EVENTS
        ),
    )
    env.put_secret("source", GIGYA_SOURCE, gigya_source_secret(env, GIGYA_UNLOCK_EVENTS))
    env.put_secret(
        "source",
        PINGONE_SOURCE,
        source_secret("pingone-subscription", PINGONE_SUBSCRIPTION_SECRET, PINGONE_CONNECTION, PINGONE_UNLOCK_EVENTS),
    )


# the story ---------------------------------------------------------------------------------------
def identity_events_story(story: Story) -> None:
    env = story.env
    configure_sources(env)

    ann = env.loginradius.add_user("ann.lee@example.com", "ann.lee", locked=True)
    raw = encode(loginradius_event("ResetPassword", ann.uid, ann.email))
    story.run(
        "LoginRadius webhook: ResetPassword (opted in) for ann.lee → Unlock Requested",
        lambda: story.webhook(LOGINRADIUS_SOURCE, raw, loginradius_headers(raw)),
        note=lambda: f"ann.lee now: locked={ann.locked}",
    )
    login = encode(loginradius_event("Login", ann.uid, ann.email))
    story.run(
        "LoginRadius webhook: Login (not opted in)",
        lambda: story.webhook(LOGINRADIUS_SOURCE, login, loginradius_headers(login)),
        note=lambda: "ignored: nothing on the bus",
    )
    forged = encode(loginradius_event("ResetPassword", ann.uid, ann.email))
    story.run(
        "LoginRadius webhook signed with another secret",
        lambda: story.webhook(LOGINRADIUS_SOURCE, forged, loginradius_headers(forged, "guessed-secret")),
        note=lambda: "rejected: nothing on the bus",
    )

    bob = env.gigya.add_account("gigya-uid-bob", "bob@example.com", locked=True)
    cho = env.gigya.add_account("gigya-uid-cho", "cho@example.com", locked=True)
    batch = encode(gigya_notification([("accountUpdated", bob.uid), ("accountLoggedIn", cho.uid)]))
    story.run(
        "Gigya notification: accountUpdated (opted in) for bob + accountLoggedIn for cho",
        lambda: story.webhook(GIGYA_SOURCE, batch, gigya_jwt_headers(batch)),
        note=lambda: f"bob now: locked={bob.locked}; cho (not opted in) locked={cho.locked}",
    )
    logged_in = encode(gigya_notification([("accountLoggedIn", cho.uid)]))
    story.run(
        "Gigya notification: accountLoggedIn only (not opted in)",
        lambda: story.webhook(GIGYA_SOURCE, logged_in, gigya_jwt_headers(logged_in)),
        note=lambda: "ignored: nothing on the bus",
    )
    tampered = batch.replace(bob.uid.encode(), cho.uid.encode())
    story.run(
        "Gigya notification tampered after signing (uid changed)",
        lambda: story.webhook(GIGYA_SOURCE, tampered, gigya_jwt_headers(batch)),
        note=lambda: "rejected: nothing on the bus",
    )

    dee = env.pingone.add_user("dee.rao", "dee.rao@example.com", account_locked=True)
    events = encode(
        [
            pingone_activity("PASSWORD.RECOVERY", dee.id, dee.username),
            pingone_activity("PASSWORD.CHECK_FAILED", dee.id, dee.username),
        ]
    )
    story.run(
        "PingOne subscription: PASSWORD.RECOVERY (opted in) + PASSWORD.CHECK_FAILED for dee.rao",
        lambda: story.webhook(PINGONE_SOURCE, events, pingone_headers()),
        note=lambda: f"dee.rao now: account locked={dee.account_locked}",
    )
    failed = encode([pingone_activity("PASSWORD.CHECK_FAILED", dee.id, dee.username)])
    story.run(
        "PingOne subscription: PASSWORD.CHECK_FAILED only (not opted in)",
        lambda: story.webhook(PINGONE_SOURCE, failed, pingone_headers()),
        note=lambda: "ignored: nothing on the bus",
    )
    story.run(
        "PingOne subscription with a wrong Authorization header",
        lambda: story.webhook(PINGONE_SOURCE, events, pingone_headers("Bearer guessed-token")),
        note=lambda: "rejected: nothing on the bus",
    )


# events/ -----------------------------------------------------------------------------------------
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
    }


def event_file(kind: str) -> dict[str, Any]:
    """The API Gateway proxy event of ``events/webhook-<kind>.json`` (deterministic)."""
    source, headers, body = event_requests()[kind]
    event = api_gateway_event("POST", f"/webhooks/{source}", "/webhooks/{source}", {"source": source}, headers, body)
    event["requestContext"]["requestId"] = f"local-{kind}"
    event["requestContext"]["requestTimeEpoch"] = EVENT_TIME * 1000
    return event


def write_events(directory: Path = EVENTS_DIR) -> list[Path]:
    directory.mkdir(exist_ok=True)
    written = []
    for kind in SOURCES:
        path = directory / f"webhook-{kind}.json"
        path.write_text(json.dumps(event_file(kind), indent=2) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_events():
        print(written)
