"""Okta Event Hooks: the static authentication header, the one-time verification, the event batches."""

from __future__ import annotations

import json

import pytest

from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.mapping import MappingError
from account_unlock.sources.okta_event_hook import OktaEventHook, OktaEventHookConfig
from account_unlock.webhook import map_delivery
from local.okta_senders import (
    OKTA_HOOK_SECRET,
    okta_delivery,
    okta_event,
    okta_headers,
    okta_source_secret,
    okta_verification_headers,
)
from local.signing import encode

KIND = SOURCE_KINDS["okta-event-hook"]
USER_ID = "00ub0oNGTSWTBKOLGLNR"


def delivery(raw: bytes, headers: dict[str, str]) -> Delivery:
    return Delivery("okta-events", {k.lower(): v for k, v in headers.items()}, raw, 0.0)


def lock(*event_types: str) -> bytes:
    return encode(okta_delivery(*(okta_event(kind, USER_ID, "jdoe@acme.example") for kind in event_types)))


def config(**changes) -> OktaEventHookConfig:
    return OktaEventHookConfig.model_validate(okta_source_secret() | changes)


def test_registered_as_an_identity_event_kind_answering_200():
    assert isinstance(KIND, OktaEventHook)
    assert (KIND.detail_type, KIND.batched, KIND.accepted_status) == (UNLOCK_REQUESTED, True, 200)


def test_the_authentication_header_authenticates_and_the_event_id_is_the_delivery_id():
    raw = lock("user.account.lock")
    assert KIND.authenticate(delivery(raw, okta_headers()), [OKTA_HOOK_SECRET]) == json.loads(raw)["eventId"]


def test_without_an_event_id_the_body_digest_is_the_delivery_id():
    body = okta_delivery(okta_event("user.account.lock", USER_ID, "jdoe@acme.example"))
    del body["eventId"]
    found = KIND.authenticate(delivery(encode(body), okta_headers()), [OKTA_HOOK_SECRET])
    assert found is not None
    assert found.startswith("sha256:")


def test_every_active_secret_is_tried_and_the_configured_header_name_is_read():
    bound = KIND.bind(config(auth_header="X-Okta-Hook-Key"))
    headers = okta_headers("next-secret", field="X-Okta-Hook-Key")
    assert bound.authenticate(delivery(lock(), headers), [OKTA_HOOK_SECRET, "next-secret"])
    with pytest.raises(Unauthorized, match="missing header x-okta-hook-key"):
        bound.authenticate(delivery(lock(), okta_headers()), [OKTA_HOOK_SECRET])


@pytest.mark.parametrize(
    ("headers", "secrets", "message"),
    [
        ({"Content-Type": "application/json"}, [OKTA_HOOK_SECRET], "missing header authorization"),
        (okta_headers("guessed"), [OKTA_HOOK_SECRET], "secret verification failed"),
        (okta_headers(OKTA_HOOK_SECRET + " "), [OKTA_HOOK_SECRET], "verification failed"),
        (okta_headers("x"), [""], "verification failed"),
    ],
)
def test_wrong_missing_or_unconfigured_header_is_refused(headers, secrets, message):
    with pytest.raises(Unauthorized, match=message):
        KIND.authenticate(delivery(lock("user.account.lock"), headers), secrets)


@pytest.mark.parametrize("header", ["auth header", "", "x" * 65, "Authorization:"])
def test_the_header_name_must_be_an_http_token(header):
    with pytest.raises(ValueError, match="auth_header"):
        config(auth_header=header)


# the one-time verification ----------------------------------------------------------------------
def test_verification_echoes_the_challenge_once_the_header_verified():
    headers = okta_verification_headers("Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg")
    answer = KIND.verification(delivery(b"", headers), [OKTA_HOOK_SECRET])
    assert answer == {"verification": "Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg"}


def test_verification_with_a_wrong_secret_echoes_nothing():
    with pytest.raises(Unauthorized, match="secret verification failed"):
        KIND.verification(delivery(b"", okta_verification_headers(secret="guessed")), [OKTA_HOOK_SECRET])


@pytest.mark.parametrize("challenge", ["", '"><script>', "a b", "x" * 513, "é"])
def test_verification_refuses_what_is_not_a_challenge(challenge):
    headers = okta_verification_headers() | {"X-Okta-Verification-Challenge": challenge}
    with pytest.raises(Unauthorized):
        KIND.verification(delivery(b"", headers), [OKTA_HOOK_SECRET])


# the events ------------------------------------------------------------------------------------
def test_nothing_unlocks_without_opt_in():
    raw = lock("user.account.lock")
    requests, skipped = map_delivery(config(resolved_statuses=None), KIND, delivery(raw, okta_headers()), "d1")
    assert requests == []
    assert "status user.account.lock" in skipped[0]


def test_an_opted_in_lock_becomes_one_request_for_the_target_user_and_others_are_skipped():
    raw = lock("user.session.start", "user.account.lock")
    requests, skipped = map_delivery(config(), KIND, delivery(raw, okta_headers()), "d1")

    [unlock] = requests
    assert unlock.user.kind == "id"
    assert unlock.user.value == USER_ID
    assert unlock.origin.ticket_id == unlock.origin.delivery_id  # the event's uuid
    assert unlock.requested_by == "okta:user.account.lock"
    assert unlock.reason == "Max sign in attempts exceeded"
    assert len(skipped) == 1


def test_an_event_without_a_user_target_is_skipped_not_fatal():
    body = okta_delivery(okta_event("user.account.lock", USER_ID, "jdoe@acme.example"))
    body["data"]["events"].append({"uuid": "e2", "eventType": "user.account.lock", "target": []})
    requests, skipped = map_delivery(config(), KIND, delivery(encode(body), okta_headers()), "d1")
    assert len(requests) == 1
    assert len(skipped) == 1
    assert "item 1" in skipped[0]


@pytest.mark.parametrize("payload", [[], {"data": []}, {"data": {"events": {}}}, {"eventType": "x"}])
def test_a_body_that_is_not_a_delivery_is_a_mapping_error(payload):
    with pytest.raises(MappingError, match=r"data\.events"):
        KIND.items(payload)
