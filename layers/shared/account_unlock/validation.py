"""Checks for identifiers before they go into a vendor URL.

Every identifier is validated against the vendor's format *and* percent-encoded, so that a value
such as ``../../x`` can never reach another path. A bad identifier is a permanent failure raised
before any request is sent.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from account_unlock.errors import PermanentError

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
# Values that go inside a vendor filter expression or query string: no quotes or backslashes (and
# nothing ``plain_text`` refuses).
FILTER_VALUE = re.compile(r'^[^"\\]{1,256}$')
# Unicode categories never allowed in an identifier: controls (C0, DEL, C1), format characters
# (bidi overrides and isolates, zero-width characters, soft hyphen, BOM, tag characters),
# surrogates, private use, and the line and paragraph separators (U+2028, U+2029).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# A base URL is printable ASCII; a backslash, query or fragment has no place in one.
BASE_URL = re.compile(r"^[\x21-\x7e]+$")
BASE_URL_REFUSED = frozenset("\\?#")
# Hosts as urllib3's parser spells them (an IPv6 address keeps its brackets).
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def plain_text(value: str) -> bool:
    """Whether ``value`` has no control, invisible-format or separator character (see ``REFUSED_CATEGORIES``).

    Printable ASCII (the usual identifier) has none, and is told at once without a look-up per character.
    """
    if value.isascii() and value.isprintable():
        return True
    return not any(unicodedata.category(char) in REFUSED_CATEGORIES for char in value)


def path_segment(value: str, pattern: re.Pattern[str], field: str) -> str:
    """Return ``value`` percent-encoded for a URL path after checking it matches ``pattern``."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise PermanentError("invalid_identifier", f"{field} is not a valid identifier for this vendor")
    return quote(value, safe="")


def filter_value(value: str, field: str) -> str:
    """Return ``value`` if it is safe inside a quoted filter expression."""
    if not isinstance(value, str) or not FILTER_VALUE.fullmatch(value) or not plain_text(value):
        raise PermanentError("invalid_identifier", f"{field} contains characters that are not allowed")
    return value


def secure_base_url(url: str, field: str) -> str:
    """Accept https URLs, and plain http only on loopback (local simulators).

    Credentials are sent to these URLs, so anything else is a configuration error. The URL is read
    with urllib3's ``parse_url``, the parser ``requests`` sends with, so the host checked here is the
    host connected to; user-info, a backslash, a query, a fragment and a port outside 1-65535 are
    refused (another parser could see another host in them).
    """
    invalid = PermanentError("config_invalid", f"connection field {field} is not a valid base URL")
    if not isinstance(url, str) or not BASE_URL.fullmatch(url) or BASE_URL_REFUSED & set(url):
        raise invalid
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise invalid from None
    if not parts.host or parts.auth is not None or parts.port == 0:
        raise invalid
    if parts.host.startswith(".") or ".." in parts.host:  # an empty label: no host requests connects to
        raise invalid
    if parts.scheme == "https" or (parts.scheme == "http" and parts.host in LOOPBACK_HOSTS):
        return url.rstrip("/")
    raise PermanentError("config_invalid", f"connection field {field} must use https")


def api_root(url: str, field: str, suffix: str) -> str:
    """``secure_base_url`` ending in the vendor's API ``suffix`` (``/v1``) whether or not it was given."""
    root = secure_base_url(url, field)
    return root if root.endswith(suffix) else root + suffix
