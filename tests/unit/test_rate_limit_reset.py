"""``VendorHttp(reset_header=…)``: a 429 that announces when its window resets (Auth0's
``x-ratelimit-reset``, "Rate Limit Policy") is waited for like a ``Retry-After``, under the same bound."""

from __future__ import annotations

import time

import pytest
from urllib3.response import HTTPResponse

from account_unlock.http import VendorHttp, VendorRetry, seconds_until

RESET = "x-ratelimit-reset"


def retry_of(http: VendorHttp) -> VendorRetry:
    return http.session.get_adapter("https://").max_retries  # type: ignore[attr-defined, no-any-return]


def answer(status: int, **headers: str) -> HTTPResponse:
    return HTTPResponse(status=status, headers=headers)


def test_a_429_waits_until_the_reset_time():
    retry = retry_of(VendorHttp("auth0", reset_header=RESET))
    wait = retry.get_retry_after(answer(429, **{RESET: str(int(time.time()) + 5)}))
    assert wait is not None
    assert 3 < wait <= 5


def test_retry_after_wins_and_other_statuses_or_vendors_ignore_the_reset():
    reset = {RESET: str(int(time.time()) + 5)}
    assert (
        retry_of(VendorHttp("auth0", reset_header=RESET)).get_retry_after(answer(429, **reset, **{"Retry-After": "2"}))
        == 2
    )
    assert retry_of(VendorHttp("auth0", reset_header=RESET)).get_retry_after(answer(503, **reset)) is None
    assert retry_of(VendorHttp("pingone")).get_retry_after(answer(429, **reset)) is None


def test_the_reset_header_survives_each_retry_of_the_policy():
    retry = retry_of(VendorHttp("auth0", reset_header=RESET)).new(total=1)
    assert retry.reset_header == RESET
    assert retry.max_retry_after == 10.0


@pytest.mark.parametrize(("value", "expected"), [("1", 0.0), ("", None), ("soon", None), ("-5", None), ("1e9", None)])
def test_seconds_until_a_past_or_unreadable_time(value, expected):
    assert seconds_until(value) == expected
