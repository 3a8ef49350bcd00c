"""events/webhook-<kind>.json of the identity-event kinds: up to date, and authentic at their own time."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from account_unlock.http import VendorHttp
from account_unlock.sources.auth0_log_stream import Auth0LogStream
from account_unlock.sources.base import Delivery, SourceKind, Unauthorized
from account_unlock.sources.gigya_keys import KeyCache
from account_unlock.sources.gigya_webhook import GigyaSourceConfig, GigyaWebhook
from account_unlock.sources.loginradius_webhook import LoginRadiusWebhook
from account_unlock.sources.mapping import extract
from account_unlock.sources.okta_event_hook import OktaEventHook
from account_unlock.sources.pingone_subscription import PingOneSubscription
from local.auth0_senders import AUTH0_LOG_STREAM_SECRET, AUTH0_SOURCE, AUTH0_UNLOCK_EVENTS
from local.events_writer import EVENT_TIME, EVENTS_DIR, event_file, event_requests
from local.identity_senders import (
    GIGYA_UNLOCK_EVENTS,
    LOGINRADIUS_UNLOCK_EVENTS,
    LOGINRADIUS_WEBHOOK_SECRET,
    PINGONE_SUBSCRIPTION_SECRET,
    PINGONE_UNLOCK_EVENTS,
    SOURCES,
)
from local.okta_senders import OKTA_HOOK_SECRET, OKTA_SOURCE, OKTA_UNLOCK_EVENTS
from local.samples import GIGYA_API_KEY, GIGYA_CONNECTION, GIGYA_SECRET, GIGYA_USER_KEY
from local.simulators.gigya import GigyaSimulator

KINDS = {
    "loginradius-webhook": (LoginRadiusWebhook(), LOGINRADIUS_WEBHOOK_SECRET, LOGINRADIUS_UNLOCK_EVENTS),
    "gigya-webhook": (GigyaWebhook(), "", GIGYA_UNLOCK_EVENTS),  # the JWT is verified with the site's keys
    "pingone-subscription": (PingOneSubscription(), PINGONE_SUBSCRIPTION_SECRET, PINGONE_UNLOCK_EVENTS),
    "okta-event-hook": (OktaEventHook(), OKTA_HOOK_SECRET, OKTA_UNLOCK_EVENTS),
    "auth0-log-stream": (Auth0LogStream(), AUTH0_LOG_STREAM_SECRET, AUTH0_UNLOCK_EVENTS),
}
# kind → the local source its file is posted to
POSTED_TO = SOURCES | {"okta-event-hook": OKTA_SOURCE, "auth0-log-stream": AUTH0_SOURCE}


@pytest.fixture(scope="module")
def gigya_site() -> Iterator[GigyaSimulator]:
    """The local Gigya site whose key signed events/webhook-gigya-webhook.json."""
    simulator = GigyaSimulator(GIGYA_API_KEY, GIGYA_USER_KEY, GIGYA_SECRET).start()
    yield simulator
    simulator.stop()


def verifier(kind: str, site: GigyaSimulator) -> SourceKind:
    source_kind = KINDS[kind][0]
    if not isinstance(source_kind, GigyaWebhook):
        return source_kind
    config = {"kind": kind, "api_key": GIGYA_API_KEY, "base_url": site.url, "connections": [GIGYA_CONNECTION]}
    return GigyaWebhook(keys=KeyCache(lambda: VendorHttp("gigya"))).bind(GigyaSourceConfig.model_validate(config))


def load(kind: str) -> dict:
    return json.loads((EVENTS_DIR / f"webhook-{kind}.json").read_text())


def delivery_of(event: dict, received_at: float) -> Delivery:
    body = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    headers = {name.lower(): value for name, value in event["headers"].items()}
    return Delivery(event["pathParameters"]["source"], headers, body, received_at)


def test_every_identity_event_file_is_checked_here():
    assert set(event_requests()) == set(POSTED_TO) == set(KINDS)


@pytest.mark.parametrize("kind", POSTED_TO)
def test_events_file_is_current(kind):
    assert load(kind) == event_file(kind), "regenerate: make events"


@pytest.mark.parametrize("kind", POSTED_TO)
def test_events_file_authenticates_at_its_timestamp(kind, gigya_site):
    source_kind, secret, _ = KINDS[kind]
    event = load(kind)
    assert event["path"] == f"/webhooks/{POSTED_TO[kind]}"
    assert verifier(kind, gigya_site).authenticate(delivery_of(event, EVENT_TIME), [secret])
    if isinstance(source_kind, GigyaWebhook):  # no secret to get wrong: a body changed after signing
        event["body"] = event["body"].replace("gigya-uid-bob", "gigya-uid-eve")
    with pytest.raises(Unauthorized):
        verifier(kind, gigya_site).authenticate(
            delivery_of(event, EVENT_TIME), ["Bearer other" if kind.startswith("ping") else "b3RoZXI="]
        )


@pytest.mark.parametrize("kind", POSTED_TO)
def test_events_file_carries_an_opted_in_event_for_a_user(kind):
    source_kind, _, unlock_events = KINDS[kind]
    payload = source_kind.payload(delivery_of(load(kind), EVENT_TIME))
    [item] = source_kind.items(payload)
    found = extract(source_kind.preset, item, unlock_events)
    assert found.resolved
    assert list(found.user) == ["id"]
    assert not extract(source_kind.preset, item).resolved  # and nothing without the opt-in
