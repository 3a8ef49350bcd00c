"""The public keys a Gigya site signs its webhook JWTs with, fetched from ``accounts.getJWTPublicKey``.

- The method is public: it needs only the site's ``apiKey`` ("accounts.getJWTPublicKey REST",
  https://developers.gigya.com/display/GD/accounts.getJWTPublicKey+REST). SAP's own SDK calls it with
  ``V2=true`` and picks, in the answer's ``keys`` (JWKs: ``kty``, ``kid``, ``n``, ``e``), the key whose
  ``kid`` the token names (SAP/gigya-java-sdk, ``GSAuthRequestUtils.fetchPublicJWK``,
  https://github.com/SAP/gigya-java-sdk/blob/main/auth/src/main/java/com/gigya/auth/GSAuthRequestUtils.java).
  Only RSA keys for RS256 signatures are kept; a JWK with private parts is ignored.
- Keys are kept per site for the warm container. A kid not in the cache fetches the site's keys
  again (key rotation), at most once per ``REFETCH_INTERVAL_SECONDS`` per site, so forged kids
  cannot make the webhook call Gigya on every request; within that interval an unknown kid is
  simply unknown.
- This runs on the webhook path, which must answer fast: short timeouts, one retry, all within the
  time budget the webhook handler starts for the invocation (``webhook.time_budget``). When the keys cannot be had (Gigya down, an error answer) the fetch raises
  ``TransientError``, which the webhook answers 503 + Retry-After; for the interval after a failed
  fetch it answers so at once, without calling Gigya again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from account_unlock.errors import TransientError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    from account_unlock.http import VendorHttp

METHOD = "accounts.getJWTPublicKey"
REFETCH_INTERVAL_SECONDS = 60.0


@dataclass
class SiteKeys:
    keys: dict[str, RSAPublicKey] = field(default_factory=dict)
    fetched_at: float = -math.inf  # monotonic time of the last fetch attempt
    available: bool = True  # whether that attempt succeeded


class KeyCache:
    """Public keys by site (``accounts.getJWTPublicKey`` endpoint and API key), then by kid."""

    def __init__(
        self,
        new_http: Callable[[], VendorHttp],
        *,
        clock: Callable[[], float] = time.monotonic,
        refetch_interval: float = REFETCH_INTERVAL_SECONDS,
    ) -> None:
        self.new_http = new_http
        self.http: VendorHttp | None = None  # made on the first fetch
        self.clock = clock
        self.refetch_interval = refetch_interval
        self.sites: dict[tuple[str, str], SiteKeys] = {}

    def key(self, endpoint: str, api_key: str, kid: str) -> RSAPublicKey | None:
        """The site's key ``kid``; None when the site has no such key. ``TransientError`` when unavailable."""
        site = self.sites.setdefault((endpoint, api_key), SiteKeys())
        if kid in site.keys:
            return site.keys[kid]
        if self.clock() - site.fetched_at < self.refetch_interval:
            if not site.available:
                raise TransientError("vendor_unavailable", "gigya: the site's signing keys are unavailable")
            return None
        site.fetched_at, site.available = self.clock(), False
        self.http = self.http or self.new_http()
        site.keys = fetch_keys(self.http, endpoint, api_key)
        site.available = True
        return site.keys.get(kid)

    def clear(self) -> None:
        self.sites.clear()


def fetch_keys(http: VendorHttp, endpoint: str, api_key: str) -> dict[str, RSAPublicKey]:
    """The site's RS256 public keys by kid; ``TransientError`` when Gigya gives none."""
    from account_unlock.http import json_body  # requests is imported with the first fetch, not with the webhook

    response = http.request("GET", endpoint, params={"apiKey": api_key, "V2": "true", "format": "json"})
    body = json_body(response)
    code = body.get("errorCode")
    if response.status_code != 200 or code != 0 or isinstance(code, bool):
        raise TransientError(
            "vendor_unavailable", f"gigya {METHOD} answered HTTP {response.status_code}, errorCode {code}"
        )
    listed = body.get("keys")
    found = [rsa_key(jwk) for jwk in listed] if isinstance(listed, list) else []
    keys = dict(pair for pair in found if pair)
    if not keys:
        raise TransientError("vendor_unavailable", f"gigya {METHOD} answered no RS256 key")
    return keys


def rsa_key(jwk: Any) -> tuple[str, RSAPublicKey] | None:
    """``(kid, key)`` of a public RSA signing JWK for RS256; None for anything else."""
    # Loaded with the first key, not at every cold start of the webhook function.
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from jwt import InvalidKeyError
    from jwt.algorithms import RSAAlgorithm

    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        return None
    if jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
        return None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        return None
    try:
        key = RSAAlgorithm.from_jwk(jwk)
    except (InvalidKeyError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return (kid, key) if isinstance(key, RSAPublicKey) else None


def gigya_http() -> VendorHttp:
    from account_unlock.http import VendorHttp

    return VendorHttp(
        "gigya", connect_timeout=1.0, read_timeout=1.5, retries=1, backoff_factor=0.2, max_retry_after=1.0
    )


SITE_KEYS = KeyCache(gigya_http)
