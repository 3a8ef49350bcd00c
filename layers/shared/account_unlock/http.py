"""The one HTTP policy every vendor connector uses.

- explicit connect/read timeouts on every request, no redirects (credentials never follow one);
- urllib3 ``Retry`` with exponential backoff on 408/429/5xx and connection errors, honouring
  ``Retry-After`` up to ``max_retry_after`` seconds; for a vendor that announces the end of its
  rate-limit window instead (``reset_header``: a UNIX time in seconds, Auth0's ``x-ratelimit-reset``),
  the wait until that time, under the same bound;
- a vendor *write* (``write=True``) is retried in-process only when the vendor cannot have acted on
  it: a 429 (or a 503 carrying ``Retry-After``: refused before processing) or a connection that was
  never established. After another 5xx or a
  read timeout the write may have happened, so it is raised as transient; the retry of the whole
  request reads the vendor's state (and the recorded steps) before writing again;
- a per-invocation time budget: no retry starts if its wait would overrun the Lambda's remaining
  time. What cannot be retried in time is raised as a ``TransientError`` so that Lambda's async
  retries, and after them the dead-letter queue, take over;
- the environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``) is read once per vendor
  origin, not on every request as ``requests`` does (a container's environment does not change, and
  reading it was about a quarter of a request's CPU); ``~/.netrc`` is never read: a vendor request
  carries only its connection's credentials.
"""

from __future__ import annotations

import time
from functools import cache
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import RetryError
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from account_unlock import USER_AGENT
from account_unlock.budgets import vendor_budget as budget
from account_unlock.errors import PermanentError, TransientError, UnlockError

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
WRITE_RETRY_STATUSES = frozenset({429})


class VendorRetry(Retry):
    """``Retry`` that gives up instead of waiting past ``max_retry_after`` or the time budget."""

    max_retry_after: float = 10.0
    reset_header: str | None = None  # a header holding the UNIX time the rate-limit window ends

    @classmethod
    def policy(
        cls,
        *,
        total: int,
        backoff_factor: float,
        max_retry_after: float,
        statuses: frozenset[int],
        read: int | None,
        reset_header: str | None = None,
    ) -> VendorRetry:
        retry = cls(
            total=total,
            read=read,
            backoff_factor=backoff_factor,
            backoff_max=8,
            status_forcelist=statuses,
            allowed_methods=None,  # every method; what a write may retry is limited by statuses and read
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.max_retry_after = max_retry_after
        retry.reset_header = reset_header
        return retry

    def new(self, **kw: Any) -> VendorRetry:
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        retry.reset_header = self.reset_header
        return retry

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """``Retry-After`` when present, else the wait until ``reset_header``'s time (on a 429 only)."""
        wait = super().get_retry_after(response)
        if wait is None and self.reset_header and response.status == 429:
            wait = seconds_until(response.headers.get(self.reset_header))
        return wait

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = retry.get_backoff_time()
        if wait > self.max_retry_after or wait >= budget.remaining():
            reason = error or ResponseError("retry would overrun the time budget")
            raise MaxRetryError(_pool, url, reason)  # type: ignore[arg-type]  # as urllib3's own increment does
        return retry


class VendorHttp:
    """A ``requests`` session per connector, kept for the life of the warm container."""

    def __init__(
        self,
        vendor: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retries: int = 3,
        backoff_factor: float = 0.5,
        max_retry_after: float = 10.0,
        reset_header: str | None = None,
    ) -> None:
        self.vendor = vendor
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

        def policy(statuses: frozenset[int], read: int | None) -> VendorRetry:
            return VendorRetry.policy(
                total=retries,
                backoff_factor=backoff_factor,
                max_retry_after=max_retry_after,
                statuses=statuses,
                read=read,
                reset_header=reset_header,
            )

        # Reads and token requests: every method is retried on the retryable statuses and errors.
        self.session = retrying_session(policy(RETRY_STATUSES, read=None))
        # Writes: only a 429 and connection errors (no read retries: the request may have been processed).
        self.write_session = retrying_session(policy(WRITE_RETRY_STATUSES, read=0))

    def request(self, method: str, url: str, *, write: bool = False, **kwargs: Any) -> requests.Response:
        """Send one request under the policy; network failures become ``TransientError``.

        ``write`` marks a request that changes the vendor's state (an unlock): see the module's docstring.
        """
        remaining = budget.remaining()
        if remaining <= 0:
            raise TransientError("vendor_timeout", f"{self.vendor}: no time left for another call")
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        try:
            session = self.write_session if write else self.session
            settings = environment_settings(origin(url))
            return session.request(method, url, timeout=timeout, allow_redirects=False, **settings, **kwargs)
        except (
            requests.exceptions.InvalidURL,  # InvalidProxyURL too
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
        ):  # raised before anything is sent: no retry can fix the connection's URL or a header
            raise PermanentError(
                "config_invalid", f"{self.vendor}: the request URL or a header is not valid (check the connection)"
            ) from None
        except requests.Timeout:
            raise TransientError("vendor_timeout", f"{self.vendor} did not answer in time") from None
        except (requests.ConnectionError, RetryError) as exc:
            if answer_timed_out(exc):  # a write's read timeout, which its policy does not retry
                raise TransientError("vendor_timeout", f"{self.vendor} did not answer in time") from None
            raise TransientError("vendor_unavailable", f"{self.vendor} could not be reached") from None


def answer_timed_out(exc: requests.RequestException) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@cache
def environment_settings(origin: str) -> dict[str, Any]:
    """The proxies and CA bundle that ``requests`` takes from the environment for ``origin``, read once."""
    settings = requests.Session().merge_environment_settings(origin, {}, None, None, None)
    return {"proxies": settings["proxies"], "verify": settings["verify"]}


def retrying_session(retry: VendorRetry) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # the environment is read once per origin (environment_settings); no .netrc
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def seconds_until(reset: str | None) -> float | None:
    """The seconds from now to a UNIX time given as digits (0 once it has passed); None when it is not one."""
    if not reset or not reset.isascii() or not reset.isdigit() or len(reset) > 12:
        return None
    return max(float(reset) - time.time(), 0.0)


def classify_status(response: requests.Response, vendor: str, detail: str) -> UnlockError:
    """Default mapping of an unsuccessful HTTP status to a reason; vendors refine it from bodies."""
    status = response.status_code
    message = f"{vendor} answered HTTP {status}: {detail}"
    if status == 429:
        return TransientError("rate_limited", message, retry_after=retry_after(response))
    if status in RETRY_STATUSES or status >= 500:
        return TransientError("vendor_unavailable", message, retry_after=retry_after(response))
    if status == 401:
        return PermanentError("bad_credentials", message)
    if status == 403:
        return PermanentError("forbidden", message)
    if status == 404:
        return PermanentError("user_not_found", message)
    return PermanentError("bad_request", message)


def json_body(response: requests.Response) -> dict[str, Any]:
    """The response's JSON object, or ``{}`` when the body is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
