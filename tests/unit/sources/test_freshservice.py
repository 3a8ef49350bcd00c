"""Freshservice / Freshdesk "Trigger webhook": a secret header or Basic auth, the recommended template."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.freshservice import Freshservice
from account_unlock.sources.mapping import MappingError, extract
from local.senders import FRESHSERVICE_SECRET, freshservice_body, freshservice_headers
from local.signing import encode

KIND = Freshservice()
BODY = freshservice_body("123", "sam.okafor@example.com")


def verify(headers: dict[str, str], secrets: list[str] | None = None) -> str | None:
    delivery = Delivery("freshservice", {k.lower(): v for k, v in headers.items()}, encode(BODY), 0.0)
    return KIND.authenticate(delivery, [FRESHSERVICE_SECRET] if secrets is None else secrets)


def basic(user_password: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user_password).decode()}


def test_the_secret_header_is_accepted_without_a_delivery_id():
    assert verify(freshservice_headers(FRESHSERVICE_SECRET)) is None


@pytest.mark.parametrize("user", ["freshservice", "", "api-key-user"])
def test_basic_auth_with_the_secret_as_password_is_accepted_whatever_the_user(user):
    assert verify(basic(f"{user}:{FRESHSERVICE_SECRET}".encode())) is None


def test_the_user_name_ends_at_the_first_colon_and_the_password_may_contain_colons():
    assert verify(basic(b"user:a:b:c"), ["a:b:c"]) is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Freshservice-Secret": "wrong"},
        {"X-Freshservice-Secret": ""},
        basic(b"freshservice:wrong"),
        basic(FRESHSERVICE_SECRET.encode()),  # no colon: not user:password
        basic(f"{FRESHSERVICE_SECRET}:".encode()),  # the secret as the user name is not enough
        {"Authorization": f"Bearer {FRESHSERVICE_SECRET}"},
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic " + base64.b64encode(b"u:\xff\xfe").decode()},
    ],
)
def test_missing_or_wrong_credentials_are_rejected(headers):
    with pytest.raises(Unauthorized):
        verify(headers)


def test_the_secret_header_wins_over_basic_auth():
    headers = {"X-Freshservice-Secret": "wrong"} | basic(f"u:{FRESHSERVICE_SECRET}".encode())
    with pytest.raises(Unauthorized):
        verify(headers)


def test_a_rotation_accepts_both_secrets():
    assert verify(freshservice_headers("next"), ["next", FRESHSERVICE_SECRET]) is None
    assert verify(basic(f"u:{FRESHSERVICE_SECRET}".encode()), ["next", FRESHSERVICE_SECRET]) is None


def test_a_resolved_ticket_unlocks_the_requester():
    found = extract(KIND.preset, BODY)
    assert (found.ticket_id, found.resolved, found.user) == ("123", True, {"email": "sam.okafor@example.com"})
    assert (found.connection, found.requested_by) == ("gigya-cdc", "agent@example.com")
    assert found.ticket_url == "https://example.freshservice.com/helpdesk/tickets/123"


@pytest.mark.parametrize("status", [4, 5, "4", "5", "Resolved", "Closed", "resolved", "closed"])
def test_resolved_and_closed_in_every_form_are_resolved(status):
    assert extract(KIND.preset, freshservice_body("1", "a@example.com", status=status)).resolved


@pytest.mark.parametrize("status", [2, 3, "2", "Open", "Pending", 45, "Resolved "])
def test_other_statuses_are_not_resolved(status):
    assert not extract(KIND.preset, freshservice_body("1", "a@example.com", status=status)).resolved


@given(
    headers=st.dictionaries(
        st.sampled_from(["x-freshservice-secret", "authorization"]),
        st.text(max_size=40) | st.binary(max_size=30).map(lambda b: "Basic " + base64.b64encode(b).decode()),
        max_size=2,
    )
)
def test_arbitrary_headers_are_unauthorized_never_another_error(headers):
    with pytest.raises(Unauthorized):
        verify(headers)


@given(user=st.text(max_size=10).filter(lambda u: ":" not in u), secret=st.text(min_size=1, max_size=20))
def test_any_basic_credentials_carrying_the_secret_are_accepted(user, secret):
    assert verify(basic(f"{user}:{secret}".encode()), [secret]) is None


@given(status=st.none() | st.integers() | st.floats() | st.text(max_size=8) | st.lists(st.integers(), max_size=2))
def test_arbitrary_statuses_map_or_raise_mapping_error(status):
    with contextlib.suppress(MappingError):
        extract(KIND.preset, freshservice_body("1", "a@example.com", status=status))
