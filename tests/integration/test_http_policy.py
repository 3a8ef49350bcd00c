"""The shared HTTP policy against a real socket: Retry-After, bounded waits, the time budget."""

from __future__ import annotations

import socket

import pytest

from account_unlock import http
from account_unlock.errors import TransientError
from account_unlock.http import VendorHttp
from local.simulators.base import Reply, Simulator

pytestmark = pytest.mark.integration


class Echo(Simulator):
    name = "echo"
    routes = [("GET", r"/ok", "ok")]  # noqa: RUF012

    def ok(self, request):
        return Reply(200, {"ok": True})


@pytest.fixture
def echo():
    server = Echo().start()
    http.environment_settings.cache_clear()
    yield server
    server.stop()
    http.budget.stop()
    http.environment_settings.cache_clear()


def test_retry_after_is_honoured_then_success(echo):
    echo.fail(429, {"message": "slow down"}, headers={"Retry-After": "1"}, times=2)
    response = VendorHttp("echo").request("GET", f"{echo.url}/ok")
    assert response.status_code == 200
    assert [r.status for r in echo.requests] == [429, 429, 200]


def test_retry_after_longer_than_the_cap_is_not_waited_for(echo):
    echo.fail(429, {"message": "slow down"}, headers={"Retry-After": "120"})
    response = VendorHttp("echo", max_retry_after=10).request("GET", f"{echo.url}/ok")
    assert response.status_code == 429
    assert len(echo.requests) == 1


def test_no_retry_starts_past_the_time_budget(echo):
    echo.fail(503, {}, headers={"Retry-After": "2"}, times=5)
    http.budget.start(1.0)
    response = VendorHttp("echo").request("GET", f"{echo.url}/ok")
    assert response.status_code == 503
    assert len(echo.requests) == 1


def test_exhausted_budget_raises_before_sending(echo):
    http.budget.start(-1)
    with pytest.raises(TransientError) as raised:
        VendorHttp("echo").request("GET", f"{echo.url}/ok")
    assert raised.value.reason == "vendor_timeout"
    assert echo.requests == []


def test_slow_vendor_times_out_as_transient(echo):
    echo.delay(2.0, times=5)
    with pytest.raises(TransientError) as raised:
        VendorHttp("echo", read_timeout=0.3, retries=1, backoff_factor=0).request("GET", f"{echo.url}/ok")
    assert raised.value.reason in {"vendor_timeout", "vendor_unavailable"}


def test_redirects_are_not_followed(echo):
    echo.fail(302, {}, headers={"Location": "https://attacker.example/steal"})
    assert VendorHttp("echo").request("GET", f"{echo.url}/ok").status_code == 302
    assert len(echo.requests) == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_proxy_in_the_environment_is_used_and_no_proxy_is_honoured(echo, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(TransientError) as raised:
        VendorHttp("echo", retries=0).request("GET", f"{echo.url}/ok")
    assert raised.value.reason == "vendor_unavailable"
    assert echo.requests == []

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    http.environment_settings.cache_clear()  # read once per origin: a container's environment is fixed
    assert VendorHttp("echo", retries=0).request("GET", f"{echo.url}/ok").status_code == 200


def test_a_ca_bundle_in_the_environment_is_the_one_verified_against(monkeypatch, tmp_path):
    bundle = tmp_path / "corporate-ca.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    http.environment_settings.cache_clear()
    assert http.environment_settings("https://api.pingone.com")["verify"] == str(bundle)
    http.environment_settings.cache_clear()


def test_credentials_in_a_netrc_file_are_never_sent(echo, monkeypatch, tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-for-vendors\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))

    VendorHttp("echo").request("GET", f"{echo.url}/ok", headers={"Authorization": "Bearer connection-token"})

    assert echo.requests[0].header("authorization") == "Bearer connection-token"
