"""Freshservice / Freshdesk: the "Trigger webhook" action of an automation rule (docs/sources/freshservice.md).

No signature: the rule sends the secret either in a custom header ``X-Freshservice-Secret`` or as the
password of Basic authentication (``Authorization: Basic base64(user:secret)``; the user name is not
checked). Both are compared in constant time with every active secret. There is no delivery id; the
unlock function deduplicates on the business key.

The body is the recommended template (the same shape as Zendesk's). A ticket is resolved when its
status is 4 (Resolved) or 5 (Closed), as a number or a string, or the words Resolved / Closed the
``{{ticket.status}}`` placeholder renders.
"""

from __future__ import annotations

import base64
import binascii

from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.signatures import StaticSecretKind
from account_unlock.sources.templated import templated_ticket

AUTHORIZATION = "authorization"


def basic_password(authorization: str) -> str:
    """The password of an ``Authorization: Basic ...`` header."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("authorization is not Basic")
    try:
        user_password = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthorized("authorization is not valid Basic credentials") from None
    _, colon, password = user_password.partition(":")
    if not colon:
        raise Unauthorized("authorization is not valid Basic credentials")
    return password


class Freshservice(StaticSecretKind):
    kind = "freshservice"
    preset = templated_ticket(
        "contains(['4', '5', 'Resolved', 'Closed', 'resolved', 'closed'], to_string(ticket.status))"
    )
    secret_header = "x-freshservice-secret"  # noqa: S105 - a header name

    def offered_secret(self, delivery: Delivery) -> str:
        if self.secret_header in delivery.headers or AUTHORIZATION not in delivery.headers:
            return super().offered_secret(delivery)
        return basic_password(delivery.headers[AUTHORIZATION])
