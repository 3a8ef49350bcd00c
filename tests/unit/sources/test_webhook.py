"""Each ticketing kind through ``handle_webhook``: 202 when genuine, 401 when not, 200 when unresolved, never 5xx.

The source configuration and the hand-off to the bus are replaced by stand-ins, so that these
run without AWS; tests/integration/sources/test_ticketing.py covers the same paths end to end.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from account_unlock import webhook
from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.base import Delivery, SourceConfig, Unauthorized
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.webhook import Answer, handle_webhook
from local import senders as sample
from local.samples import ticket_body
from local.signing import encode


@dataclass(frozen=True)
class Case:
    source: str
    sign: Callable[[bytes], dict[str, str]]
    resolved: dict[str, Any]
    unresolved: dict[str, Any]
    user: dict[str, str]
    headers: tuple[str, ...]  # the credential headers this kind reads
    signs_body: bool = True


CASES = {
    "zendesk": Case(
        "zendesk",
        lambda body: sample.zendesk_headers(sample.ZENDESK_SECRET, body, invocation_id="inv-1"),
        sample.zendesk_body("4711", "lena@example.com"),
        sample.zendesk_body("4711", "lena@example.com", status="Pending"),
        {"email": "lena@example.com"},
        ("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"),
    ),
    "jira": Case(
        "jira",
        lambda body: sample.jira_headers(sample.JIRA_SECRET, body, identifier="jira-1"),
        sample.jira_issue_updated("HELP-42", "noah@example.com"),
        sample.jira_issue_updated("HELP-42", "noah@example.com", status="Open", category="new", resolution=None),
        {"email": "noah@example.com"},
        ("X-Hub-Signature",),
    ),
    "jira-automation": Case(
        "jira-automation",
        lambda _: sample.jira_automation_headers(sample.JIRA_AUTOMATION_TOKEN),
        sample.jira_automation_body("HELP-43", {"email": "ivy@example.com"}),
        sample.jira_automation_body("HELP-43", {"email": "ivy@example.com"}, status="Open", category="new"),
        {"email": "ivy@example.com"},
        ("X-Automation-Webhook-Token",),
        signs_body=False,
    ),
    "servicenow": Case(
        "servicenow",
        lambda _: sample.servicenow_headers(sample.SERVICENOW_SECRET),
        sample.servicenow_record("INC0010001", None, "mia.rossi"),
        sample.servicenow_record("INC0010001", None, "mia.rossi", state="2"),
        {"username": "mia.rossi"},
        ("X-ServiceNow-Secret",),
        signs_body=False,
    ),
    "freshservice": Case(
        "freshservice",
        lambda _: sample.freshservice_headers(sample.FRESHSERVICE_SECRET, basic_user="fs"),
        sample.freshservice_body("123", "sam@example.com", status=5),
        sample.freshservice_body("123", "sam@example.com", status=2),
        {"email": "sam@example.com"},
        ("X-Freshservice-Secret", "Authorization"),
        signs_body=False,
    ),
    "github-hmac": Case(
        "github",
        lambda body: sample.github_headers(sample.GITHUB_SECRET, body, delivery="gh-1"),
        ticket_body("INC-2001", {"username": "omar"}),
        ticket_body("INC-2001", {"username": "omar"}, status="open"),
        {"username": "omar"},
        ("X-Hub-Signature-256",),
    ),
}


@contextlib.contextmanager
def stack_stand_ins(kind: str) -> Iterator[list[dict[str, Any]]]:
    """The source's configuration without Secrets Manager; the hand-off to the bus recorded, not sent."""
    case = CASES[kind]
    config = SourceConfig.model_validate(sample.source_configs()[case.source])
    handed_off: list[dict[str, Any]] = []

    def hand_off(
        kind_: Any, source: str, delivery_id: str | None, requests: list[Any], skipped: list[str], *, digest: str
    ) -> Answer:
        handed_off.append({"delivery_id": delivery_id, "requests": requests, "digest": digest})
        return Answer(202, {"status": "accepted", "request_id": requests[0].request_id})

    with (
        mock.patch.object(webhook, "load_source", return_value=(config, SOURCE_KINDS[kind])),
        mock.patch.object(webhook, "hand_off", side_effect=hand_off),
        mock.patch.object(webhook, "count") as auth_failures,
    ):
        yield handed_off
    handed_off.append({"auth_failures": auth_failures.call_count})


