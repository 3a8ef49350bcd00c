from __future__ import annotations

import requests

from account_unlock.tokens import TokenCache, bearer_request


def test_token_is_fetched_once_until_it_expires(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("account_unlock.tokens.time.monotonic", lambda: now[0])
    issued = iter(["t1", "t2"])
    cache = TokenCache(lambda: (next(issued), 3600))

    assert cache.get() == "t1"
    now[0] += 3600 - 61
    assert cache.get() == "t1"
    now[0] += 2  # inside the 60 s safety margin
    assert cache.get() == "t2"
    assert cache.fetches == 2


class RecordingHttp:
    """Stands in for VendorHttp: answers 401 and records the bearer tokens it was sent."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def request(self, method: str, url: str, *, headers: dict[str, str], **kwargs: object) -> requests.Response:
        self.seen.append(headers["Authorization"])
        answer = requests.Response()
        answer.status_code = 401
        return answer


def test_401_refreshes_exactly_once():
    issued = iter(["old", "new", "newer"])
    cache = TokenCache(lambda: (next(issued), 3600))
    http = RecordingHttp()

    assert bearer_request(http, cache, "GET", "https://x", headers={"Accept": "a"}).status_code == 401  # type: ignore[arg-type]
    assert http.seen == ["Bearer old", "Bearer new"]
