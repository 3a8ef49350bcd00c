"""The business key of an unlock request: the same for every retry, replay and re-sent delivery of it.

The unlock function deduplicates on it (Powertools Idempotency, ``recorded_steps``) and the webhook
answers a re-sent ticket with its first request id by it (``webhook.claim``). A module of its own: the
webhook must not import the unlock side's persistence layers.
"""

from __future__ import annotations

from typing import Any

import jmespath

BUSINESS_KEY = "[origin.system, origin.ticket_id || request_id, connection, user]"


def business_key(request: dict[str, Any]) -> list[Any]:
    """The key of a request in its JSON form (an ``UnlockRequest`` dump)."""
    return list(jmespath.search(BUSINESS_KEY, request))
