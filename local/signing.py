"""Signing requests the way senders do, for the run command, ``local.sign``, events/ and the tests.

Written from each sender's own documentation, never from the project's verifiers, so that a test of a
verifier is not a test of the verifier against itself: Standard Webhooks with the ``standardwebhooks``
package (the specification's reference library), LoginRadius and Gigya from their webhook pages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from standardwebhooks.webhooks import Webhook

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
        "webhook-signature": standard_webhook_signature(secret, msg_id, stamp, body),
    }


def standard_webhook_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """``v1,<base64>``: HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the base64 part of the
    ``whsec_`` secret, as the Standard Webhooks specification defines it (the reference ``standardwebhooks``
    library, which takes text bodies only, signs UTF-8 bodies the same way)."""
    try:
        text = body.decode()
    except UnicodeDecodeError:  # the library signs text only: the same HMAC, by hand, for other bytes
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(int(timestamp), UTC), text)


def loginradius_signature(secret: str, body: bytes) -> str:
    """LoginRadius's ``signature`` header: HMAC-SHA256 of the raw body keyed with the secret, upper-case hex
    (LoginRadius, "Webhooks", https://www.loginradius.com/docs/integrations/webhook/overview)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().upper()


def gigya_hmac_signature(secret: str, body: bytes) -> str:
    """The legacy ``X-Gigya-Sig-Hmac-Sha1``: base64 HMAC-SHA1 of the raw body keyed with the base64-decoded
    secret (SAP CDC "Webhooks", https://developers.gigya.com/display/GD/Webhooks); "" for a secret that is
    not base64."""
    try:
        key = base64.b64decode(secret, validate=True)
    except ValueError:
        return ""
    return base64.b64encode(hmac.new(key, body, hashlib.sha1).digest()).decode()


def gigya_body_hash(body: bytes) -> str:
    """The ``sub`` claim of a Gigya webhook JWT: unpadded base64url of the SHA-256 of the raw body."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


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
        "sub": gigya_body_hash(body),
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
