from __future__ import annotations

import requests

from account_unlock.tokens import TokenCache, send_with_token


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


def response(status: int) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    return r


def test_401_refreshes_exactly_once():
    issued = iter(["old", "new", "newer"])
    cache = TokenCache(lambda: (next(issued), 3600))
    seen: list[str] = []

    def send(token: str) -> requests.Response:
        seen.append(token)
        return response(401)

    assert send_with_token(cache, send).status_code == 401
    assert seen == ["old", "new"]
