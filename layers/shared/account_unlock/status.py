"""The status look-ups: what happened to a request, a ticket or a user, read from the audit table.

A request is summarised from all of its audit items (``summarise``): the decision (its last outcome
item), every attempt (the ``attempted`` items and the outcome items, oldest first), the ticket
write-back items, and who and what it was about. Only the fields listed here are returned, whatever
else an item holds.

``by_ticket`` and ``by_user`` find the request ids in the ``by_ticket`` / ``by_user`` indexes (their
hash keys are ``audit.ticket_key`` / ``audit.user_key``), newest first, at most ``MAX_REQUESTS`` of
them, then read each request whole (one Query per request): an item without index attributes still
counts.

``lookup`` and ``lookup_request`` are the HTTP side (the status function's routes): a query is parsed
with the event models' own rules (``parse_query``), a bad one is 400, an unknown request 404, an AWS
failure 503 + Retry-After.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from account_unlock.audit import ATTEMPTED, ticket_key, user_key
from account_unlock.aws import AWS_ERRORS, client
from account_unlock.config import settings
from account_unlock.edge import Answer
from account_unlock.models import USER_KEYS, Name, Origin, Text, UserRef
from account_unlock.observability import logger

MAX_REQUESTS = 50  # requests per ticket or user look-up, the newest first
WRITEBACK_STATUSES = frozenset({"written_back", "writeback_failed"})
DECISION_FIELDS = ("status", "reason", "message", "vendor", "vendor_reference", "recorded_at")
WRITEBACK_FIELDS = ("status", "reason", "message", "writeback_reference", "recorded_at")
ORIGIN_FIELDS = {
    "system": "origin_system",
    "ticket_id": "ticket_id",
    "ticket_url": "ticket_url",
    "delivery_id": "delivery_id",
}
QUERY_PARAMETERS = frozenset({"ticket", "connection", "user"})
MAX_PARAMETER_LENGTH = 512
RETRY_LATER = {"Retry-After": "5"}
NAME = TypeAdapter(Name)
IDENTIFIER = TypeAdapter(Text)

Item = dict[str, Any]


class BadQuery(ValueError):
    """A look-up that cannot be answered as asked (400)."""


@dataclass(frozen=True)
class TicketQuery:
    system: str
    ticket_id: str


@dataclass(frozen=True)
class UserQuery:
    connection: str
    kind: str
    value: str


# reading ---------------------------------------------------------------------------------------
def by_request(request_id: str) -> dict[str, Any] | None:
    """The request's summary; None when the audit table has no item of it."""
    items = list(
        query(KeyConditionExpression="request_id = :key", ExpressionAttributeValues={":key": {"S": request_id}})
    )
    return summarise(request_id, items) if items else None


def by_ticket(system: str, ticket_id: str) -> list[dict[str, Any]]:
    """The newest ``MAX_REQUESTS`` requests of the ticket, newest first ([] when there is none)."""
    return by_index("by_ticket", "ticket_key", ticket_key(system, ticket_id))


def by_user(connection: str, kind: str, value: str) -> list[dict[str, Any]]:
    """The newest ``MAX_REQUESTS`` requests for the user of the connection, newest first."""
    return by_index("by_user", "user_key", user_key(connection, kind, value))


def by_index(index: str, attribute: str, key: str) -> list[dict[str, Any]]:
    found = query(
        IndexName=index,
        KeyConditionExpression=f"{attribute} = :key",
        ExpressionAttributeValues={":key": {"S": key}},
        ProjectionExpression="request_id",
        ScanIndexForward=False,
    )
    ids: list[str] = []
    for item in found:
        request_id = item["request_id"]["S"]
        if request_id not in ids:
            ids.append(request_id)
            if len(ids) == MAX_REQUESTS:
                break
    summaries = (by_request(request_id) for request_id in ids)
    return [summary for summary in summaries if summary]


def query(**parameters: Any) -> Iterator[Item]:
    """Every item a Query of the audit table (or one of its indexes) finds, page by page."""
    pages = client("dynamodb").get_paginator("query").paginate(TableName=settings().audit_table, **parameters)
    for page in pages:
        yield from page["Items"]


# summarising -----------------------------------------------------------------------------------
def summarise(request_id: str, items: Sequence[Item]) -> dict[str, Any]:
    """The allow-listed view of a request's items (any order)."""
    ordered = sorted(items, key=lambda item: text(item, "recorded_at") or "")
    writebacks = [item for item in ordered if text(item, "status") in WRITEBACK_STATUSES]
    attempts = [item for item in ordered if text(item, "status") not in WRITEBACK_STATUSES]
    outcomes = [item for item in attempts if text(item, "status") != ATTEMPTED]
    return {
        "request_id": request_id,
        "decision": (pick(outcomes[-1], DECISION_FIELDS) | {"actions": strings(outcomes[-1], "actions")})
        if outcomes
        else None,
        "attempts": [pick(item, DECISION_FIELDS) for item in attempts],
        "writeback": [pick(item, WRITEBACK_FIELDS) for item in writebacks],
        "connection": latest(ordered, "connection"),
        "user": user(ordered),
        "origin": {name: value for name, field in ORIGIN_FIELDS.items() if (value := latest(ordered, field))},
        "requested_by": latest(ordered, "requested_by"),
        "first_seen": text(ordered[0], "recorded_at"),
        "last_seen": text(ordered[-1], "recorded_at"),
    }