def send(kind: str, body: bytes, headers: dict[str, str], **kwargs: Any) -> tuple[Answer, list[dict[str, Any]]]:
    with stack_stand_ins(kind) as handed_off:
        answer = handle_webhook(CASES[kind].source, headers, body, **kwargs)
    return answer, handed_off


def test_every_ticketing_kind_is_registered():
    assert set(CASES) <= set(SOURCE_KINDS)


@pytest.mark.parametrize("kind", CASES)
def test_a_genuine_resolved_ticket_is_accepted_and_handed_off(kind):
    case = CASES[kind]
    body = encode(case.resolved)
    answer, handed_off = send(kind, body, case.sign(body))
    assert answer.status == 202, answer.body
    [accepted, counted] = handed_off
    [request] = accepted["requests"]
    assert request.user.model_dump(exclude_none=True) == case.user
    assert request.origin.system == case.source
    assert counted == {"auth_failures": 0}


@pytest.mark.parametrize("kind", CASES)
def test_the_same_delivery_maps_to_the_same_request_id(kind):
    case = CASES[kind]
    body = encode(case.resolved)
    first, _ = send(kind, body, case.sign(body))
    second, _ = send(kind, body, case.sign(body))
    has_delivery_id = kind in ("zendesk", "jira", "github-hmac")
    assert (first.body["request_id"] == second.body["request_id"]) is has_delivery_id


@pytest.mark.parametrize("kind", CASES)
def test_an_unresolved_ticket_is_ignored(kind):
    case = CASES[kind]
    body = encode(case.unresolved)
    answer, handed_off = send(kind, body, case.sign(body))
    assert answer.status == 200
    assert answer.body["status"] == "ignored"
    assert handed_off == [{"auth_failures": 0}]


@pytest.mark.parametrize("kind", CASES)
def test_wrong_or_missing_credentials_are_401_and_counted(kind):
    case = CASES[kind]
    body = encode(case.resolved)
    genuine = case.sign(body)
    if case.signs_body:
        attempts = [(body.replace(b"example.com", b"example.org"), genuine)]
    else:
        attempts = [(body, {k: v + "x" for k, v in genuine.items()})]
    attempts.append((body, {k: v for k, v in genuine.items() if k not in case.headers}))
    for sent_body, headers in attempts:
        answer, handed_off = send(kind, sent_body, headers)
        assert answer.status == 401
        assert handed_off == [{"auth_failures": 1}]


@pytest.mark.parametrize("kind", CASES)
def test_a_genuine_but_malformed_body_is_400(kind):
    case = CASES[kind]
    for body in (b"not json", b"[]", json.dumps({"ticket": {}}).encode()):
        answer, _ = send(kind, body, case.sign(body))
        assert answer.status == 400, (body, answer.body)


DEEP = 5000  # past Python's recursion limit (1,000), about 10 KB of JSON


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * DEEP + b"]" * DEEP,
        b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        b'{"ticket": {"id": "X", "status": "resolved"}, "user": {"username": "x"}, "reason": '
        + b"[" * DEEP
        + b"]" * DEEP
        + b"}",
    ],
    ids=["arrays", "objects", "inside a ticket"],
)
def test_a_genuine_body_nested_too_deeply_is_400(kind, body):
    case = CASES[kind]
    answer, handed_off = send(kind, body, case.sign(body))
    assert (answer.status, answer.body) == (400, {"error": "body is nested too deeply"})
    assert handed_off == [{"auth_failures": 0}]


