"""Times on the command line: an ISO 8601 instant (UTC unless it says otherwise) or a span ago (``90m``, ``2h``, ``7d``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

SPAN = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_time(text: str, now: datetime) -> datetime:
    """``2025-05-01T08:00:00Z``, ``2025-05-01`` or ``2h`` (two hours before ``now``), as an aware UTC time."""
    span = SPAN.match(text.strip())
    if span:
        return now - timedelta(**{UNITS[span.group(2)]: int(span.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a time: {text!r} (ISO 8601 like 2025-05-01T08:00:00Z, or 90m / 2h / 7d ago)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def age(since: datetime, now: datetime) -> str:
    """``42s``, ``17m``, ``5h``, ``3d``: how long ago, to one unit."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def event_time(text: str) -> datetime:
    """An EventBridge event's ``time`` (``2025-05-01T08:00:00Z``)."""
    return datetime.fromisoformat(text).astimezone(UTC)
