"""The audit trail of a time window as JSON lines or CSV.

Without a ticket or a user it is a Scan of the audit table filtered on ``recorded_at``: it reads the
whole table (and is billed for it), which is acceptable for an occasional operator export, not for a
hot path. With a ticket or a user it is a Query of the ``by_ticket`` / ``by_user`` index on the same
window. Audit items hold identifiers and outcomes only, never a secret, so every attribute is exported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from boto3.dynamodb.types import TypeDeserializer

from account_unlock.audit import ticket_key, user_key
from ops.aws import Aws
from ops.names import StackNames

COLUMNS = (
    "recorded_at",
    "request_id",
    "status",
    "reason",
    "message",
    "connection",
    "vendor",
    "user",
    "origin_system",
    "ticket_id",
    "ticket_url",
    "delivery_id",
    "requested_by",
    "vendor_reference",
    "actions",
    "writeback_reference",
    "ticket_key",
    "user_key",
)
# A cell a spreadsheet would run as a formula ("CSV Injection", OWASP,
# https://owasp.org/www-community/attacks/CSV_Injection): ticket fields come from outside.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DESERIALIZE = TypeDeserializer().deserialize


def stamp(moment: datetime) -> str:
    """``recorded_at``'s own format (audit.py: ISO 8601, microseconds, UTC), so strings compare as times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def plain(value: Any) -> Any:
    """DynamoDB's numbers (Decimal) as int or float, recursively; sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def audit_items(
    aws: Aws,
    names: StackNames,
    *,
    start: datetime,
    end: datetime,
    ticket: tuple[str, str] | None = None,
    user: tuple[str, str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every audit item recorded in ``[start, end]`` (of the ticket ``(system, id)`` or the user
    ``(connection, kind, value)`` if given), oldest first."""
    dynamodb = aws.client("dynamodb")
    window = {":from": {"S": stamp(start)}, ":to": {"S": stamp(end)}}
    indexed = index_key(ticket, user)
    if indexed:
        index, key_name, key = indexed
        pages = dynamodb.get_paginator("query").paginate(
            TableName=names.audit_table,
            IndexName=index,
            KeyConditionExpression=f"{key_name} = :key AND recorded_at BETWEEN :from AND :to",
            ExpressionAttributeValues=window | {":key": {"S": key}},
        )
    else:
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=names.audit_table,
            FilterExpression="recorded_at BETWEEN :from AND :to",
            ExpressionAttributeValues=window,
        )
    items = [
        {key: plain(DESERIALIZE(value)) for key, value in item.items()} for page in pages for item in page["Items"]
    ]
    return sorted(items, key=lambda item: (str(item.get("recorded_at", "")), str(item.get("request_id", ""))))


def index_key(ticket: tuple[str, str] | None, user: tuple[str, str, str] | None) -> tuple[str, str, str] | None:
    """(index, hash key attribute, key) of a ticket or user look-up, as audit.py builds the keys."""
    if ticket:
        return "by_ticket", "ticket_key", ticket_key(*ticket)
    if user:
        return "by_user", "user_key", user_key(*user)
    return None


def write_jsonl(items: Iterable[dict[str, Any]], stream: IO[str]) -> None:
    for item in items:
        stream.write(json.dumps(item, sort_keys=True, ensure_ascii=False) + "\n")


def cell(value: Any) -> str:
    if isinstance(value, dict):
        text = " ".join(f"{key}={item}" for key, item in sorted(value.items()))
    elif isinstance(value, list):
        text = ";".join(str(item) for item in value)
    else:
        text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(items: list[dict[str, Any]], stream: IO[str]) -> None:
    """Known columns first, then any other attribute (``expires_at``…) in name order."""
    extra = sorted({key for item in items for key in item} - set(COLUMNS))
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*COLUMNS, *extra])
    for item in items:
        writer.writerow([cell(item.get(column)) for column in (*COLUMNS, *extra)])
