"""Credential checks shared by the source kinds, each written once.

- ``check_window``: the sender's timestamp lies within ``TIMESTAMP_TOLERANCE_SECONDS`` of receipt
  (Standard Webhooks, Zendesk, Gigya); ``check_recent``: a window longer into the past than into
  the future, for senders whose re-sends keep the original time (LoginRadius); ``check_body_time``:
  ``check_recent`` on a time inside a signed JSON body, over ``SIGNED_BODY_WINDOW_SECONDS`` (Jira,
  GitHub-style).
- ``verify_body_hmac``: an HMAC of the raw body, encoded the sender's way (GitHub/Jira
  ``sha256=<hex>``, LoginRadius uppercase hex SHA-256, Gigya base64 SHA-1 with a base64 key).
- ``verify_static``: a static secret sent as is (Jira Automation, ServiceNow, Freshservice, PingOne).
- ``epoch_seconds``: a timestamp found in a payload; ``body_digest``: a delivery id for senders
  that send none.

Every check tries each active secret with ``hmac.compare_digest`` and fails closed: an empty
secret never verifies anything. ``HexHmacKind`` and ``StaticSecretKind`` are the source kinds
built on them, configured by their header names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from account_unlock.sources.base import TIMESTAMP_TOLERANCE_SECONDS, Delivery, SourceKind, Unauthorized

Encoding = Literal["hex", "hex-upper", "base64"]
KeyFormat = Literal["utf-8", "base64"]

DOTNET_DATE = re.compile(r"^/Date\((-?\d{1,16})(?:[+-]\d{4})?\)/$")
MILLISECONDS_FROM = 10**11  # a unix time above this (year 5138 in seconds) is in milliseconds
# How far into the past a time signed inside a body may lie: a re-send carries the same signed bytes,
# so the original time (Jira retries for up to 30 minutes). Shorter than the webhook's delivery-id
# record (72 h), so every replay the window lets through is still recognised as a duplicate.
SIGNED_BODY_WINDOW_SECONDS = 48 * 3600


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


def check_recent(sent_at: float | None, received_at: float, field: str, *, past: float) -> None:
    """Reject a time more than ``past`` seconds before receipt, or further ahead than the clock-skew tolerance."""
    if sent_at is None or not math.isfinite(sent_at):
        raise Unauthorized(f"{field} is missing or not a time")
    if not -TIMESTAMP_TOLERANCE_SECONDS <= received_at - sent_at <= past:
        raise Unauthorized(f"{field} is outside the replay window")


def check_body_time(delivery: Delivery, field: str) -> None:
    """The top-level ``field`` of an authenticated JSON body, when it has one, lies in the replay window.

    Call it after the signature is verified: the time is signed with the body, so a captured delivery
    can neither lose nor change it. A body without it (or not a JSON object) is left to the mapping.
    """
    payload = delivery.json_object()
    if payload is None or field not in payload:
        return
    check_recent(epoch_seconds(payload.get(field)), delivery.received_at, field, past=SIGNED_BODY_WINDOW_SECONDS)


def hmac_key(secret: bytes, key_format: KeyFormat) -> bytes | None:
    """The HMAC key of a secret: its UTF-8 bytes, or its base64 decoding (None when not valid base64)."""
    if key_format == "utf-8":
        return secret or None
    try:
        return base64.b64decode(secret, validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _mac(key: bytes, body: bytes, digest: str, encoding: Encoding) -> bytes:
    mac = hmac.new(key, body, digest).digest()
    if encoding == "base64":
        return base64.b64encode(mac)
    return (mac.hex().upper() if encoding == "hex-upper" else mac.hex()).encode()


def verify_body_hmac(
    delivery: Delivery,
    header: str,
    secrets: Sequence[str],
    *,
    digest: str = "sha256",
    key_format: KeyFormat = "utf-8",
    encoding: Encoding = "hex",
    value: str | None = None,
) -> None:
    """The signature (``value``, else the ``header``) must be the HMAC of the raw body under one of
    the active secrets, compared in constant time. Hex is compared without regard to case.
    """
    offered = (value if value is not None else delivery.header(header)).strip()
    offered_bytes = raw(
        offered.upper() if encoding == "hex-upper" else offered.lower() if encoding == "hex" else offered
    )
    for secret in active(secrets):
        key = hmac_key(secret, key_format)
        if key is not None and hmac.compare_digest(_mac(key, delivery.body, digest, encoding), offered_bytes):
            return
    raise Unauthorized("signature verification failed")


def verify_hex_hmac(delivery: Delivery, header: str, secrets: Sequence[str]) -> None:
    """``header: sha256=<hex>`` must be the HMAC-SHA256 of the raw body under one of the secrets."""
    scheme, _, digest = delivery.header(header).strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        raise Unauthorized(f"{header} is not sha256=<hex>")
    verify_body_hmac(delivery, header, secrets, value=digest)


def verify_static(offered: str, secrets: Sequence[str]) -> None:
    """The static secret a sender presents must equal one of the active secrets."""
    candidate = raw(offered)
    if not any(hmac.compare_digest(key, candidate) for key in active(secrets)):
        raise Unauthorized("secret verification failed")


def epoch_seconds(value: Any) -> float | None:
    """A payload timestamp as unix seconds; None when it is not a finite, recognisable time.

    Accepts a number (seconds, or milliseconds when larger than ``MILLISECONDS_FROM``), a string of
    digits, an ISO 8601 string (no zone means UTC) and the .NET ``/Date(ms)/`` form.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        dotnet = DOTNET_DATE.fullmatch(text)
        if dotnet:
            return int(dotnet.group(1)) / 1000
        if not (text.isascii() and text.isdigit() and len(text) <= 16):
            return _iso_seconds(text)
        value = int(text)
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value / 1000 if abs(value) > MILLISECONDS_FROM else float(value)


def _iso_seconds(text: str) -> float | None:
    if not text.isascii() or len(text) > 64:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def body_digest(body: bytes) -> str:
    """A delivery id for senders that send none: the SHA-256 of the raw body (a re-send sends the same bytes)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


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
