"""Putting events on the project's bus."""

from __future__ import annotations

import json
from typing import Any

from account_unlock.aws import client
from account_unlock.config import settings
from account_unlock.errors import TransientError

PUT_EVENTS_BATCH = 10


def publish(detail_type: str, detail: dict[str, Any], source: str) -> None:
    """Put one event on the bus."""
    publish_many(detail_type, [detail], source)


def publish_many(detail_type: str, details: list[dict[str, Any]], source: str) -> None:
    """Put events on the bus, ten per call; a rejected entry is an error, never a silent drop."""
    for start in range(0, len(details), PUT_EVENTS_BATCH):
        entries = [
            {
                "EventBusName": settings().event_bus_name,
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":")),
            }
            for detail in details[start : start + PUT_EVENTS_BATCH]
        ]
        response = client("events").put_events(Entries=entries)
        if response.get("FailedEntryCount", 0):
            codes = sorted({e.get("ErrorCode", "unknown") for e in response["Entries"] if e.get("ErrorCode")})
            raise TransientError(
                "bus_unavailable", f"event bus rejected {response['FailedEntryCount']} event(s) {codes}"
            )
