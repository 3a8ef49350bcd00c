"""Credential checks shared by the source kinds, each written once.

- ``check_window``: the sender's timestamp lies within ``TIMESTAMP_TOLERANCE_SECONDS`` of receipt
  (Standard Webhooks, Zendesk).
- ``verify_hex_hmac``: a ``sha256=<hex>`` HMAC-SHA256 of the raw body (Jira admin webhooks, GitHub-style).
- ``verify_static``: a static secret sent as is (Jira Automation, ServiceNow, Freshservice).

Every check tries each active secret with ``hmac.compare_digest`` and fails closed: an empty
secret never verifies anything. ``HexHmacKind`` and ``StaticSecretKind`` are the source kinds
built on the last two, configured by their header names.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import ClassVar

from account_unlock.sources.base import TIMESTAMP_TOLERANCE_SECONDS, Delivery, SourceKind, Unauthorized


def raw(text: str) -> bytes:
    """UTF-8 bytes of any header value or secret (lone surrogates included), for constant-time comparison."""
    return text.encode("utf-8", "surrogatepass")


def active(secrets: Sequence[str]) -> list[bytes]:
    """The configured secrets that can verify something: never an empty one."""
    return [raw(secret) for secret in secrets if secret]


def check_window(sent_at: float, received_at: float, header: str) -> None:
    """Reject a timestamp further than the tolerance from the time of receipt, in either direction."""
    if not abs(received_at - sent_at) <= TIMESTAMP_TOLERANCE_SECONDS:  # also false for NaN and infinities
        raise Unauthorized(f"{header} is outside the tolerance")


def verify_hex_hmac(delivery: Delivery, header: str, secrets: Sequence[str]) -> None:
    """``header: sha256=<hex>`` must be the HMAC-SHA256 of the raw body under one of the secrets."""
    scheme, _, digest = delivery.header(header).strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        raise Unauthorized(f"{header} is not sha256=<hex>")
    offered = raw(digest.lower())
    for key in active(secrets):
        expected = hmac.new(key, delivery.body, hashlib.sha256).hexdigest().encode()
        if hmac.compare_digest(expected, offered):
            return
    raise Unauthorized("signature verification failed")


def verify_static(offered: str, secrets: Sequence[str]) -> None:
    """The static secret a sender presents must equal one of the active secrets."""
    candidate = raw(offered)
    if not any(hmac.compare_digest(key, candidate) for key in active(secrets)):
        raise Unauthorized("secret verification failed")


class HexHmacKind(SourceKind):
    """A sender that signs the raw body as ``sha256=<hex>`` and names each delivery in a header."""

    signature_header: ClassVar[str]
    delivery_header: ClassVar[str]

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        verify_hex_hmac(delivery, self.signature_header, secrets)
        return delivery.headers.get(self.delivery_header) or None


class StaticSecretKind(SourceKind):
    """A sender that presents a static secret in a header; it has no delivery id (dedupe on the business key)."""

    secret_header: ClassVar[str]

    def offered_secret(self, delivery: Delivery) -> str:
        return delivery.header(self.secret_header)

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        verify_static(self.offered_secret(delivery), secrets)
        return None
