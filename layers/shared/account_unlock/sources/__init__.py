"""Webhook source kinds, by the ``kind`` field of a source secret."""

from __future__ import annotations

from account_unlock.sources.base import SourceKind
from account_unlock.sources.standard_webhooks import StandardWebhooks

SOURCE_KINDS: dict[str, SourceKind] = {
    kind.kind: kind for kind in (StandardWebhooks(),)
}
