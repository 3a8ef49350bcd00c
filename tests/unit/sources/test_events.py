"""The ready API Gateway events in events/ authenticate at their own time and carry a resolved ticket."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.base import Delivery, SourceConfig, Unauthorized
from account_unlock.sources.signatures import SIGNED_BODY_WINDOW_SECONDS
from account_unlock.webhook import authenticate, map_delivery
from local.events_writer import EVENT_TIME, EVENTS_DIR, sample_events, sample_requests
from local.samples import CONNECTIONS, HELPDESK_SOURCE, WEBHOOK_SECRET
from local.senders import source_configs

STEMS = sorted(sample_requests())
CONFIGS = source_configs() | {
    HELPDESK_SOURCE: {"kind": "standard-webhooks", "secrets": [WEBHOOK_SECRET], "connections": list(CONNECTIONS)}
}
TIMESTAMPED = {"webhook-zendesk", "webhook-standard-webhooks"}


def load(stem: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{stem}.json").read_text())


def delivery_of(event: dict[str, Any], received_at: float) -> Delivery:
    body = event["body"] or ""
    raw = base64.b64decode(body) if event["isBase64Encoded"] else body.encode()
    principal = event["requestContext"]["identity"].get("userArn") if event["resource"].startswith("/iam/") else None
    headers = {k.lower(): v for k, v in event["headers"].items()}
    return Delivery(event["pathParameters"]["source"], headers, raw, received_at, principal)


def test_there_is_one_event_per_ticketing_kind_and_for_standard_webhooks():
    kinds = {kind for kind, *_ in sample_requests().values()}
    assert kinds == {
        "zendesk",
        "jira",
        "jira-automation",
        "servicenow",
        "freshservice",
        "github-hmac",
        "standard-webhooks",
    }
    assert {f"webhook-{kind}" for kind in kinds} <= set(STEMS)


@pytest.mark.parametrize("stem", STEMS)
def test_the_event_file_is_the_current_sample(stem):
    event, expected = load(stem), sample_events()[stem]
    for key in ("resource", "path", "pathParameters", "headers", "body", "isBase64Encoded"):
        assert event[key] == expected[key], key
    assert event["requestContext"]["requestTimeEpoch"] == EVENT_TIME * 1000
    assert event["requestContext"]["identity"] == expected["requestContext"]["identity"]


@pytest.mark.parametrize("stem", STEMS)
def test_the_event_authenticates_at_its_timestamp_and_maps_to_a_resolved_ticket(stem):
    event = load(stem)
    delivery = delivery_of(event, event["requestContext"]["requestTimeEpoch"] / 1000)
    config = SourceConfig.model_validate(CONFIGS[delivery.source])
    kind = SOURCE_KINDS[config.kind]
    delivery_id = authenticate(config, kind, delivery)
    requests, skipped = map_delivery(config, kind, delivery, delivery_id)
    assert skipped == []
    [request] = requests
    assert request.origin.system == delivery.source
    assert request.connection in config.connections


@pytest.mark.parametrize("stem", sorted(TIMESTAMPED))
def test_a_timestamped_event_is_stale_six_minutes_later(stem):
    event = load(stem)
    delivery = delivery_of(event, EVENT_TIME + 360)
    config = SourceConfig.model_validate(CONFIGS[delivery.source])
    with pytest.raises(Unauthorized, match="outside the tolerance"):
        authenticate(config, SOURCE_KINDS[config.kind], delivery)


def test_the_jira_event_is_stale_once_its_signed_timestamp_is_older_than_the_window():
    """Jira signs the body's ``timestamp``: a captured delivery is refused after the 48 h window."""
    event = load("webhook-jira")
    delivery = delivery_of(event, EVENT_TIME + SIGNED_BODY_WINDOW_SECONDS + 60)
    config = SourceConfig.model_validate(CONFIGS[delivery.source])
    with pytest.raises(Unauthorized, match="timestamp"):
        authenticate(config, SOURCE_KINDS[config.kind], delivery)
