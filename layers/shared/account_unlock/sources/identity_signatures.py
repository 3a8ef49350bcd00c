"""Checks the identity-event source kinds need beyond ``signatures.py`` (which they also use).

- ``hmac_signature`` / ``verify_body_hmac``: an HMAC of the raw body, encoded the sender's way,
  compared in constant time against every active secret. LoginRadius: uppercase hex SHA-256 keyed
  with the secret's UTF-8 bytes; Gigya: base64 SHA-1 keyed with the base64-decoded secret.
  (``signatures.verify_hex_hmac`` is the ``sha256=<lower hex>`` scheme and does not fit either.)
- ``epoch_seconds``: a timestamp found *in the payload* (unix seconds or milliseconds, ISO 8601,
  .NET ``/Date(ms)/``) as unix seconds, or None.
- ``check_recent``: a window that is longer into the past than into the future, for senders whose
  re-sends keep the original time (``signatures.check_window`` is the symmetric ±5 min one).
- ``body_digest``: a delivery id for senders that send none.
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
from typing import Any, Literal

from account_unlock.sources.base import TIMESTAMP_TOLERANCE_SECONDS, Delivery, Unauthorized
from account_unlock.sources.signatures import active, raw

Encoding = Literal["hex-upper", "base64"]
KeyFormat = Literal["utf-8", "base64"]

DOTNET_DATE = re.compile(r"^/Date\((-?\d{1,16})(?:[+-]\d{4})?\)/$")
MILLISECONDS_FROM = 10**11  # a unix time above this (year 5138 in seconds) is in milliseconds


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
    return mac.hex().upper().encode() if encoding == "hex-upper" else base64.b64encode(mac)


def hmac_signature(secret: str, body: bytes, *, digest: str, key_format: KeyFormat, encoding: Encoding) -> str:
    """The signature a sender puts in its header for ``body``; "" when the secret cannot sign."""
    key = hmac_key(raw(secret), key_format)
    return "" if key is None else _mac(key, body, digest, encoding).decode()


def verify_body_hmac(
    delivery: Delivery, header: str, secrets: Sequence[str], *, digest: str, key_format: KeyFormat, encoding: Encoding
) -> None:
    """``header`` must be the HMAC of the raw body under one of the active secrets (constant-time).

    Hex is compared without regard to case: the letters' case carries no information.
    """
    value = delivery.header(header).strip()
    offered = raw(value.upper() if encoding == "hex-upper" else value)
    for secret in active(secrets):
        key = hmac_key(secret, key_format)
        if key is not None and hmac.compare_digest(_mac(key, delivery.body, digest, encoding), offered):
            return
    raise Unauthorized("signature verification failed")


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


def check_recent(sent_at: float | None, received_at: float, field: str, *, past: float) -> None:
    """Reject a time more than ``past`` seconds before receipt, or further ahead than the clock-skew tolerance."""
    if sent_at is None or not math.isfinite(sent_at):
        raise Unauthorized(f"{field} is missing or not a time")
    if not -TIMESTAMP_TOLERANCE_SECONDS <= received_at - sent_at <= past:
        raise Unauthorized(f"{field} is outside the replay window")


def body_digest(body: bytes) -> str:
    """A delivery id for senders that send none: the SHA-256 of the raw body (a re-send sends the same bytes)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
