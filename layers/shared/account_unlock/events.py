"""Putting events on the project's bus."""

from __future__ import annotations

import json
from typing import Any

from account_unlock.aws import client
from account_unlock.config import settings
from account_unlock.errors import TransientError


def publish(detail_type: str, detail: dict[str, Any], source: str) -> None:
    """Put one event on the bus; a rejected entry is an error, not a silent drop."""
    response = client("events").put_events(
        Entries=[
            {
                "EventBusName": settings().event_bus_name,
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":")),
            }
        ]
    )
    if response.get("FailedEntryCount", 0):
        code = response["Entries"][0].get("ErrorCode", "unknown")
        raise TransientError("bus_unavailable", f"event bus rejected the event ({code})")
