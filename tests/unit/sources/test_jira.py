"""Jira admin webhooks (X-Hub-Signature, jira:issue_updated) and Jira Automation web requests (static token)."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from account_unlock.sources.base import Delivery, SourceConfig, Unauthorized
from account_unlock.sources.jira import JiraAutomation, JiraWebhook, user_expression
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.webhook import build_request
from local.senders import (
    JIRA_AUTOMATION_TOKEN,
    JIRA_SECRET,
    jira_automation_body,
    jira_automation_headers,
    jira_headers,
    jira_issue_updated,
)
from local.signing import encode

JIRA = JiraWebhook()
AUTOMATION = JiraAutomation()
PICKER = {"accountId": "5b10a2844c20165700ede21g", "emailAddress": "noah.berg@example.com", "displayName": "Noah"}
PAYLOAD = jira_issue_updated("HELP-42", PICKER)
BODY = encode(PAYLOAD)
RECEIVED = PAYLOAD["timestamp"] / 1000  # Jira's body timestamp is in unix milliseconds
HOUR_MS = 3600 * 1000


def verify(
    kind, headers: dict[str, str], body: bytes = BODY, secrets: list[str] | None = None, received: float = RECEIVED
):
    delivery = Delivery("jira", {k.lower(): v for k, v in headers.items()}, body, received)
    return kind.authenticate(delivery, [JIRA_SECRET] if secrets is None else secrets)


def signed_at(timestamp: object) -> tuple[dict[str, str], bytes]:
    """Headers and body of the sample delivery with its signed ``timestamp`` replaced."""
    body = encode(PAYLOAD | {"timestamp": timestamp})
    return jira_headers(JIRA_SECRET, body, identifier="id-1"), body


# jira: authentication --------------------------------------------------------------------------
def test_a_signed_delivery_is_accepted_and_named_by_the_atlassian_identifier():
    assert verify(JIRA, jira_headers(JIRA_SECRET, BODY, identifier="4b4a1d5c-42")) == "4b4a1d5c-42"


def test_the_signature_is_sha256_hex_of_the_raw_body():
    digest = hmac.new(JIRA_SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert jira_headers(JIRA_SECRET, BODY)["X-Hub-Signature"] == f"sha256={digest}"


def test_a_retry_keeps_the_identifier_so_it_deduplicates():
    first = jira_headers(JIRA_SECRET, BODY, identifier="id-1")
    retry = jira_headers(JIRA_SECRET, BODY, identifier="id-1", retry=2)
    assert verify(JIRA, first) == verify(JIRA, retry) == "id-1"


def test_a_tampered_body_is_rejected():
    headers = jira_headers(JIRA_SECRET, BODY)
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(JIRA, headers, BODY.replace(b"noah.berg", b"admin"))


def test_another_secret_is_rejected_and_a_rotation_accepts_both():
    other = jira_headers("the-previous-jira-secret", BODY)
    with pytest.raises(Unauthorized):
        verify(JIRA, other)
    assert verify(JIRA, other, secrets=["the-previous-jira-secret", JIRA_SECRET])


@pytest.mark.parametrize("value", ["", "sha1=abc", "deadbeef", "sha256"])
def test_unsigned_or_otherwise_signed_deliveries_are_rejected(value):
    headers = jira_headers(JIRA_SECRET, BODY) | {"X-Hub-Signature": value}
    with pytest.raises(Unauthorized):
        verify(JIRA, headers)


# jira: the signed timestamp (unix ms) bounds replays ------------------------------------------------
@pytest.mark.parametrize("age_ms", [0, 30 * 60 * 1000, 47 * HOUR_MS, -4 * 60 * 1000])
def test_a_retry_keeps_its_original_timestamp_and_is_accepted_within_the_window(age_ms):
    """Jira retries for up to 30 minutes with the same body, so the same signed timestamp."""
    headers, body = signed_at(PAYLOAD["timestamp"] - age_ms)
    assert verify(JIRA, headers, body) == "id-1"


@pytest.mark.parametrize(
    ("timestamp", "error"),
    [
        (PAYLOAD["timestamp"] - 8 * 24 * HOUR_MS, "timestamp is outside the replay window"),  # replayed after 8 days
        (PAYLOAD["timestamp"] - 49 * HOUR_MS, "timestamp is outside the replay window"),
        (PAYLOAD["timestamp"] + 6 * 60 * 1000, "timestamp is outside the replay window"),  # ahead of the clock
        (None, "timestamp is missing or not a time"),
        ("yesterday", "timestamp is missing or not a time"),
        (True, "timestamp is missing or not a time"),
    ],
)
def test_a_stale_future_or_missing_signed_timestamp_is_refused(timestamp, error):
    headers, body = signed_at(timestamp)
    with pytest.raises(Unauthorized, match=error):
        verify(JIRA, headers, body)


def test_the_timestamp_cannot_be_removed_without_breaking_the_signature():
    """Every Jira body has one, so a captured delivery always carries its time."""
    headers, body = signed_at(PAYLOAD["timestamp"] - 8 * 24 * HOUR_MS)
    stripped = encode({k: v for k, v in json.loads(body).items() if k != "timestamp"})
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(JIRA, headers, stripped)
    assert verify(JIRA, jira_headers(JIRA_SECRET, stripped, identifier="id-2"), stripped) == "id-2"  # not Jira's


def test_the_timestamp_is_checked_only_once_the_signature_verifies():
    headers, body = signed_at(0)
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(JIRA, headers, body.replace(b"noah.berg", b"admin"))


def test_without_an_identifier_there_is_no_delivery_id():
    headers = {k: v for k, v in jira_headers(JIRA_SECRET, BODY).items() if k != "X-Atlassian-Webhook-Identifier"}
    assert verify(JIRA, headers) is None


# jira: mapping ---------------------------------------------------------------------------------
def test_an_issue_moved_to_done_is_resolved_for_the_picked_user():
    found = extract(JIRA.preset, PAYLOAD)
    assert (found.ticket_id, found.status, found.resolved) == ("HELP-42", "Done", True)
    assert found.user == {"email": "noah.berg@example.com"}
    assert found.ticket_url == PAYLOAD["issue"]["self"]
    assert found.requested_by == "agent@example.com"
    assert found.reason == "Done"
    assert found.connection is None  # Jira's payload has none: the source's default_connection applies


def test_a_resolution_set_by_the_update_resolves_even_outside_the_done_category():
    payload = jira_issue_updated("HELP-1", PICKER, status="Resolved", category="indeterminate", resolution="Fixed")
    assert extract(JIRA.preset, payload).resolved


@pytest.mark.parametrize(
    "change",
    [
        {"status": "In Progress", "category": "indeterminate", "resolution": None},
        {"status": "Waiting for customer", "category": "new", "resolution": None},
    ],
)
def test_an_issue_that_is_not_done_is_not_resolved(change):
    assert not extract(JIRA.preset, jira_issue_updated("HELP-1", PICKER, **change)).resolved


def test_a_resolution_cleared_by_the_update_does_not_resolve():
    payload = jira_issue_updated("HELP-1", PICKER, status="Reopened", category="indeterminate", resolution=None)
    payload["changelog"]["items"].append(
        {"field": "resolution", "from": "10000", "fromString": "Done", "to": None, "toString": None}
    )
    assert not extract(JIRA.preset, payload).resolved


def test_only_issue_updates_resolve():
    payload = PAYLOAD | {"webhookEvent": "jira:issue_created"}
    assert not extract(JIRA.preset, payload).resolved


@pytest.mark.parametrize(
    ("field", "user"),
    [
        ("noah.berg@example.com", {"email": "noah.berg@example.com"}),
        ("noah.berg", {"username": "noah.berg"}),
        ({"name": "nberg", "key": "JIRAUSER10100", "displayName": "Noah"}, {"username": "nberg"}),
        ({"name": "nberg", "emailAddress": "noah@example.com"}, {"email": "noah@example.com"}),
    ],
)
def test_the_user_field_may_be_text_or_a_user_object(field, user):
    assert extract(JIRA.preset, jira_issue_updated("HELP-1", field)).user == user


@pytest.mark.parametrize("field", [None, "", {"accountId": "5b10a2844c20165700ede21g"}, 42, ["a@example.com"]])
def test_no_usable_user_is_a_bad_request_and_a_cloud_account_id_is_never_used(field):
    config = SourceConfig(kind="jira", secrets=[JIRA_SECRET], connections=["lr"], default_connection="lr")
    with pytest.raises(MappingError, match="field user needs exactly one"):
        build_request("jira", config, JIRA.preset, jira_issue_updated("HELP-1", field), "id-1", 0)


def test_another_custom_field_is_one_mapping_override():
    payload = copy.deepcopy(PAYLOAD)
    payload["issue"]["fields"]["customfield_10099"] = payload["issue"]["fields"].pop("customfield_10050")
    fields = JIRA.preset.with_overrides({"user": user_expression("issue.fields.customfield_10099")})
    assert extract(fields, payload).user == {"email": "noah.berg@example.com"}


def test_the_default_connection_is_used():
    config = SourceConfig(kind="jira", secrets=[JIRA_SECRET], connections=["lr"], default_connection="lr")
    request = build_request("jira", config, JIRA.preset, PAYLOAD, "id-1", 0)
    assert request.connection == "lr"
    assert request.origin.ticket_id == "HELP-42"


# jira-automation -------------------------------------------------------------------------------
AUTOMATION_BODY = encode(jira_automation_body("HELP-43", {"email": "ivy@example.com"}))


def test_automation_token_is_accepted_without_a_delivery_id():
    headers = jira_automation_headers(JIRA_AUTOMATION_TOKEN)
    assert verify(AUTOMATION, headers, AUTOMATION_BODY, [JIRA_AUTOMATION_TOKEN]) is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Automation-Webhook-Token": "wrong"},
        {"X-Automation-Webhook-Token": JIRA_AUTOMATION_TOKEN[:-1]},
        {"Authorization": f"Bearer {JIRA_AUTOMATION_TOKEN}"},
    ],
)
def test_automation_without_the_right_token_is_rejected(headers):
    with pytest.raises(Unauthorized):
        verify(AUTOMATION, headers, AUTOMATION_BODY, [JIRA_AUTOMATION_TOKEN])


def test_automation_rotation_accepts_both_tokens():
    assert verify(AUTOMATION, jira_automation_headers("new-token"), AUTOMATION_BODY, ["new-token", "old-token"]) is None


def test_automation_body_is_resolved_by_status_category_whatever_the_status_name():
    found = extract(AUTOMATION.preset, jira_automation_body("HELP-43", {"email": "ivy@example.com"}, status="Erledigt"))
    assert (found.ticket_id, found.resolved, found.user) == ("HELP-43", True, {"email": "ivy@example.com"})
    assert found.ticket_url == "https://example.atlassian.net/browse/HELP-43"


def test_automation_body_in_progress_is_not_resolved():
    body = jira_automation_body("HELP-43", {"email": "i@example.com"}, status="In Progress", category="indeterminate")
    assert not extract(AUTOMATION.preset, body).resolved


# properties ------------------------------------------------------------------------------------
def json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=30), identifier=st.text(min_size=1))
def test_any_body_that_is_not_a_json_object_signed_the_jira_way_is_accepted(body, secret, identifier):
    """Left to the mapping, which answers 400: there is no timestamp to check."""
    assume(not json_object(body))
    assert verify(JIRA, jira_headers(secret, body, identifier=identifier), body, [secret]) == identifier


@given(age=st.floats(allow_nan=True, allow_infinity=True) | st.integers(), secret=st.text(min_size=1, max_size=30))
def test_a_signed_json_body_is_accepted_only_within_the_window(age, secret):
    """``age`` in ms before receipt; the window is 5 minutes ahead to 48 hours back (edges left out)."""
    edges = (-300 * 1000, 48 * HOUR_MS)
    assume(all(not abs(age - edge) < 1000 for edge in edges))
    body = encode(PAYLOAD | {"timestamp": PAYLOAD["timestamp"] - age})
    headers = jira_headers(secret, body, identifier="id-1")
    inside = edges[0] <= age <= edges[1]
    try:
        accepted = verify(JIRA, headers, body, [secret]) == "id-1"
    except Unauthorized:
        accepted = False
    assert accepted == inside


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


@given(user_field=JSONISH, changelog=JSONISH, status=JSONISH, event=JSONISH)
def test_arbitrary_field_values_map_or_raise_mapping_error(user_field, changelog, status, event):
    payload = copy.deepcopy(PAYLOAD)
    payload["issue"]["fields"]["customfield_10050"] = user_field
    payload["issue"]["fields"]["status"] = status
    payload["changelog"] = changelog
    payload["webhookEvent"] = event
    with contextlib.suppress(MappingError):
        found = extract(JIRA.preset, payload)
        assert isinstance(found.resolved, bool)
        assert len(found.user) <= 1
