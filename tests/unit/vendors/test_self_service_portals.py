"""Self-service behind a small protocol: the flow names no vendor, a vendor's portal is an addition."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import SecretStr

from account_unlock import attempts, connections, self_service
from account_unlock.config import function_settings
from account_unlock.http import VendorHttp
from account_unlock.vendors import SELF_SERVICE
from account_unlock.vendors.base import ChallengeAnswers, VendorResult, parse_config
from account_unlock.vendors.loginradius import LoginRadiusConfig, LoginRadiusConnector
from account_unlock.vendors.loginradius_portal import LoginRadiusPortal

LOGINRADIUS = {"vendor": "loginradius", "api_key": "k", "api_secret": "s"}


class AcmePortal:
    """A second vendor's self-service unlock: nothing but the protocol."""

    vendor = "acme"
    enabled = True
    requires_password = False

    def __init__(self, secret: Mapping[str, Any]) -> None:
        self.secret = secret

    def verify_password(self, token: SecretStr, password: SecretStr) -> None:
        raise AssertionError("not asked for")

    def unlock_with_token(self, token: SecretStr, answers: ChallengeAnswers) -> VendorResult:
        return VendorResult(actions=["acme.unlock"])


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Connection secrets by name, instead of Secrets Manager; the registry's caches start empty."""
    stored: dict[str, dict[str, Any]] = {}

    def load(kind: str, name: str) -> dict[str, Any]:
        return stored[name]

    monkeypatch.setattr(connections, "load_secret", load)
    monkeypatch.setattr(connections, "_self_service", {})
    monkeypatch.setattr(connections, "_connectors", {})
    return stored


def test_the_self_service_flow_imports_no_vendor_module():
    tree = ast.parse(inspect.getsource(self_service))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert {name for name in imported if name.startswith("account_unlock.vendors")} == {"account_unlock.vendors.base"}


def test_a_second_vendor_s_self_service_is_one_registry_entry(secrets, monkeypatch):
    monkeypatch.setitem(SELF_SERVICE, "acme", AcmePortal)
    secrets["acme-portal"] = {"vendor": "acme"}
    portal = self_service.self_service_portal("acme-portal")
    assert isinstance(portal, AcmePortal)
    assert self_service.self_service_portal("acme-portal") is portal  # kept warm until the secret changes


def test_a_loginradius_connection_gets_the_loginradius_portal_only_when_it_opted_in(secrets):
    secrets["lr-on"] = LOGINRADIUS | {"self_service_enabled": True}
    secrets["lr-off"] = LOGINRADIUS
    assert isinstance(self_service.self_service_portal("lr-on"), LoginRadiusPortal)
    with pytest.raises(LookupError):
        self_service.self_service_portal("lr-off")


def test_a_vendor_without_self_service_is_an_unknown_connection_not_an_error(secrets, caplog):
    secrets["pingone"] = {"vendor": "pingone"}
    secrets["junk"] = {"vendor": "no-such-vendor"}
    with pytest.raises(LookupError):
        self_service.self_service_portal("pingone")
    assert "connection is not usable" not in caplog.text
    with pytest.raises(LookupError):
        self_service.self_service_portal("junk")
    assert "connection is not usable" in caplog.text  # a broken secret is still logged as one


def test_the_unlock_function_s_connector_carries_one_session_only():
    connector = LoginRadiusConnector(parse_config(LoginRadiusConfig, LOGINRADIUS))
    sessions = [value for value in vars(connector).values() if isinstance(value, VendorHttp)]
    assert sessions == [connector.http]


def test_the_self_service_settings_are_read_once_per_container(monkeypatch):
    monkeypatch.setenv("SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN", "7")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://portal.example.com")
    function_settings.cache_clear()
    try:
        first = (attempts.limits(), self_service.allowed_origins())
        monkeypatch.setenv("SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN", "8")
        monkeypatch.setenv("ALLOWED_ORIGINS", "https://other.example.com")
        assert (attempts.limits(), self_service.allowed_origins()) == first
        assert first[0].per_token == 7
        assert first[1] == ["https://portal.example.com"]
    finally:
        function_settings.cache_clear()
