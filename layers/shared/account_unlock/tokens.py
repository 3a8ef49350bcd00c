"""Access tokens cached per warm container until shortly before they expire."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from account_unlock.http import VendorHttp

EXPIRY_MARGIN_SECONDS = 60


class TokenCache:
    """Holds one bearer token; ``fetch`` returns ``(token, expires_in_seconds)``."""

    def __init__(self, fetch: Callable[[], tuple[str, float]]) -> None:
        self._fetch = fetch
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetches = 0

    def get(self) -> str:
        if self._token is None or time.monotonic() >= self._expires_at:
            token, expires_in = self._fetch()
            self.fetches += 1
            self._token = token
            self._expires_at = time.monotonic() + max(expires_in - EXPIRY_MARGIN_SECONDS, 0)
        return self._token

    def invalidate(self) -> None:
        self._token = None


def bearer_request(
    http: VendorHttp, tokens: TokenCache, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    """Send with the cached bearer token; on 401 refresh the token exactly once and send again."""

    def send() -> requests.Response:
        return http.request(
            method, url, headers={"Authorization": f"Bearer {tokens.get()}", **(headers or {})}, **kwargs
        )

    response = send()
    if response.status_code == 401:
        tokens.invalidate()
        response = send()
    return response
