"""Each helpdesk client's request, as its API documents it, pinned against the helpdesk simulators.

Zendesk "Update Ticket" (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket),
Jira "Add comment" (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post),
ServiceNow "Table API" (https://www.servicenow.com/docs/bundle/yokohama-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html),
Freshservice "Create a Note" (https://api.freshservice.com/v2/#create_a_note) and the Standard Webhooks
signature (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
checked here with the ``standardwebhooks`` package.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from account_unlock import http
from account_unlock.errors import PermanentError, TransientError
from account_unlock.helpdesks import HELPDESKS
from account_unlock.models import UnlockOutcome
from local.simulators.callback import CallbackReceiver
from local.simulators.freshservice import FreshserviceSimulator
from local.simulators.jira import JiraSimulator
from local.simulators.servicenow import ServiceNowSimulator, sys_id_of
from local.simulators.tickets import TicketSimulator
from local.simulators.zendesk import ZendeskSimulator

SECRET = "whsec_" + base64.b64encode(b"contract-test-callback-secret-01").decode()


@pytest.fixture(autouse=True)
def budget() -> Iterator[None]:
    with http.budget.running(30):
        yield


def started(simulator: TicketSimulator) -> Iterator[TicketSimulator]:
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def zendesk() -> Iterator[TicketSimulator]:
    yield from started(ZendeskSimulator("bot@example.com", "zd-token"))


@pytest.fixture
def jira() -> Iterator[TicketSimulator]:
    yield from started(JiraSimulator("bot@example.com", "jira-token"))


@pytest.fixture
def servicenow() -> Iterator[TicketSimulator]:
    yield from started(ServiceNowSimulator("unlock", "sn-password"))


@pytest.fixture
def freshservice() -> Iterator[TicketSimulator]:
    yield from started(FreshserviceSimulator("fs-key"))


@pytest.fixture
def receiver() -> Iterator[TicketSimulator]:
    yield from started(CallbackReceiver(SECRET))


def outcome(ticket: str, **changes: Any) -> UnlockOutcome:
    fields: dict[str, Any] = {
        "request_id": "5a5ede15-b357-5204-a250-d7680a7ac03f",
        "status": "unlocked",
        "reason": "unlocked",
        "message": "account unlocked",
        "connection": "pingone-workforce",
        "vendor": "pingone",
        "user": {"username": "jdoe"},
        "origin": {"system": "desk", "ticket_id": ticket},
        "actions": ["account.unlock"],
    }
    return UnlockOutcome.model_validate(fields | changes)


def post(kind: str, writeback: dict[str, Any], ticket: str) -> Any:
    helpdesk = HELPDESKS[kind]
    config = helpdesk.config_model.model_validate(writeback)
    result = outcome(ticket)
    return helpdesk.post(config, ticket, config.comment(result), result)


def test_zendesk_updates_the_ticket_with_an_internal_comment(zendesk):
    writeback = {"base_url": zendesk.url, "credentials": {"email": "bot@example.com", "api_token": "zd-token"}}

    posted = post("zendesk", writeback | {"status": "solved"}, "1001")

    [call] = zendesk.calls()
    assert (call.method, call.path) == ("PUT", "/api/v2/tickets/1001.json")
    assert call.header("authorization") == "Basic " + base64.b64encode(b"bot@example.com/token:zd-token").decode()
    assert call.json()["ticket"]["status"] == "solved"
    assert call.json()["ticket"]["comment"]["public"] is False
    assert call.json()["ticket"]["comment"]["body"].startswith("Account unlocked: username=jdoe at pingone")
    assert posted.reference == str(zendesk.comments["1001"][0]["id"])
    assert posted.message == "Zendesk ticket 1001: internal comment added"


def test_zendesk_refuses_a_ticket_id_that_is_not_a_number(zendesk):
    writeback = {"base_url": zendesk.url, "credentials": {"email": "bot@example.com", "api_token": "zd-token"}}

    with pytest.raises(PermanentError, match=r"origin\.ticket_id"):
        post("zendesk", writeback, "../users/1")
    assert zendesk.requests == []


def test_jira_adds_an_adf_comment_marked_internal(jira):
    writeback = {"base_url": jira.url, "credentials": {"email": "bot@example.com", "api_token": "jira-token"}}

    posted = post("jira", writeback, "OPS-12")

    [call] = jira.calls()
    assert (call.method, call.path) == ("POST", "/rest/api/3/issue/OPS-12/comment")
    body = call.json()
    assert body["body"]["type"] == "doc"
    assert body["body"]["version"] == 1
    assert body["body"]["content"][0]["content"][0]["type"] == "text"
    assert body["properties"] == [{"key": "sd.public.comment", "value": {"internal": True}}]
    assert posted.reference == str(jira.comments["OPS-12"][0]["id"])


def test_servicenow_looks_the_number_up_then_patches_a_work_note(servicenow):
    writeback = {"base_url": servicenow.url, "credentials": {"username": "unlock", "password": "sn-password"}}

    posted = post("servicenow", writeback | {"state": "7"}, "INC0010001")

    lookup, patch = servicenow.calls()
    assert (lookup.method, lookup.path) == ("GET", "/api/now/table/incident")
    assert lookup.query == {
        "sysparm_query": ["number=INC0010001"],
        "sysparm_fields": ["sys_id"],
        "sysparm_limit": ["1"],
    }
    assert (patch.method, patch.path) == ("PATCH", f"/api/now/table/incident/{sys_id_of('INC0010001')}")
    assert set(patch.json()) == {"work_notes", "state"}
    assert servicenow.comment_count("INC0010001") == 1
    assert posted.message == "ServiceNow incident INC0010001: work note added"


def test_servicenow_skips_the_look_up_for_a_sys_id(servicenow):
    writeback = {"base_url": servicenow.url, "credentials": {"username": "unlock", "password": "sn-password"}}
    post("servicenow", writeback, "INC0010002")  # the record exists once looked up
    servicenow.clear()

    post("servicenow", writeback, sys_id_of("INC0010002"))

    assert [c.method for c in servicenow.calls()] == ["PATCH"]


def test_servicenow_an_unknown_number_is_permanent_and_patches_nothing(servicenow):
    servicenow.missing.add("INC0099999")
    writeback = {"base_url": servicenow.url, "credentials": {"username": "unlock", "password": "sn-password"}}

    with pytest.raises(PermanentError, match="no record numbered INC0099999"):
        post("servicenow", writeback, "INC0099999")
    assert [c.method for c in servicenow.calls()] == ["GET"]


def test_freshservice_creates_a_private_html_note(freshservice):
    writeback = {"base_url": freshservice.url, "credentials": {"api_key": "fs-key"}}

    post("freshservice", writeback, "42")

    [call] = freshservice.calls()
    assert (call.method, call.path) == ("POST", "/api/v2/tickets/42/notes")
    assert call.header("authorization") == "Basic " + base64.b64encode(b"fs-key:X").decode()
    assert call.json()["private"] is True
    assert call.json()["body"].startswith("<div>Account unlocked")


def test_the_callback_verifies_with_the_standard_webhooks_package(receiver):
    writeback = {"url": f"{receiver.url}/hooks/account-unlock", "credentials": {"signing_secret": SECRET}}

    posted = post("standard-webhooks", writeback, "T-1")

    [call] = receiver.calls()
    payload = Webhook(SECRET).verify(call.body, call.headers)
    assert payload["type"] == "account_unlock.outcome"
    assert payload["data"]["ticket_id"] == "T-1"
    assert call.header("webhook-id") == posted.reference
    assert call.status == 204


@pytest.mark.parametrize(("status", "error"), [(401, PermanentError), (404, PermanentError), (503, TransientError)])
def test_answers_map_to_permanent_or_transient(jira, status, error):
    writeback = {"base_url": jira.url, "credentials": {"email": "bot@example.com", "api_token": "jira-token"}}
    jira.fail(status, {"errorMessages": ["no"]}, times=10)

    with pytest.raises(error):
        post("jira", writeback, "OPS-13")
