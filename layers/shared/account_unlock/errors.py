"""Error types that carry a reason code.

A reason code is a short, stable, non-secret string ("user_not_found", "rate_limited", ...) that is
safe to log, to put in metrics dimensions and to publish on the bus. Messages never contain secret
values: they name fields, not their contents.
"""

from __future__ import annotations


class UnlockError(Exception):
    """An unlock that could not be completed."""

    retryable: bool = False
    vendor_code: str | None = None  # the vendor's own error code, when a connector needs to tell codes apart

    def __init__(self, reason: str, message: str, *, vendor_reference: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.vendor_reference = vendor_reference


class PermanentError(UnlockError):
    """Retrying cannot help (user not found, bad credentials, invalid input): record and stop."""


class TransientError(UnlockError):
    """The vendor may succeed later (rate limit, outage, timeout): retry, then dead-letter."""

    retryable = True

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        vendor_reference: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason, message, vendor_reference=vendor_reference)
        self.retry_after = retry_after
