"""GitHub-style webhooks: ``X-Hub-Signature-256: sha256=<hex>`` over the raw body, ``X-GitHub-Delivery``.

For any sender that signs the way GitHub does (GitHub itself, Gitea, many in-house tools). There is
no timestamp; replays are caught by the delivery id and the business key. The body is the generic
ticket JSON (see standard_webhooks.GENERIC_TICKET).
"""

from __future__ import annotations

from account_unlock.sources.signatures import HexHmacKind
from account_unlock.sources.standard_webhooks import GENERIC_TICKET


class GitHubHmac(HexHmacKind):
    kind = "github-hmac"
    preset = GENERIC_TICKET
    signature_header = "x-hub-signature-256"
    delivery_header = "x-github-delivery"
