"""Auth0 log streams: the static ``Authorization`` header, the three content formats, the preset mapping."""

from __future__ import annotations

import json

import pytest

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.auth0_log_stream import Auth0LogStream
from account_unlock.sources.base import Delivery, SourceConfig, Unauthorized
from account_unlock.sources.mapping import MappingError, extract
from account_unlock.webhook import map_delivery
from local.auth0_senders import AUTH0_LOG_STREAM_SECRET
from local.signing import encode
from local.simulators.auth0 import log_event

KIND = Auth0LogStream()
DOMAIN = "acme.eu.auth0.com"
USER_ID = "auth0|5457edea1b8f22891a000004"
CONFIG = SourceConfig(
    kind="auth0-log-stream",
    secrets=[AUTH0_LOG_STREAM_SECRET],
    connections=["auth0-customers"],
    default_connection="auth0-customers",
    resolved_statuses=["limit_wc"],
)


def delivery(raw: bytes, authorization: str | None = AUTH0_LOG_STREAM_SECRET) -> Delivery:
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    return Delivery("auth0-events", headers, raw, 0.0)


def event(kind: str = "limit_wc", user_id: str | None = USER_ID, user_name: str | None = "jdoe@example.com") -> dict:
    return log_event(kind, DOMAIN, user_id, user_name)


def test_the_kind_is_registered_as_a_batched_identity_event_source_answering_200():
    assert SOURCE_KINDS["auth0-log-stream"].__class__ is Auth0LogStream
    assert (KIND.batched, KIND.detail_type, KIND.accepted_status) == (True, UNLOCK_REQUESTED, 200)


def test_the_authorization_token_authenticates_with_a_digest_of_the_body_as_delivery_id():
    raw = encode([event()])
    found = KIND.authenticate(delivery(raw), [AUTH0_LOG_STREAM_SECRET])
    assert found is not None
    assert found.startswith("sha256:")
    assert found == KIND.authenticate(delivery(raw), [AUTH0_LOG_STREAM_SECRET])
    assert KIND.authenticate(delivery(raw, "Bearer next"), [AUTH0_LOG_STREAM_SECRET, "Bearer next"])


@pytest.mark.parametrize(
    ("authorization", "secrets", "message"),
    [
        (None, [AUTH0_LOG_STREAM_SECRET], "missing header authorization"),
        ("", [AUTH0_LOG_STREAM_SECRET], "missing header authorization"),
        ("Bearer guessed", [AUTH0_LOG_STREAM_SECRET], "secret verification failed"),
        (AUTH0_LOG_STREAM_SECRET.removeprefix("Bearer "), [AUTH0_LOG_STREAM_SECRET], "verification failed"),
        (AUTH0_LOG_STREAM_SECRET.upper(), [AUTH0_LOG_STREAM_SECRET], "verification failed"),
        ("Bearer x", [""], "verification failed"),
    ],
)
def test_a_wrong_missing_or_unconfigured_token_is_refused(authorization, secrets, message):
    with pytest.raises(Unauthorized, match=message):
        KIND.authenticate(delivery(encode([event()]), authorization), secrets)


@pytest.mark.parametrize("content_format", ["JSONARRAY", "JSONLINES", "JSONOBJECT"])
def test_each_content_format_gives_its_events(content_format):
    events = [event(), event("s")]
    raw = {
        "JSONARRAY": json.dumps(events).encode(),
        "JSONLINES": b"\n".join(json.dumps(e).encode() for e in events) + b"\n",
        "JSONOBJECT": json.dumps(events[0]).encode(),
    }[content_format]

    items = KIND.items(KIND.payload(delivery(raw)))

    assert items == (events[:1] if content_format == "JSONOBJECT" else events)


@pytest.mark.parametrize("raw", [b"not json", b'{"log_id": 1}\nnot json\n', b"\xff\xfe"])
def test_a_body_in_no_content_format_is_not_json(raw):
    with pytest.raises(ValueError):  # noqa: PT011 - json's and UTF-8's errors, as the webhook catches them
        KIND.payload(delivery(raw))


@pytest.mark.parametrize("payload", [{"events": []}, "x", 3, None])
def test_a_body_that_is_not_log_events_is_a_mapping_error(payload):
    with pytest.raises(MappingError):
        KIND.items(payload)


def test_a_brute_force_block_maps_to_the_user_id_and_its_log_id():
    item = event()
    found = extract(KIND.preset, item, ["limit_wc"])
    assert (found.ticket_id, found.delivery_id, found.status, found.resolved) == (
        item["log_id"],
        item["log_id"],
        "limit_wc",
        True,
    )
    assert found.user == {"id": USER_ID}
    assert found.requested_by == "auth0:limit_wc"


def test_without_a_user_id_the_typed_identifier_is_the_login_id():
    assert extract(KIND.preset, event(user_id=None), ["limit_wc"]).user == {"login_id": "jdoe@example.com"}


def test_nothing_unlocks_without_an_opt_in():
    assert extract(KIND.preset, event(), None).resolved is False


def test_in_a_batch_only_opted_in_mappable_events_become_requests():
    raw = encode([event(), event("s"), event(user_id=None, user_name=None)])

    requests, skipped = map_delivery(CONFIG, KIND, delivery(raw), "sha256:x")

    [request] = requests
    assert request.user.id == USER_ID
    assert request.origin.system == "auth0-events"
    assert len(skipped) == 2
    assert "not resolved" in skipped[0]
    assert "missing field user" in skipped[1]