@pytest.mark.parametrize("kind", CASES)
def test_a_field_too_deep_for_a_mapping_function_is_400(kind):
    """A body parsed just within the recursion limit can still exhaust it in ``to_string``."""
    case = CASES[kind]
    body = encode(case.resolved)
    with mock.patch.object(webhook, "extract", side_effect=RecursionError):
        answer, handed_off = send(kind, body, case.sign(body))
    assert (answer.status, answer.body) == (400, {"error": "a field is nested too deeply"})
    assert handed_off == [{"auth_failures": 0}]


@pytest.mark.parametrize("kind", CASES)
def test_an_iam_caller_on_a_secret_source_is_401(kind):
    case = CASES[kind]
    body = encode(case.resolved)
    answer, _ = send(kind, body, case.sign(body), iam_principal="arn:aws:iam::123456789012:user/x")
    assert (answer.status, answer.body) == (401, {"error": "this source does not accept IAM-signed requests"})


JSON_VALUES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)


def perturbed(case: Case) -> st.SearchStrategy[dict[str, Any]]:
    """The case's resolved payload with arbitrary values in place of some of its fields."""
    values = JSON_VALUES | st.lists(JSON_VALUES, max_size=2) | st.dictionaries(st.text(max_size=8), JSON_VALUES)
    return st.dictionaries(st.sampled_from(sorted(case.resolved)), values).map(lambda changes: case.resolved | changes)


def near_valid(case: Case) -> st.SearchStrategy[bytes]:
    """A perturbed payload as JSON, or arbitrary bytes."""
    return perturbed(case).map(encode) | st.binary(max_size=200)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), kind=st.sampled_from(sorted(CASES)), sign=st.booleans())
def test_arbitrary_requests_never_5xx(data, kind, sign):
    case = CASES[kind]
    body = data.draw(near_valid(case))
    values = data.draw(st.lists(st.text(max_size=60), min_size=len(case.headers), max_size=len(case.headers)))
    headers = case.sign(body) if sign else dict(zip(case.headers, values, strict=True))
    answer, _ = send(kind, body, headers)
    assert 200 <= answer.status < 500
    if answer.status == 202:
        assert sign


@given(data=st.data(), kind=st.sampled_from(sorted(CASES)))
def test_arbitrary_credential_headers_are_unauthorized_never_another_error(data, kind):
    case = CASES[kind]
    names = st.sampled_from([*case.headers, *(h.lower() for h in case.headers), "x-other"])
    headers = data.draw(st.dictionaries(names, st.text(max_size=80), max_size=3))
    secrets = [s.get_secret_value() for s in SourceConfig.model_validate(sample.source_configs()[case.source]).secrets]
    delivery = Delivery(case.source, {k.lower(): v for k, v in headers.items()}, data.draw(st.binary(max_size=80)), 0)
    with pytest.raises(Unauthorized):
        SOURCE_KINDS[kind].authenticate(delivery, secrets)


@given(data=st.data(), kind=st.sampled_from(sorted(CASES)))
def test_arbitrary_payloads_map_or_raise_mapping_error(data, kind):
    case = CASES[kind]
    payload = data.draw(perturbed(case))
    with contextlib.suppress(MappingError):
        found = extract(SOURCE_KINDS[kind].preset, payload)
        assert isinstance(found.resolved, bool)
        assert len(found.user) <= 1


@pytest.mark.parametrize("expression", ["powertools_json(ticket.id).key", "ticket.~"])
def test_a_mapping_the_payload_does_not_fit_is_400_naming_the_expression(expression):
    """A source's own mapping override: not valid, or not able to read this payload (the ticket id is not JSON)."""
    case = CASES["github-hmac"]
    config = SourceConfig.model_validate(sample.source_configs()[case.source] | {"mapping": {"ticket_id": expression}})
    body = encode(case.resolved)
    with mock.patch.object(webhook, "load_source", return_value=(config, SOURCE_KINDS["github-hmac"])):
        answer = handle_webhook(case.source, case.sign(body), body)
    assert answer.status == 400
    assert expression in answer.body["error"]
    assert "INC-2001" not in answer.body["error"]
