"""Signing requests the way senders do, for the run command, ``make sign`` and events/."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from account_unlock.sources.standard_webhooks import sign


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


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
