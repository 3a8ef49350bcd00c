"""Checks for identifiers before they go into a vendor URL.

Every identifier is validated against the vendor's format *and* percent-encoded, so that a value
such as ``../../x`` can never reach another path. A bad identifier is a permanent failure raised
before any request is sent.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from account_unlock.errors import PermanentError

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
# Values that go inside a vendor filter expression or query string: no quotes, backslashes or controls.
FILTER_VALUE = re.compile(r'^[^"\\\x00-\x1f\x7f]{1,256}$')
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def path_segment(value: str, pattern: re.Pattern[str], field: str) -> str:
    """Return ``value`` percent-encoded for a URL path after checking it matches ``pattern``."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise PermanentError("invalid_identifier", f"{field} is not a valid identifier for this vendor")
    return quote(value, safe="")


def filter_value(value: str, field: str) -> str:
    """Return ``value`` if it is safe inside a quoted filter expression."""
    if not isinstance(value, str) or not FILTER_VALUE.fullmatch(value):
        raise PermanentError("invalid_identifier", f"{field} contains characters that are not allowed")
    return value


def secure_base_url(url: str, field: str) -> str:
    """Accept https URLs, and plain http only on loopback (local simulators).

    Credentials are sent to these URLs, so anything else is a configuration error.
    """
    parts = urlsplit(url)
    if not parts.hostname or parts.query or parts.fragment:
        raise PermanentError("config_invalid", f"connection field {field} is not a valid base URL")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return url.rstrip("/")
    raise PermanentError("config_invalid", f"connection field {field} must use https")


def api_root(url: str, field: str, suffix: str) -> str:
    """``secure_base_url`` ending in the vendor's API ``suffix`` (``/v1``) whether or not it was given."""
    root = secure_base_url(url, field)
    return root if root.endswith(suffix) else root + suffix
