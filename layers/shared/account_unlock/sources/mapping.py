"""Where a payload keeps the ticket, its status, the target user and the connection.

Each field is a JMESPath expression, evaluated with Powertools' JMESPath functions (so
``powertools_json(...)`` can reach into JSON-encoded strings). A source kind ships a preset;
a source's configuration overrides individual fields.

Expressions are compiled once per container. A wrong expression, or a payload an expression cannot read
(``powertools_json`` of a string that is not JSON, a function given the wrong type), is a
``MappingError`` naming the expression, refused as a missing field is, never an error that would carry
the payload into a log.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jmespath
from aws_lambda_powertools.utilities.jmespath_utils import PowertoolsFunctions
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from account_unlock.models import USER_KEYS


class MappingError(ValueError):
    """The payload lacks a field or the mapping itself is wrong; the message names the field."""


@dataclass(frozen=True)
class FieldMap:
    ticket_id: str
    status: str
    resolved: str
    user: str
    connection: str | None = None
    ticket_url: str | None = None
    requested_by: str | None = None
    reason: str | None = None
    delivery_id: str | None = None

    def with_overrides(self, overrides: dict[str, str]) -> FieldMap:
        unknown = set(overrides) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise MappingError(f"unknown mapping fields in source configuration: {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **overrides)


@dataclass(frozen=True)
class Extracted:
    ticket_id: str
    status: str
    resolved: bool
    user: dict[str, str]
    connection: str | None
    ticket_url: str | None
    requested_by: str | None
    reason: str | None
    delivery_id: str | None


SEARCH_OPTIONS = jmespath.Options(custom_functions=PowertoolsFunctions())
# What evaluating a valid expression can raise on a payload it does not fit: a function's type error, and
# Powertools' functions decoding what is not JSON, base64 or gzip (ValueError covers the JSON, base64 and
# Unicode errors; a gzip stream that is not one raises OSError or EOFError).
UNREADABLE = (JMESPathError, ValueError, TypeError, zlib.error, OSError, EOFError)


@lru_cache(maxsize=256)
def _compiled(expression: str) -> ParsedResult:
    try:
        return jmespath.compile(expression)
    except JMESPathError:
        raise MappingError(f"mapping expression '{expression}' is not valid") from None


def _search(expression: str | None, payload: Any) -> Any:
    if expression is None:
        return None
    compiled = _compiled(expression)
    try:
        return compiled.search(payload, options=SEARCH_OPTIONS)
    except UNREADABLE:
        raise MappingError(f"the payload does not fit mapping expression '{expression}'") from None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def _required(name: str, expression: str, payload: Any) -> str:
    value = _text(_search(expression, payload))
    if value is None:
        raise MappingError(f"missing field {name} (at '{expression}')")
    return value


def extract(fields: FieldMap, payload: Any, resolved_statuses: list[str] | None = None) -> Extracted:
    """Apply the mapping; raise ``MappingError`` naming the first missing field.

    ``resolved_statuses``, when given, replaces the ``resolved`` expression: the item is resolved
    when its status is one of them.
    """
    if not isinstance(payload, dict):
        raise MappingError("the payload must be a JSON object")
    ticket_id = _required("ticket_id", fields.ticket_id, payload)
    status = _required("status", fields.status, payload)
    found_user = _search(fields.user, payload)
    if not isinstance(found_user, dict):
        raise MappingError(f"missing field user (at '{fields.user}')")
    user = {str(k): str(v) for k, v in found_user.items() if _text(v) is not None}
    if len(user) != 1 or not set(user) <= set(USER_KEYS):
        raise MappingError(f"field user needs exactly one of {', '.join(USER_KEYS)} (at '{fields.user}')")
    return Extracted(
        ticket_id=ticket_id,
        status=status,
        resolved=status in resolved_statuses
        if resolved_statuses is not None
        else _search(fields.resolved, payload) is True,
        user=user,
        connection=_text(_search(fields.connection, payload)),
        ticket_url=_text(_search(fields.ticket_url, payload)),
        requested_by=_text(_search(fields.requested_by, payload)),
        reason=_text(_search(fields.reason, payload)),
        delivery_id=_text(_search(fields.delivery_id, payload)),
    )
