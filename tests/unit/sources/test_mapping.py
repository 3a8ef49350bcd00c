from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.mapping import MappingError, extract
from account_unlock.sources.standard_webhooks import GENERIC_TICKET
from local.samples import ticket_body


def test_generic_ticket_maps_every_field():
    found = extract(GENERIC_TICKET, ticket_body("INC-7", {"email": "a@b.c"}))
    assert found.ticket_id == "INC-7"
    assert found.resolved is True
    assert found.user == {"email": "a@b.c"}
    assert found.connection == "pingone-workforce"
    assert found.requested_by == "agent@example.com"


@pytest.mark.parametrize("status", ["resolved", "solved", "closed", "done"])
def test_resolved_statuses(status):
    assert extract(GENERIC_TICKET, ticket_body("1", {"id": "x"}, status=status)).resolved


@pytest.mark.parametrize("status", ["open", "pending", "RESOLVED "])
def test_other_statuses_are_not_resolved(status):
    assert not extract(GENERIC_TICKET, ticket_body("1", {"id": "x"}, status=status)).resolved


def test_resolved_statuses_from_configuration_replace_the_preset():
    body = ticket_body("1", {"id": "x"}, status="Fixed")
    assert not extract(GENERIC_TICKET, body).resolved
    assert extract(GENERIC_TICKET, body, ["Fixed"]).resolved
    assert not extract(GENERIC_TICKET, ticket_body("1", {"id": "x"}), ["Fixed"]).resolved


def test_overrides_change_where_fields_are_found():
    fields = GENERIC_TICKET.with_overrides({"ticket_id": "key", "user": "{email: reporter}"})
    found = extract(fields, {"key": "OPS-1", "reporter": "r@x.io", "ticket": {"status": "done"}})
    assert (found.ticket_id, found.user) == ("OPS-1", {"email": "r@x.io"})


def test_unknown_override_is_refused():
    with pytest.raises(MappingError, match="tickt_id"):
        GENERIC_TICKET.with_overrides({"tickt_id": "x"})


@pytest.mark.parametrize("expression", ["[[[", "ticket.~", "`", "ticket.id |"])
def test_invalid_expression_is_a_mapping_error(expression):
    with pytest.raises(MappingError, match="not valid"):
        extract(GENERIC_TICKET.with_overrides({"ticket_id": expression}), ticket_body("1", {"id": "x"}))


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("powertools_json(ticket.raw).id", "not json"),
        ("powertools_base64(ticket.raw)", "%%% not base64"),
        ("powertools_base64_gzip(ticket.raw)", "bm90IGd6aXA="),  # base64 of "not gzip"
        ("length(ticket.raw)", 7),
    ],
)
def test_a_payload_the_expression_cannot_read_is_a_mapping_error_naming_it(expression, value):
    body = ticket_body("1", {"id": "x"})
    body["ticket"]["raw"] = value
    with pytest.raises(MappingError, match="does not fit") as raised:
        extract(GENERIC_TICKET.with_overrides({"ticket_id": expression}), body)
    assert expression in str(raised.value)
    assert str(value) not in str(raised.value)


def test_powertools_functions_reach_into_encoded_fields():
    body = ticket_body("1", {"id": "x"})
    body["ticket"]["raw"] = '{"id": "INC-9"}'
    assert (
        extract(GENERIC_TICKET.with_overrides({"ticket_id": "powertools_json(ticket.raw).id"}), body).ticket_id
        == "INC-9"
    )


def test_missing_ticket_id_names_the_field():
    body = ticket_body("1", {"id": "x"})
    del body["ticket"]["id"]
    with pytest.raises(MappingError, match="ticket_id"):
        extract(GENERIC_TICKET, body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_arbitrary_payloads_map_or_raise_mapping_error(payload):
    try:
        found = extract(GENERIC_TICKET, payload)
    except MappingError:
        return
    assert isinstance(found.resolved, bool)
    assert all(isinstance(v, str) for v in found.user.values())
