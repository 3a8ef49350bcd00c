"""How the identity vendors send their events: LoginRadius, Gigya and PingOne subscriptions.

Each sender's request is built the way that sender builds it (its body shape, its signature or
static header), with the fixed local test secrets below, and the sources that opt in one event type
each. Used by the run command's stories, events/ (local/events_writer.py) and the tests.
Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from local.samples import (
    GIGYA_API_KEY,
    GIGYA_CONNECTION,
    LOGINRADIUS_CONNECTION,
    PINGONE_CONNECTION,
    PINGONE_ENVIRONMENT,
    LocalEnvironment,
)
from local.signing import gigya_hmac_signature, gigya_webhook_headers, loginradius_signature

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
    return {"Content-Type": "application/json", "signature": loginradius_signature(secret, raw)}


def gigya_jwt_headers(raw: bytes, **signing: Any) -> dict[str, str]:
    """``X-Gigya-Sig-JWT`` signed with the Gigya simulator's site key (``issued_at``, ``site_key``...)."""
    return gigya_webhook_headers(raw, GIGYA_API_KEY, **signing)


def gigya_headers(raw: bytes, secret: str = GIGYA_WEBHOOK_SECRET) -> dict[str, str]:
    """The legacy ``X-Gigya-Sig-Hmac-Sha1``, for sources with ``signature: "hmac-sha1"``."""
    return {"Content-Type": "application/json", "X-Gigya-Sig-Hmac-Sha1": gigya_hmac_signature(secret, raw)}


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
