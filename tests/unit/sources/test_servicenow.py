"""ServiceNow outbound REST messages: a static X-ServiceNow-Secret, the recommended script's record JSON."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.sources.servicenow import ServiceNow
from local.senders import SERVICENOW_SECRET, servicenow_headers, servicenow_record
from local.signing import encode

KIND = ServiceNow()
RECORD = servicenow_record("INC0010001", "mia.rossi@example.com", "mia.rossi")


def verify(headers: dict[str, str], secrets: list[str] | None = None) -> str | None:
    delivery = Delivery("servicenow", {k.lower(): v for k, v in headers.items()}, encode(RECORD), 0.0)
    return KIND.authenticate(delivery, [SERVICENOW_SECRET] if secrets is None else secrets)


def test_the_secret_header_is_accepted_without_a_delivery_id():
    assert verify(servicenow_headers(SERVICENOW_SECRET)) is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-ServiceNow-Secret": ""},
        {"X-ServiceNow-Secret": "guess"},
        {"X-ServiceNow-Secret": SERVICENOW_SECRET + "x"},
        {"Authorization": f"Bearer {SERVICENOW_SECRET}"},
    ],
)
def test_a_missing_or_wrong_secret_is_rejected(headers):
    with pytest.raises(Unauthorized):
        verify(headers)


def test_a_rotation_accepts_both_secrets():
    assert verify(servicenow_headers("next-secret"), ["next-secret", SERVICENOW_SECRET]) is None
    assert verify(servicenow_headers(SERVICENOW_SECRET), ["next-secret", SERVICENOW_SECRET]) is None


def test_a_resolved_incident_unlocks_its_caller_by_email():
    found = extract(KIND.preset, RECORD)
    assert (found.ticket_id, found.status, found.resolved) == ("INC0010001", "6", True)
    assert found.user == {"email": "mia.rossi@example.com"}
    assert found.ticket_url == RECORD["url"]
    assert found.connection == "sailpoint-isc"
    assert (found.requested_by, found.reason) == ("agent@example.com", "Solution provided")


@pytest.mark.parametrize("email", [None, ""])
def test_a_caller_without_email_is_unlocked_by_user_name(email):
    assert extract(KIND.preset, servicenow_record("INC1", email, "mia.rossi")).user == {"username": "mia.rossi"}


@pytest.mark.parametrize("state", ["6", "7", 6, 7])
def test_resolved_and_closed_as_strings_or_numbers_are_resolved(state):
    assert extract(KIND.preset, servicenow_record("INC1", "a@example.com", "a", state=state)).resolved


@pytest.mark.parametrize("state", ["1", "2", "3", 8, "Resolved", "60"])
def test_other_states_are_not_resolved(state):
    assert not extract(KIND.preset, servicenow_record("INC1", "a@example.com", "a", state=state)).resolved


def test_a_catalog_item_number_is_the_ticket_id():
    assert extract(KIND.preset, servicenow_record("RITM0010001", "a@example.com", "a")).ticket_id == "RITM0010001"


@given(headers=st.dictionaries(st.sampled_from(["x-servicenow-secret", "authorization"]), st.text(max_size=60)))
def test_arbitrary_headers_are_unauthorized_never_another_error(headers):
    with pytest.raises(Unauthorized):
        verify(headers)


@given(
    state=st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5) | st.lists(st.integers()),
    caller=st.none()
    | st.text(max_size=5)
    | st.dictionaries(st.sampled_from(["email", "user_name"]), st.none() | st.integers() | st.text(max_size=8)),
)
def test_arbitrary_records_map_or_raise_mapping_error(state, caller):
    with contextlib.suppress(MappingError):
        found = extract(KIND.preset, RECORD | {"state": state, "caller": caller})
        assert len(found.user) <= 1
        assert found.resolved == (found.status in ("6", "7"))
