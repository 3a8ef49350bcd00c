"""Putting events on the project's bus.

Events go ten per PutEvents call (its limit), several calls at a time, so a large batch (a PingOne
subscription's 500 events) is handed over within the webhook's time budget (``aws.deadline`` bounds
each call). An entry the bus rejects (``FailedEntryCount``) is sent once more; what is still rejected,
and any AWS error, is raised as ``TransientError``: never a silent drop. Entries accepted before the
error stay on the bus; the caller's retry sends them again, and the unlock function's business key
makes that one unlock.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

from botocore.exceptions import ClientError

from account_unlock.aws import AWS_ERRORS, client
from account_unlock.config import settings
from account_unlock.errors import TransientError

PUT_EVENTS_BATCH = 10
PUT_EVENTS_CONCURRENCY = 8
ENTRY_ATTEMPTS = 2

Entry = dict[str, str]


def publish(detail_type: str, detail: dict[str, Any], source: str) -> None:
    """Put one event on the bus."""
    publish_many(detail_type, [detail], source)


def publish_many(detail_type: str, details: list[dict[str, Any]], source: str) -> None:
    """Put every event on the bus, or raise ``TransientError``."""
    bus = settings().event_bus_name
    pending = [
        {
            "EventBusName": bus,
            "Source": source,
            "DetailType": detail_type,
            "Detail": json.dumps(d, separators=(",", ":")),
        }
        for d in details
    ]
    codes: set[str] = set()
    for _ in range(ENTRY_ATTEMPTS):
        rejected = put_all(pending)
        if not rejected:
            return
        pending = [entry for entry, _ in rejected]
        codes = {code for _, code in rejected}
    raise TransientError("bus_unavailable", f"event bus rejected {len(pending)} event(s) {sorted(codes)}")


def put_all(entries: list[Entry]) -> list[tuple[Entry, str]]:
    """Send every entry; the entries the bus rejected, with their error codes."""
    chunks = [entries[start : start + PUT_EVENTS_BATCH] for start in range(0, len(entries), PUT_EVENTS_BATCH)]
    if len(chunks) <= 1:
        return [rejected for chunk in chunks for rejected in put_chunk(chunk)]
    with ThreadPoolExecutor(max_workers=min(PUT_EVENTS_CONCURRENCY, len(chunks))) as pool:
        # Each chunk runs in a copy of this invocation's context, so it keeps the invocation's deadline.
        futures = [pool.submit(copy_context().run, put_chunk, chunk) for chunk in chunks]
        return [rejected for future in futures for rejected in future.result()]


def put_chunk(entries: list[Entry]) -> list[tuple[Entry, str]]:
    try:
        response = client("events").put_events(Entries=entries)
    except AWS_ERRORS as exc:
        raise TransientError("bus_unavailable", f"event bus unavailable ({error_code(exc)})") from exc
    results = response.get("Entries", [])
    return [
        (entry, result["ErrorCode"]) for entry, result in zip(entries, results, strict=True) if result.get("ErrorCode")
    ]


def error_code(exc: Exception) -> str:
    """AWS's error code of a refused call, else the kind of failure (ConnectionClosedError...)."""
    return str(exc.response.get("Error", {}).get("Code")) if isinstance(exc, ClientError) else type(exc).__name__
