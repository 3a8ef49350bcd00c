from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from account_unlock.models import UnlockRequest, UserRef
from local.schemas import SCHEMAS, render, schemas

EVENTS = Path(__file__).resolve().parents[2] / "events"


def request(**overrides):
    base = {
        "request_id": "r-1",
        "origin": {"system": "helpdesk", "ticket_id": "INC-1"},
        "connection": "pingone-workforce",
        "user": {"username": "jdoe"},
    }
    return base | overrides


def test_user_needs_exactly_one_identifier():
    assert UserRef(email="a@b.c").describe() == "email=a@b.c"
    with pytest.raises(ValidationError):
        UserRef()
    with pytest.raises(ValidationError):
        UserRef(email="a@b.c", username="a")


@pytest.mark.parametrize("connection", ["../x", "a/b", "", "-lead", "x" * 65, "sp ace"])
def test_connection_names_are_restricted(connection):
    with pytest.raises(ValidationError):
        UnlockRequest.model_validate(request(connection=connection))


@pytest.mark.parametrize("value", ["a\nb", "x\x00", "\x7f"])
def test_control_characters_are_refused(value):
    with pytest.raises(ValidationError):
        UserRef(username=value)


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4))
def test_arbitrary_user_objects_validate_or_raise_validation_error(user):
    try:
        ref = UserRef.model_validate(user)
    except ValidationError:
        return
    assert ref.kind in user


def test_published_schemas_match_the_models():
    for name, schema in schemas().items():
        assert (SCHEMAS / name).read_text() == render(schema), f"run `make schemas` to refresh schemas/{name}"


@pytest.mark.parametrize("name", ["eventbridge-unlock-requested.json", "eventbridge-ticket-resolved.json"])
def test_ready_eventbridge_events_are_valid_requests(name):
    event = json.loads((EVENTS / name).read_text())
    assert event["detail-type"] in ("Unlock Requested", "Ticket Resolved")
    assert UnlockRequest.model_validate(event["detail"]).connection == "pingone-workforce"
