"""Signing requests the way senders do, for the run command, ``make sign`` and events/."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt

from account_unlock.sources.gigya_webhook import body_hash
from account_unlock.sources.standard_webhooks import sign
from local.simulators.gigya import LOCAL_SITE_KEY, GigyaSiteKey

GIGYA_TOKEN_LIFETIME = 60  # exp - iat of the webhook JWTs SAP Customer Data Cloud sends


def standard_webhook_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": sign(secret, msg_id, stamp, body),
    }


def gigya_webhook_jwt(
    body: bytes,
    api_key: str,
    *,
    site_key: GigyaSiteKey = LOCAL_SITE_KEY,
    issued_at: int | None = None,
    data_center: str = "us1",
    **claims: Any,
) -> str:
    """The ``X-Gigya-Sig-JWT`` of a Gigya webhook: RS256 by the site's key, ``sub`` the body's hash.

    The claims and header are those of the webhook JWTs SAP Customer Data Cloud sends: ``sub``,
    ``jti`` (the body's ``nonce``), ``iat``, ``exp`` (a minute later), ``iss`` and, in the header,
    ``kid`` and ``dc``. ``claims`` override or add claims.
    """
    iat = int(time.time()) if issued_at is None else issued_at
    try:
        nonce = json.loads(body).get("nonce")
    except (ValueError, UnicodeDecodeError, AttributeError):
        nonce = None
    payload = {
        "sub": body_hash(body),
        "jti": nonce if isinstance(nonce, str) else str(uuid.uuid4()),
        "iat": iat,
        "exp": iat + GIGYA_TOKEN_LIFETIME,
        "iss": f"https://fidm.gigya.com/jwt/{api_key}/",
    } | claims
    headers = {"kid": site_key.kid, "dc": data_center}
    return jwt.encode(payload, site_key.private_key(), algorithm="RS256", headers=headers)


def gigya_webhook_headers(body: bytes, api_key: str, **signing: Any) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Gigya-Sig-JWT": gigya_webhook_jwt(body, api_key, **signing)}


def encode(body: dict[str, Any] | list[Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
