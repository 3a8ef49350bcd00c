"""What both HTTP edges (the webhook and the self-service API) share: the answer, the raw body, a
one-off metric and the field names of a validation error."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from pydantic import ValidationError


@dataclass
class Answer:
    """An HTTP answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class InvalidBase64(ValueError):
    """API Gateway marked the body base64-encoded, but it is not valid base64."""


def decode_body(body: str | None, is_base64_encoded: bool | None) -> bytes:
    """The raw request body as API Gateway passed it (base64 when it says so)."""
    text = body or ""
    if not is_base64_encoded:
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidBase64("body is not valid base64") from None


def count(metric: str, **dimensions: str) -> None:
    """Count one ``metric`` with its own dimensions, flushed at once (not with the invocation's metrics)."""
    with single_metric(name=metric, unit=MetricUnit.Count, value=1, default_dimensions=dimensions):
        pass


def field_names(error: ValidationError, whole: str = "", *, with_kind: bool = False) -> list[str]:
    """The dotted names of the invalid fields, sorted, never their values.

    ``whole`` names a problem of the whole object (no location); ``with_kind`` adds each problem's
    type, as in ``user.email (missing)``.
    """
    names = set()
    for problem in error.errors(include_input=False, include_url=False, include_context=False):
        name = ".".join(str(part) for part in problem["loc"]) or whole
        names.add(f"{name} ({problem['type']})" if with_kind else name)
    return sorted(names)
