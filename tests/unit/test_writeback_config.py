"""The ``writeback`` block of a source secret: templates over a fixed set of outcome fields, strict models."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from account_unlock.edge import field_names
from account_unlock.helpdesks import HELPDESKS
from account_unlock.helpdesks.base import COMMENT_FIELDS, outcome_kind
from account_unlock.helpdesks.jira import adf
from account_unlock.helpdesks.zendesk import ZendeskWriteBack
from account_unlock.models import UnlockOutcome

ZENDESK = {"base_url": "https://example.zendesk.com", "credentials": {"email": "bot@example.com", "api_token": "t0k"}}


def outcome(**changes: Any) -> UnlockOutcome:
    fields: dict[str, Any] = {
        "request_id": "r-1",
        "status": "unlocked",
        "reason": "unlocked",
        "message": "account unlocked",
        "connection": "pingone-workforce",
        "vendor": "pingone",
        "user": {"email": "jdoe@example.com"},
        "origin": {"system": "zendesk", "ticket_id": "1001"},
    }
    return UnlockOutcome.model_validate(fields | changes)


def invalid_fields(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        ZendeskWriteBack.model_validate(config)
    return field_names(caught.value)


def test_a_template_renders_the_outcome_fields():
    config = ZendeskWriteBack.model_validate(ZENDESK | {"templates": {"unlocked": "$ticket_id: $user ${reason}, $$5"}})

    assert config.comment(outcome()) == "1001: email=jdoe@example.com unlocked, $5"


@pytest.mark.parametrize(
    "template",
    [
        "$credentials",  # not an outcome field
        "${outcome.__class__}",  # no attribute access: not even a valid placeholder
        "{message.__init__.__globals__}",  # str.format syntax is plain text here, but $ alone is refused
        "price: $",
    ],
)
def test_a_template_can_reach_nothing_but_the_outcome_fields(template):
    if "$" not in template:
        config = ZendeskWriteBack.model_validate(ZENDESK | {"templates": {"failed": template}})
        assert config.comment(outcome(status="failed", reason="user_not_found")) == template
        return
    assert invalid_fields(ZENDESK | {"templates": {"failed": template}}) == ["templates.failed"]


def test_the_error_names_the_field_never_the_value():
    config = ZENDESK | {"credentials": {"email": "bot@example.com", "api_token": "t0k", "extra": "hunter2"}}

    with pytest.raises(ValidationError) as caught:
        ZendeskWriteBack.model_validate(config)

    assert field_names(caught.value) == ["credentials.extra"]
    assert "t0k" not in repr(ZendeskWriteBack.model_validate(ZENDESK))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base_url": "http://example.zendesk.com"}, "base_url"),
        ({"base_url": "https://user:pw@example.zendesk.com"}, "base_url"),
        ({"status": "deleted"}, "status"),
        ({"post_on": {"unlocked": True, "maybe": False}}, "post_on.maybe"),
        ({"public": "sometimes"}, "public"),
    ],
)
def test_invalid_fields_are_named(change, field):
    assert invalid_fields(ZENDESK | change) == [field]


def test_the_outcome_kinds():
    assert outcome_kind(outcome()) == "unlocked"
    assert outcome_kind(outcome(status="unlocked", reason="already_unlocked")) == "unlocked"
    assert outcome_kind(outcome(status="failed", reason="user_not_found")) == "failed"
    for reason in ("protected_account", "rate_limited_policy", "dry_run"):
        assert outcome_kind(outcome(status="failed", reason=reason)) == "refused"


def test_post_on_switches_each_kind():
    config = ZendeskWriteBack.model_validate(ZENDESK | {"post_on": {"failed": False}})

    assert config.posts(outcome())
    assert not config.posts(outcome(status="failed", reason="user_not_found"))
    assert config.posts(outcome(status="failed", reason="protected_account"))


def test_every_default_template_uses_only_outcome_fields_and_every_ticket_kind_has_a_helpdesk():
    config = ZendeskWriteBack.model_validate(ZENDESK)
    for kind in ("unlocked", "failed", "refused"):
        assert "$" not in config.comment(outcome(status="failed" if kind != "unlocked" else "unlocked"))
    assert set(HELPDESKS) == {
        "zendesk",
        "jira",
        "jira-automation",
        "servicenow",
        "freshservice",
        "standard-webhooks",
        "github-hmac",
    }
    assert "user" in COMMENT_FIELDS


def test_adf_has_one_paragraph_per_line():
    assert adf("a\n\nb") == {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "a"}]},
            {"type": "paragraph"},
            {"type": "paragraph", "content": [{"type": "text", "text": "b"}]},
        ],
    }
