"""Standard Webhooks and GitHub-style senders: a signed callback to a URL the source configures.

The body follows the Standard Webhooks payload structure, ``{"type", "timestamp", "data"}``; the
request is signed as the specification says (Standard Webhooks, "Specification", v1,
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature: v1,<base64>``, the
HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the base64-decoded part of a ``whsec_`` secret
(``sources.standard_webhooks.sign``, the function the webhook verifies with). The ``webhook-id`` is
derived from the request id and the outcome, so it is the same on every retry and a receiver can
deduplicate on it. Any 2xx is success.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from account_unlock.helpdesks.base import BaseUrl, Helpdesk, Posted, WriteBackConfig, checked
from account_unlock.models import UnlockOutcome
from account_unlock.sources.standard_webhooks import secret_key, sign

EVENT_TYPE = "account_unlock.outcome"


class CallbackCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signing_secret: SecretStr = Field(description="whsec_<base64>: the receiver verifies with it")

    @field_validator("signing_secret")
    @classmethod
    def _whsec(cls, secret: SecretStr) -> SecretStr:
        if not secret.get_secret_value().startswith("whsec_") or not secret_key(secret.get_secret_value()):
            raise ValueError("must be whsec_ followed by base64")
        return secret


class CallbackWriteBack(WriteBackConfig):
    url: BaseUrl = Field(description="Where the signed outcome is POSTed")
    credentials: CallbackCredentials


def message_id(outcome: UnlockOutcome) -> str:
    digest = hashlib.sha256(f"{outcome.request_id}\n{outcome.detail_type}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


class Callback(Helpdesk):
    name = "callback"
    config_model = CallbackWriteBack

    def post(self, config: CallbackWriteBack, ticket_id: str, comment: str, outcome: UnlockOutcome) -> Posted:
        msg_id, timestamp = message_id(outcome), str(int(time.time()))
        data = outcome.model_dump(mode="json", exclude_none=True, include={"request_id", "status", "reason", "message"})
        payload = {
            "type": EVENT_TYPE,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "data": data | {"outcome": outcome.detail_type, "ticket_id": ticket_id, "comment": comment},
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        secret = config.credentials.signing_secret.get_secret_value()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(secret, msg_id, timestamp, body),
        }
        response = self.http.request("POST", config.url, write=True, data=body, headers=headers)
        checked(response, "the callback", f"the outcome of ticket {ticket_id}")
        return Posted(f"callback for ticket {ticket_id}: signed outcome delivered", msg_id)
