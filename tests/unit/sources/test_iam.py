"""The IAM-authorised route: source configuration, the allow-list, the routing rule and the handler's reading."""

from __future__ import annotations

import importlib.util
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from account_unlock.sources.base import Delivery, SourceConfig, Unauthorized
from account_unlock.sources.servicenow import ServiceNow
from account_unlock.webhook import Answer, authenticate
from local.lambda_context import LocalContext
from local.senders import SERVICENOW_SECRET, servicenow_headers
from local.stack import api_gateway_event
from local.template import ROOT

USER = "arn:aws:iam::123456789012:user/servicenow-integrationhub"
ROLE_SESSIONS = "arn:aws:sts::123456789012:assumed-role/servicenow-unlock/*"
KIND = ServiceNow()


def config(**fields: Any) -> SourceConfig:
    return SourceConfig.model_validate({"kind": "servicenow", "connections": ["sailpoint-isc"]} | fields)


def delivery(principal: str | None, headers: dict[str, str] | None = None) -> Delivery:
    return Delivery("sn", headers or {}, b"{}", 0.0, principal)


# configuration ---------------------------------------------------------------------------------
def test_a_secret_source_needs_a_secret_and_no_principals():
    with pytest.raises(ValidationError, match="at least one secret"):
        config()
    with pytest.raises(ValidationError, match="iam_principals"):
        config(secrets=["s"], iam_principals=[USER])
    assert config(secrets=["s"]).auth == "secret"


def test_an_iam_source_needs_principals_and_may_have_no_secret():
    with pytest.raises(ValidationError, match="iam_principals"):
        config(auth="iam")
    assert config(auth="iam", iam_principals=[USER]).secrets == []


@pytest.mark.parametrize(
    "principal",
    ["*", "arn:aws:iam::123456789012:*", "arn:aws:iam::12345:user/x", "user/x", "arn:aws:s3:::bucket", ""],
)
def test_principals_must_be_iam_or_sts_arns(principal):
    with pytest.raises(ValidationError):
        config(auth="iam", iam_principals=[principal])


def test_an_unknown_auth_is_invalid():
    with pytest.raises(ValidationError):
        config(auth="none", secrets=["s"])


# the allow-list --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (USER, True),
        (USER + "-2", False),
        (USER.upper(), False),
        ("arn:aws:sts::123456789012:assumed-role/servicenow-unlock/sn-session-1", True),
        ("arn:aws:sts::123456789012:assumed-role/servicenow-unlock/", False),
        ("arn:aws:sts::123456789012:assumed-role/servicenow-unlock/a/b", False),
        ("arn:aws:sts::123456789012:assumed-role/servicenow-unlock-evil/s", False),
        ("arn:aws:sts::999999999999:assumed-role/servicenow-unlock/s", False),
        ("", False),
    ],
)
def test_callers_are_allowed_exactly_or_as_a_session_of_an_allowed_role(principal, allowed):
    assert config(auth="iam", iam_principals=[USER, ROLE_SESSIONS]).allows_principal(principal) is allowed


SESSION_PREFIX = ROLE_SESSIONS.removesuffix("*")


@given(principal=st.text(max_size=80) | st.text(max_size=20).map(SESSION_PREFIX.__add__))
def test_arbitrary_callers_are_allowed_only_when_listed(principal):
    session = principal.removeprefix(SESSION_PREFIX) if principal.startswith(SESSION_PREFIX) else ""
    expected = principal == USER or (session != "" and "/" not in session)
    assert config(auth="iam", iam_principals=[USER, ROLE_SESSIONS]).allows_principal(principal) is expected


# which route reaches which source --------------------------------------------------------------
def test_an_iam_source_accepts_an_allowed_caller_on_the_iam_route():
    assert authenticate(config(auth="iam", iam_principals=[USER]), KIND, delivery(USER)) is None


@pytest.mark.parametrize(
    ("principal", "reason"),
    [
        (None, "this source accepts only IAM-signed requests"),
        ("arn:aws:iam::123456789012:user/other", "caller is not allowed for this source"),
        ("", "caller is not allowed for this source"),
    ],
)
def test_an_iam_source_rejects_the_secret_route_and_other_callers(principal, reason):
    source = config(auth="iam", iam_principals=[USER])
    with pytest.raises(Unauthorized, match=reason):
        authenticate(source, KIND, delivery(principal, servicenow_headers(SERVICENOW_SECRET)))


def test_an_iam_source_with_secrets_checks_them_as_well():
    source = config(auth="iam", iam_principals=[USER], secrets=[SERVICENOW_SECRET])
    with pytest.raises(Unauthorized, match="missing header x-servicenow-secret"):
        authenticate(source, KIND, delivery(USER))
    assert authenticate(source, KIND, delivery(USER, {"x-servicenow-secret": SERVICENOW_SECRET})) is None


def test_a_secret_source_rejects_the_iam_route_even_with_a_valid_secret():
    headers = {"x-servicenow-secret": SERVICENOW_SECRET}
    with pytest.raises(Unauthorized, match="does not accept IAM-signed requests"):
        authenticate(config(secrets=[SERVICENOW_SECRET]), KIND, delivery(USER, headers))
    assert authenticate(config(secrets=[SERVICENOW_SECRET]), KIND, delivery(None, headers)) is None


# the handler reads the caller only on the IAM route ---------------------------------------------
def load_webhook_app() -> Any:
    spec = importlib.util.spec_from_file_location("webhook_app_under_test", ROOT / "functions/webhook/app.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


APP = load_webhook_app()


def principal_passed(route: str, identity: str | None) -> str | None:
    event = api_gateway_event(
        "POST", f"{route}/sn", f"{route}/{{source}}", {"source": "sn"}, {}, b"{}", identity=identity
    )
    with mock.patch.object(APP, "handle_webhook", return_value=Answer(401, {"error": "x"})) as handle:
        result = APP.lambda_handler(event, LocalContext("webhook", 10))
    assert result["statusCode"] == 401
    [call] = handle.call_args_list
    return call.kwargs["iam_principal"]


def test_the_iam_route_passes_the_callers_arn():
    assert principal_passed("/iam/webhooks", USER) == USER


def test_the_iam_route_without_a_caller_passes_an_empty_principal_that_no_list_allows():
    assert principal_passed("/iam/webhooks", None) == ""


def test_the_secret_route_never_reads_a_caller_even_if_the_event_names_one():
    assert principal_passed("/webhooks", USER) is None
