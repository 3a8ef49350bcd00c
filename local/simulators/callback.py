"""A receiver of the signed write-back callback of Standard Webhooks / GitHub-style sources.

It verifies each request as a Standard Webhooks consumer must (Standard Webhooks, "Specification",
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
HMAC-SHA256 over ``{webhook-id}.{webhook-timestamp}.{body}`` with the base64-decoded ``whsec_``
secret, ``v1,<base64>`` in ``webhook-signature``, timestamp within 5 minutes; a bad signature is 401.
Accepted callbacks are counted per ``data.ticket_id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import ClassVar

from local.simulators.base import Reply, Request
from local.simulators.tickets import TicketSimulator

TOLERANCE_SECONDS = 300


class CallbackReceiver(TicketSimulator):
    name = "callback"
    routes: ClassVar[list[tuple[str, str, str]]] = [("POST", r"/hooks/account-unlock", "receive")]

    def __init__(self, signing_secret: str) -> None:
        super().__init__("", "")
        self.key = base64.b64decode(signing_secret.removeprefix("whsec_"))

    def verified(self, request: Request) -> bool:
        msg_id, stamp = request.header("webhook-id") or "", request.header("webhook-timestamp") or ""
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
            return False
        digest = hmac.new(self.key, f"{msg_id}.{stamp}.".encode() + request.body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        offered = (request.header("webhook-signature") or "").split()
        return any(hmac.compare_digest(expected, signature) for signature in offered)

    def receive(self, request: Request) -> Reply:
        if not self.verified(request):
            return Reply(401, {"error": "invalid signature"})
        payload = request.json() or {}
        data = payload.get("data", {})
        self.add_comment(str(data.get("ticket_id")), {"webhook_id": request.header("webhook-id"), "payload": payload})
        return Reply(204)
