"""GitHub-style webhooks: ``X-Hub-Signature-256: sha256=<hex>`` over the raw body, ``X-GitHub-Delivery``.

For any sender that signs the way GitHub does (GitHub itself, Gitea, many in-house tools). Only the
body is signed: no header carries a signed time. Replays are caught by the delivery id (72 h) and the
unlock's business key (``IdempotencyTtlDays``); after both, a captured delivery would be a new
request. A sender that can shape its body closes that gap with a top-level ``sent_at`` (unix seconds or
milliseconds, or ISO 8601): when present it is signed with the body and must lie within the
signed-body replay window (48 h). The body is the generic ticket JSON (see standard_webhooks.GENERIC_TICKET).
"""

from __future__ import annotations

from collections.abc import Sequence

from account_unlock.sources.base import Delivery
from account_unlock.sources.signatures import HexHmacKind, check_body_time
from account_unlock.sources.standard_webhooks import GENERIC_TICKET

SENT_AT = "sent_at"


class GitHubHmac(HexHmacKind):
    kind = "github-hmac"
    preset = GENERIC_TICKET
    signature_header = "x-hub-signature-256"
    delivery_header = "x-github-delivery"

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        delivery_id = super().authenticate(delivery, secrets)
        check_body_time(delivery, SENT_AT)  # GitHub itself sends none
        return delivery_id
