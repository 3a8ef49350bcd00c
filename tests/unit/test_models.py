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


@pytest.mark.parametrize(
    "char",
    [
        "\x85",
        "\x9b",
        "\u202e",
        "\u2066",
        "\u200f",
        "\u200b",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\U000e0041",
        "\u2028",
        "\u2029",
    ],
)
@pytest.mark.parametrize("field", ["username", "email", "id", "login_id", "ticket_id", "request_id", "requested_by"])
def test_identifiers_refuse_c1_bidi_zero_width_and_line_separators(field, char):
    value = f"jdoe{char}x"
    detail = request()
    if field in {"username", "email", "id", "login_id"}:
        detail["user"] = {field: value}
    elif field == "ticket_id":
        detail["origin"] = detail["origin"] | {"ticket_id": value}
    else:
        detail[field] = value
    with pytest.raises(ValidationError) as raised:
        UnlockRequest.model_validate(detail)
    assert value not in str(raised.value.errors(include_input=False))


@pytest.mark.parametrize("value", ["josé@example.com", "Zoë Ölund", "名前", "O'Brien-Smith"])
def test_identifiers_in_any_script_are_accepted(value):
    assert UserRef(username=value).value == value


def test_free_text_may_carry_the_joiners_of_its_script():
    """The reason is prose, not an identifier: Persian needs the zero-width non-joiner (U+200C)."""
    reason = "می\u200cخواهم"
    assert UnlockRequest.model_validate(request(reason=reason)).reason == reason