def text(item: Item, name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return value if isinstance(value, str) else None


def strings(item: Item, name: str) -> list[str]:
    return [entry["S"] for entry in item.get(name, {}).get("L", []) if isinstance(entry.get("S"), str)]


def pick(item: Item, names: Sequence[str]) -> dict[str, str | None]:
    return {name: text(item, name) for name in names}


def latest(items: Sequence[Item], name: str) -> str | None:
    """The newest value of a text field among the items (those without it skipped)."""
    return next((value for item in reversed(items) if (value := text(item, name))), None)


def user(items: Sequence[Item]) -> dict[str, str] | None:
    """The user the request names (``{kind: value}``, a kind of ``USER_KEYS`` only)."""
    for item in reversed(items):
        named = {kind: entry["S"] for kind, entry in item.get("user", {}).get("M", {}).items() if kind in USER_KEYS}
        if len(named) == 1 and isinstance(next(iter(named.values())), str):
            return named
    return None


# the HTTP side ---------------------------------------------------------------------------------
def parse_query(parameters: Mapping[str, Sequence[str]]) -> TicketQuery | UserQuery:
    """``ticket=<system>:<ticket id>``, or ``connection=<name>`` and ``user=<kind>:<value>``.

    Values follow the event contract (``models``): a system and a connection are names, a ticket id
    and a user value identifiers (at most 256 characters, no control or invisible character).
    """
    unknown = sorted(set(parameters) - QUERY_PARAMETERS)
    if unknown:
        raise BadQuery(f"unknown query parameter {unknown[0][:64]!r}")
    values = {name: single(name, given) for name, given in parameters.items()}
    if "ticket" in values:
        if len(values) > 1:
            raise BadQuery("give either ticket, or connection and user")
        return ticket_query(values["ticket"])
    if set(values) != {"connection", "user"}:
        raise BadQuery("give either ticket, or connection and user")
    return user_query(values["connection"], values["user"])


def single(name: str, given: Sequence[str]) -> str:
    if len(given) != 1:
        raise BadQuery(f"give {name} once")
    if len(given[0]) > MAX_PARAMETER_LENGTH:
        raise BadQuery(f"{name} is longer than {MAX_PARAMETER_LENGTH} characters")
    return given[0]


def ticket_query(value: str) -> TicketQuery:
    system, colon, ticket_id = value.partition(":")
    if not colon:
        raise BadQuery("ticket must be <system>:<ticket id>")
    try:
        origin = Origin(system=system, ticket_id=ticket_id)
    except ValidationError:
        raise BadQuery("ticket must be <system>:<ticket id>, a source name and a ticket id") from None
    if origin.ticket_id is None:
        raise BadQuery("ticket must be <system>:<ticket id>")
    return TicketQuery(origin.system, origin.ticket_id)


def user_query(connection: str, value: str) -> UserQuery:
    kind, colon, identifier = value.partition(":")
    if not colon or kind not in USER_KEYS:
        raise BadQuery(f"user must be <kind>:<value>, kind one of {', '.join(USER_KEYS)}")
    try:
        named = UserRef.model_validate({kind: identifier})
        name = NAME.validate_python(connection)
    except ValidationError:
        raise BadQuery("connection must be a connection name and user <kind>:<value>") from None
    return UserQuery(name, named.kind, named.value)


def lookup(parameters: Mapping[str, Sequence[str]]) -> Answer:
    """``GET /unlocks?…``: 200 with the matching requests (maybe none), 400 for a bad query."""
    try:
        parsed = parse_query(parameters)
    except BadQuery as exc:
        return Answer(400, {"error": str(exc)})
    try:
        if isinstance(parsed, TicketQuery):
            found = by_ticket(parsed.system, parsed.ticket_id)
        else:
            found = by_user(parsed.connection, parsed.kind, parsed.value)
    except AWS_ERRORS:
        return unavailable()
    return Answer(200, {"requests": found, "truncated": len(found) == MAX_REQUESTS})


def lookup_request(request_id: str) -> Answer:
    """``GET /unlocks/{request_id}``: 200 with the request, 404 when unknown."""
    try:
        checked = IDENTIFIER.validate_python(request_id)
    except ValidationError:
        return Answer(400, {"error": "request_id is not a valid request id"})
    try:
        found = by_request(checked)
    except AWS_ERRORS:
        return unavailable()
    return Answer(200, found) if found else Answer(404, {"error": "unknown request"})


def unavailable() -> Answer:
    logger.exception("audit table unavailable")
    return Answer(503, {"error": "temporarily unavailable, retry later"}, RETRY_LATER)
