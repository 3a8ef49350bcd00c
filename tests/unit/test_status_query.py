"""The status look-ups' query parsing and the allow-listed summary of a request's audit items."""

from __future__ import annotations

import pytest

from account_unlock.status import BadQuery, TicketQuery, UserQuery, parse_query, summarise


def test_a_ticket_is_its_system_and_its_id_which_may_hold_colons():
    assert parse_query({"ticket": ["jira:HELP:42"]}) == TicketQuery("jira", "HELP:42")


def test_a_user_is_a_connection_and_kind_value():
    parsed = parse_query({"connection": ["pingone-workforce"], "user": ["email:a:b@example.com"]})
    assert parsed == UserQuery("pingone-workforce", "email", "a:b@example.com")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({}, "give either ticket, or connection and user"),
        ({"ticket": ["h:1"], "user": ["id:1"]}, "give either ticket, or connection and user"),
        ({"connection": ["c"]}, "give either ticket, or connection and user"),
        ({"user": ["id:1"]}, "give either ticket, or connection and user"),
        ({"ticket": ["h:1", "h:2"]}, "give ticket once"),
        ({"ticket": ["h:1"], "page": ["2"]}, "unknown query parameter 'page'"),
        ({"ticket": ["INC-1"]}, "ticket must be <system>:<ticket id>"),
        ({"ticket": ["h:"]}, "ticket must be <system>:<ticket id>"),
        ({"ticket": ["-h:1"]}, "ticket must be <system>:<ticket id>, a source name and a ticket id"),
        ({"ticket": ["h:a\u202eb"]}, "ticket must be <system>:<ticket id>, a source name and a ticket id"),
        ({"ticket": ["h:" + "x" * 257]}, "ticket must be <system>:<ticket id>, a source name and a ticket id"),
        ({"ticket": ["h:" + "x" * 600]}, "ticket is longer than 512 characters"),
        ({"connection": ["c"], "user": ["jdoe"]}, "user must be <kind>:<value>"),
        ({"connection": ["c"], "user": ["password:x"]}, "user must be <kind>:<value>"),
        ({"connection": ["c d"], "user": ["id:1"]}, "connection must be a connection name and user <kind>:<value>"),
        ({"connection": ["c"], "user": ["id:\x00"]}, "connection must be a connection name and user <kind>:<value>"),
    ],
)
def test_bad_queries_are_refused_with_a_short_reason(parameters, message):
    with pytest.raises(BadQuery) as raised:
        parse_query(parameters)
    assert str(raised.value).startswith(message)


def item(status_: str, recorded_at: str, **extra: str) -> dict:
    return {"status": {"S": status_}, "recorded_at": {"S": recorded_at}} | {k: {"S": v} for k, v in extra.items()}


def test_a_summary_holds_only_the_allow_listed_fields():
    items = [
        item("written_back", "3", reason="zendesk", writeback_reference="c-1", token="secret-looking"),
        item("failed", "1", reason="bad_credentials", connection="c", origin_system="zd", ticket_id="1"),
        item("unlocked", "2", reason="unlocked", vendor="pingone", vendor_reference="u-1", connection="c"),
    ]
    summary = summarise("r-1", items)
    assert summary["decision"]["reason"] == "unlocked"
    assert [a["reason"] for a in summary["attempts"]] == ["bad_credentials", "unlocked"]
    assert summary["writeback"] == [
        {
            "status": "written_back",
            "reason": "zendesk",
            "message": None,
            "writeback_reference": "c-1",
            "recorded_at": "3",
        }
    ]
    assert summary["origin"] == {"system": "zd", "ticket_id": "1"}
    assert (summary["first_seen"], summary["last_seen"]) == ("1", "3")
    assert "secret-looking" not in str(summary)


def test_a_request_with_only_an_attempt_has_no_decision():
    summary = summarise("r-2", [item("attempted", "1", reason="attempted")])
    assert summary["decision"] is None
    assert [a["status"] for a in summary["attempts"]] == ["attempted"]
