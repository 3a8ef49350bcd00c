"""Gigya webhooks: the ``X-Gigya-Sig-JWT`` default against the simulator's keys, the legacy HMAC opt-in.

The kind is bound to a source whose ``base_url`` is the Gigya simulator (``gigya_sim``, a real
socket): its ``accounts.getJWTPublicKey`` publishes the site's keys. Each test has its own key
cache on a clock it moves by hand, so that counting the key requests needs no wall clock.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from account_unlock.errors import TransientError
from account_unlock.http import VendorHttp
from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.gigya_keys import REFETCH_INTERVAL_SECONDS, KeyCache, rsa_key
from account_unlock.sources.gigya_webhook import GigyaSourceConfig, GigyaWebhook, body_hash
from account_unlock.sources.mapping import MappingError, extract
from local.identity_senders import GIGYA_WEBHOOK_SECRET, gigya_notification
from local.signing import encode, gigya_body_hash, gigya_hmac_signature, gigya_webhook_jwt
from local.simulators.gigya import LOCAL_SITE_KEY, GigyaSimulator, new_site_key
from tests.fixtures.gigya import API_KEY

NOW = 1_767_225_600
KEYS_PATH = r"/accounts\.getJWTPublicKey$"
# The example notification of Gigya's documentation (two accountRegistered events).
DOCUMENTED = {
    "events": [
        {
            "type": "accountRegistered",
            "id": "b3e95b42-5788-49a7-842a-90c0f183d653",
            "timestamp": 1450011476,
            "data": {"uid": "1"},
        },
        {
            "type": "accountRegistered",
            "id": "c3e95b42-5788-49a7-842a-90c0f183d664",
            "timestamp": 1450011477,
            "data": {"uid": "2"},
        },
    ],
    "nonce": "8693aa10-9c75-48c9-a959-6ef1ae2b6b54",
    "timestamp": 1450011477,
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = REFETCH_INTERVAL_SECONDS) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(clock) -> KeyCache:
    return KeyCache(lambda: VendorHttp("gigya", connect_timeout=1.0, read_timeout=1.5, retries=1), clock=clock)


def jwt_source(sim: GigyaSimulator, **changes: Any) -> GigyaSourceConfig:
    fields = {"kind": "gigya-webhook", "api_key": API_KEY, "base_url": sim.url, "connections": ["gigya-main"]}
    return GigyaSourceConfig.model_validate(fields | changes)


@pytest.fixture
def kind(gigya_sim, keys) -> GigyaWebhook:
    return bound(jwt_source(gigya_sim), keys)


def bound(config: GigyaSourceConfig, keys: KeyCache) -> GigyaWebhook:
    kind = GigyaWebhook(keys=keys).bind(config)
    assert isinstance(kind, GigyaWebhook)
    return kind


def notification(*events: tuple[str, str], moment: int = NOW, nonce: str = "nonce-1") -> bytes:
    return encode(gigya_notification(list(events), nonce=nonce, moment=moment))


def delivery(raw: bytes, token: str | None = None, *, received_at: float = NOW, **signing: Any) -> Delivery:
    headers = {"content-type": "application/json"}
    if token != "":
        headers["x-gigya-sig-jwt"] = token or gigya_webhook_jwt(raw, API_KEY, issued_at=NOW, **signing)
    return Delivery("gigya", headers, raw, received_at)


def key_requests(sim: GigyaSimulator) -> int:
    return len(sim.calls("GET", KEYS_PATH))


def unsigned_token(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token with any header and payload; ``signature`` is taken as given (e.g. an HMAC)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(payload).encode())}"
    return f"{signing_input}.{part(signature)}"


def claims_for(raw: bytes, **changes: Any) -> dict[str, Any]:
    iss = f"https://fidm.gigya.com/jwt/{API_KEY}/"
    return {"sub": gigya_body_hash(raw), "iat": NOW, "exp": NOW + 60, "iss": iss} | changes


# the JWT ------------------------------------------------------------------------------------------
def test_body_hash_is_unpadded_base64url_of_sha256():
    raw = encode(DOCUMENTED)
    expected = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    assert body_hash(raw) == expected
    assert len(expected) == 43


def test_signed_notification_is_accepted_with_the_nonce_as_delivery_id(kind, gigya_sim):
    raw = encode(DOCUMENTED)
    assert kind.authenticate(delivery(raw), []) == DOCUMENTED["nonce"]
    [fetch] = gigya_sim.calls("GET", KEYS_PATH)
    assert fetch.query == {"apiKey": [API_KEY], "V2": ["true"], "format": ["json"]}


def test_a_body_changed_after_signing_is_refused(kind):
    raw = notification(("accountUpdated", "victim"))
    token = gigya_webhook_jwt(raw, API_KEY, issued_at=NOW)
    with pytest.raises(Unauthorized, match="the body does not match x-gigya-sig-jwt"):
        kind.authenticate(delivery(raw.replace(b"victim", b"attack"), token), [])


def test_the_hash_is_over_the_raw_bytes_not_the_parsed_json(kind):
    raw = notification(("accountUpdated", "u1"))
    token = gigya_webhook_jwt(raw, API_KEY, issued_at=NOW)
    respaced = json.dumps(json.loads(raw), indent=1).encode()
    with pytest.raises(Unauthorized, match="the body does not match"):
        kind.authenticate(delivery(respaced, token), [])


def test_a_token_signed_with_another_key_under_the_sites_kid_is_refused(kind):
    impostor = new_site_key(LOCAL_SITE_KEY.kid)
    with pytest.raises(Unauthorized, match="signature verification failed"):
        kind.authenticate(delivery(notification(), site_key=impostor), [])


def test_an_unknown_kid_refetches_once_then_is_refused(kind, gigya_sim, clock):
    raw = notification(("accountUpdated", "u1"))
    kind.authenticate(delivery(raw), [])  # the site's keys, fetched once
    clock.advance()
    with pytest.raises(Unauthorized, match="signed with a key the site does not publish"):
        kind.authenticate(delivery(raw, site_key=new_site_key("not-published")), [])
    assert key_requests(gigya_sim) == 2
    with pytest.raises(Unauthorized, match="does not publish"):
        kind.authenticate(delivery(raw, site_key=new_site_key("another-one")), [])
    assert key_requests(gigya_sim) == 2  # not again within the interval


def test_a_rotated_key_is_fetched_and_the_previous_one_still_verifies(kind, gigya_sim, clock):
    raw = notification(("accountUpdated", "u1"))
    kind.authenticate(delivery(raw), [])
    clock.advance()
    rotated = gigya_sim.rotate_site_key()
    assert kind.authenticate(delivery(raw, site_key=rotated), []) == "nonce-1"
    assert kind.authenticate(delivery(raw, site_key=LOCAL_SITE_KEY), []) == "nonce-1"
    assert key_requests(gigya_sim) == 2


def test_keys_are_cached_across_notifications(kind, gigya_sim):
    for nonce in ("n1", "n2", "n3"):
        kind.authenticate(delivery(notification(("accountUpdated", "u1"), nonce=nonce)), [])
    assert key_requests(gigya_sim) == 1


def test_an_unsigned_notification_is_refused_without_asking_gigya(kind, gigya_sim):
    with pytest.raises(Unauthorized, match="missing header x-gigya-sig-jwt"):
        kind.authenticate(delivery(notification(), ""), [])
    assert key_requests(gigya_sim) == 0


def test_the_legacy_hmac_header_does_not_authenticate_a_jwt_source(kind):
    raw = notification()
    headers = {"x-gigya-sig-hmac-sha1": gigya_hmac_signature(GIGYA_WEBHOOK_SECRET, raw)}
    with pytest.raises(Unauthorized, match="missing header x-gigya-sig-jwt"):
        kind.authenticate(Delivery("gigya", headers, raw, NOW), [GIGYA_WEBHOOK_SECRET])


@pytest.mark.parametrize(
    ("received_at", "message"),
    [
        (NOW + 60 + 121, "has expired"),  # exp + the 120 s of clock skew SAP's SDK allows
        (NOW + 3600, "has expired"),  # a token kept for a re-send an hour later
        (NOW - 121, "is not valid yet"),
    ],
)
def test_a_token_outside_iat_exp_and_the_skew_is_refused(kind, received_at, message):
    with pytest.raises(Unauthorized, match=message):
        kind.authenticate(delivery(notification(), received_at=received_at), [])


@pytest.mark.parametrize("received_at", [NOW - 120, NOW, NOW + 60 + 120])
def test_a_token_within_iat_exp_and_the_skew_is_accepted(kind, received_at):
    assert kind.authenticate(delivery(notification(), received_at=received_at), []) == "nonce-1"


def test_a_resent_notification_signed_anew_verifies_whatever_the_age_of_its_body(kind):
    raw = notification(("accountUpdated", "u1"), moment=NOW - 3000)  # body from 50 minutes ago
    assert kind.authenticate(delivery(raw), []) == "nonce-1"


def test_alg_none_is_refused_before_any_key_lookup(kind, gigya_sim):
    raw = notification()
    token = unsigned_token({"alg": "none", "kid": LOCAL_SITE_KEY.kid, "typ": "JWT"}, claims_for(raw))
    with pytest.raises(Unauthorized, match="must be signed with RS256"):
        kind.authenticate(delivery(raw, token), [])
    assert key_requests(gigya_sim) == 0


def test_hs256_keyed_with_the_public_key_is_refused(kind, gigya_sim):
    raw = notification()
    public_pem = (
        LOCAL_SITE_KEY.private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "kid": LOCAL_SITE_KEY.kid, "typ": "JWT"}
    forged = unsigned_token(header, claims_for(raw))
    signing_input = forged.rsplit(".", 1)[0].encode()
    token = unsigned_token(header, claims_for(raw), hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    with pytest.raises(Unauthorized, match="must be signed with RS256"):
        kind.authenticate(delivery(raw, token), [])
    assert key_requests(gigya_sim) == 0


def test_a_header_claiming_rs256_over_an_hmac_signature_fails_verification(kind):
    raw = notification()
    header = {"alg": "RS256", "kid": LOCAL_SITE_KEY.kid, "typ": "JWT"}
    token = unsigned_token(header, claims_for(raw), hmac.new(b"k", b"x", hashlib.sha256).digest())
    with pytest.raises(Unauthorized, match="signature verification failed"):
        kind.authenticate(delivery(raw, token), [])


def test_another_rsa_algorithm_by_the_sites_own_key_is_refused(kind):
    raw = notification()
    token = jwt.encode(claims_for(raw), LOCAL_SITE_KEY.private_key(), algorithm="PS256", headers={"kid": "x"})
    with pytest.raises(Unauthorized, match="must be signed with RS256"):
        kind.authenticate(delivery(raw, token), [])


def test_a_token_issued_for_another_site_is_refused(kind):
    raw = notification()
    token = gigya_webhook_jwt(raw, "3_another-site", issued_at=NOW)
    with pytest.raises(Unauthorized, match="was issued for another site"):
        kind.authenticate(delivery(raw, token), [])


@pytest.mark.parametrize("claim", ["sub", "iat", "exp", "iss"])
def test_a_token_without_a_required_claim_is_refused(kind, claim):
    raw = notification()
    claims = claims_for(raw)
    del claims[claim]
    token = jwt.encode(claims, LOCAL_SITE_KEY.private_key(), algorithm="RS256", headers={"kid": LOCAL_SITE_KEY.kid})
    with pytest.raises(Unauthorized, match=f"has no {claim} claim"):
        kind.authenticate(delivery(raw, token), [])


def test_an_id_token_of_the_site_cannot_stand_in_for_a_webhook_token(kind):
    """Gigya signs its login id_tokens with the same keys and issuer; their ``sub`` is a UID."""
    raw = notification(("accountUpdated", "u1"))
    token = gigya_webhook_jwt(raw, API_KEY, issued_at=NOW, sub="a1b2c3d4e5f60718293a4b5c6d7e8f90", exp=NOW + 86400)
    with pytest.raises(Unauthorized, match="the body does not match"):
        kind.authenticate(delivery(raw, token), [])


@pytest.mark.parametrize("token", ["not a jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.", "\udcff.x.y", "..."])
def test_a_header_that_is_not_a_jwt_is_refused(kind, token):
    with pytest.raises(Unauthorized, match="x-gigya-sig-jwt"):
        kind.authenticate(delivery(notification(), token), [])


def test_a_token_without_a_kid_is_refused(kind):
    raw = notification()
    token = jwt.encode(claims_for(raw), LOCAL_SITE_KEY.private_key(), algorithm="RS256")
    with pytest.raises(Unauthorized, match="names no valid kid"):
        kind.authenticate(delivery(raw, token), [])


def test_no_nonce_means_no_delivery_id(kind):
    payload = gigya_notification([], moment=NOW)
    del payload["nonce"]
    assert kind.authenticate(delivery(encode(payload)), []) is None


# the site's keys ----------------------------------------------------------------------------------
def test_keys_unavailable_is_transient_and_not_asked_again_within_the_interval(kind, gigya_sim, clock):
    gigya_sim.fail(503, {"message": "down"}, path=KEYS_PATH, times=2)  # the answer and its one retry
    with pytest.raises(TransientError):
        kind.authenticate(delivery(notification()), [])
    with pytest.raises(TransientError):
        kind.authenticate(delivery(notification()), [])
    assert key_requests(gigya_sim) == 2
    clock.advance()
    assert kind.authenticate(delivery(notification()), []) == "nonce-1"
    assert key_requests(gigya_sim) == 3


def test_a_gigya_error_answer_for_the_keys_is_transient(gigya_sim, keys):
    kind = bound(jwt_source(gigya_sim, api_key="3_not-this-site"), keys)
    with pytest.raises(TransientError, match="errorCode 400093"):
        kind.authenticate(delivery(notification()), [])


def test_keys_already_known_still_verify_while_gigya_is_down(kind, gigya_sim, clock):
    kind.authenticate(delivery(notification()), [])
    clock.advance()
    gigya_sim.fail(500, path=KEYS_PATH, times=10)
    assert kind.authenticate(delivery(notification(nonce="n2")), []) == "n2"


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "kid": "k", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "k", "alg": "RS512", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "k", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "k", "n": 7, "e": "AQAB"},
        "not a jwk",
    ],
)
def test_only_public_rsa_signing_keys_for_rs256_are_kept(jwk):
    assert rsa_key(jwk) is None


def test_a_jwk_with_private_parts_is_not_kept():
    private = jwt.algorithms.RSAAlgorithm.to_jwk(LOCAL_SITE_KEY.private_key(), as_dict=True)
    assert rsa_key(private | {"kid": "k"}) is None
    public = LOCAL_SITE_KEY.public_jwk()
    assert rsa_key(public) is not None


# the source secret --------------------------------------------------------------------------------
def test_the_key_endpoint_is_the_data_centers_api_root():
    config = GigyaSourceConfig.model_validate(
        {"kind": "gigya-webhook", "api_key": API_KEY, "data_center": "eu1", "connections": ["c"]}
    )
    assert config.signature == "jwt"
    assert config.keys_endpoint == "https://accounts.eu1.gigya.com/accounts.getJWTPublicKey"
    assert config.issuer == f"https://fidm.gigya.com/jwt/{API_KEY}/"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"api_key": API_KEY}, "needs the site's api_key and data_center"),
        ({"data_center": "us1"}, "needs the site's api_key"),
        ({"api_key": API_KEY, "data_center": "us1", "secrets": ["c2VjcmV0"]}, "only with signature 'hmac-sha1'"),
        ({"api_key": API_KEY, "base_url": "http://gigya.example.com"}, "must use https"),
        ({"signature": "hmac-sha1"}, "needs at least one secret"),
        ({"signature": "hmac-sha1", "secrets": ["c2VjcmV0"], "api_key": API_KEY}, "settings of signature 'jwt'"),
        (
            {
                "api_key": API_KEY,
                "data_center": "us1",
                "auth": "iam",
                "iam_principals": ["arn:aws:iam::123456789012:role/x"],
            },
            "SigV4",
        ),
        ({"api_key": API_KEY, "data_center": "xx1"}, "data_center"),
        ({"api_key": API_KEY, "data_center": "us1", "signature": "rsa"}, "signature"),
        ({"api_key": API_KEY, "data_center": "us1", "secret": "typo"}, "secret"),
    ],
)
def test_an_unusable_source_secret_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        GigyaSourceConfig.model_validate({"kind": "gigya-webhook", "connections": ["c"]} | fields)


def test_the_registered_kind_without_a_source_refuses():
    with pytest.raises(Unauthorized, match="no Gigya site configured"):
        GigyaWebhook().authenticate(delivery(notification(), "x"), [])


# legacy X-Gigya-Sig-Hmac-Sha1 (opt-in) -------------------------------------------------------------
@pytest.fixture
def legacy(keys) -> GigyaWebhook:
    config = GigyaSourceConfig.model_validate(
        {"kind": "gigya-webhook", "signature": "hmac-sha1", "secrets": [GIGYA_WEBHOOK_SECRET], "connections": ["c"]}
    )
    return bound(config, keys)


def hmac_delivery(raw: bytes, signature: str | None = None, *, received_at: float = NOW) -> Delivery:
    headers = {"content-type": "application/json"}
    if signature != "":
        headers["x-gigya-sig-hmac-sha1"] = signature or gigya_hmac_signature(GIGYA_WEBHOOK_SECRET, raw)
    return Delivery("gigya", headers, raw, received_at)


def test_legacy_signature_is_base64_hmac_sha1_keyed_with_the_decoded_secret():
    raw = encode(DOCUMENTED)
    digest = hmac.new(base64.b64decode(GIGYA_WEBHOOK_SECRET), raw, hashlib.sha1).digest()
    assert gigya_hmac_signature(GIGYA_WEBHOOK_SECRET, raw) == base64.b64encode(digest).decode()


def test_legacy_documented_notification_is_accepted_when_opted_in(legacy):
    raw = encode(DOCUMENTED)
    found = legacy.authenticate(hmac_delivery(raw, received_at=DOCUMENTED["timestamp"] + 30), [GIGYA_WEBHOOK_SECRET])
    assert found == DOCUMENTED["nonce"]


def test_legacy_rotated_secret_still_verifies(legacy):
    raw = notification(("accountUpdated", "u1"))
    other = base64.b64encode(b"the-next-gigya-secret").decode()
    assert legacy.authenticate(
        hmac_delivery(raw, gigya_hmac_signature(other, raw)), ["not base64 at all", GIGYA_WEBHOOK_SECRET, other]
    )


def test_legacy_tampered_body_or_other_secret_is_refused(legacy):
    raw = notification(("accountUpdated", "victim"))
    with pytest.raises(Unauthorized, match="signature verification failed"):
        legacy.authenticate(
            hmac_delivery(raw.replace(b"victim", b"attack"), gigya_hmac_signature(GIGYA_WEBHOOK_SECRET, raw)),
            [GIGYA_WEBHOOK_SECRET],
        )
    with pytest.raises(Unauthorized, match="signature verification failed"):
        legacy.authenticate(
            hmac_delivery(raw, gigya_hmac_signature(base64.b64encode(b"guess").decode(), raw)), [GIGYA_WEBHOOK_SECRET]
        )


def test_legacy_secret_used_as_text_instead_of_decoded_does_not_verify(legacy):
    raw = notification(("accountUpdated", "u1"))
    as_text = base64.b64encode(hmac.new(GIGYA_WEBHOOK_SECRET.encode(), raw, hashlib.sha1).digest()).decode()
    with pytest.raises(Unauthorized):
        legacy.authenticate(hmac_delivery(raw, as_text), [GIGYA_WEBHOOK_SECRET])


def test_legacy_source_refuses_a_jwt_signed_notification(legacy):
    raw = notification()
    with pytest.raises(Unauthorized, match="missing header x-gigya-sig-hmac-sha1"):
        legacy.authenticate(delivery(raw), [GIGYA_WEBHOOK_SECRET])


@pytest.mark.parametrize("offset", [-310, 310, -3600])
def test_legacy_timestamp_outside_five_minutes_is_refused(legacy, offset):
    raw = notification(("accountUpdated", "u1"), moment=NOW + offset)
    with pytest.raises(Unauthorized, match="timestamp is outside the tolerance"):
        legacy.authenticate(hmac_delivery(raw), [GIGYA_WEBHOOK_SECRET])


@pytest.mark.parametrize("timestamp", [None, "soon", True, [NOW]])
def test_legacy_signed_body_without_a_usable_timestamp_is_refused(legacy, timestamp):
    raw = encode(gigya_notification([], moment=NOW) | {"timestamp": timestamp})
    with pytest.raises(Unauthorized, match="timestamp is missing"):
        legacy.authenticate(hmac_delivery(raw), [GIGYA_WEBHOOK_SECRET])


def test_legacy_millisecond_timestamp_is_read_as_such(legacy):
    raw = encode(gigya_notification([], moment=NOW) | {"timestamp": NOW * 1000 + 250})
    assert legacy.authenticate(hmac_delivery(raw), [GIGYA_WEBHOOK_SECRET])


# the payload --------------------------------------------------------------------------------------
def test_events_are_the_items_of_a_batch():
    kind = GigyaWebhook()
    assert kind.batched
    assert kind.detail_type == UNLOCK_REQUESTED
    assert kind.items(DOCUMENTED) == DOCUMENTED["events"]
    assert kind.items({"events": [], "nonce": "n"}) == []


@pytest.mark.parametrize("payload", [{}, {"events": {"type": "x"}}, [DOCUMENTED], "events"])
def test_a_body_without_an_events_list_is_a_mapping_error(payload):
    with pytest.raises(MappingError, match="events"):
        GigyaWebhook().items(payload)


def test_no_event_type_unlocks_without_opt_in():
    kind = GigyaWebhook()
    for event in kind.items(json.loads(notification(("accountUpdated", "u"), ("accountLoggedIn", "v")))):
        assert not extract(kind.preset, event).resolved


def test_opted_in_events_map_uid_and_event_id():
    preset = GigyaWebhook.preset
    found = extract(preset, DOCUMENTED["events"][0], ["accountRegistered"])
    assert found.resolved
    assert (found.ticket_id, found.delivery_id) == (DOCUMENTED["events"][0]["id"],) * 2
    assert found.user == {"id": "1"}
    assert found.requested_by == "gigya:accountRegistered"
    assert not extract(preset, DOCUMENTED["events"][0], ["accountUpdated"]).resolved


def test_event_without_uid_is_a_mapping_error_naming_the_user():
    event = {"type": "accountUpdated", "id": "e1", "data": {}}
    with pytest.raises(MappingError, match="field user needs exactly one"):
        extract(GigyaWebhook.preset, event, ["accountUpdated"])


# properties ---------------------------------------------------------------------------------------
JWT_LIKE = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda header, payload, signature: unsigned_token(header, payload, signature),
        st.dictionaries(
            st.sampled_from(["alg", "kid", "typ"]),
            st.sampled_from(["RS256", "none", "HS256", LOCAL_SITE_KEY.kid, "x", ""]),
            max_size=3,
        ),
        st.dictionaries(
            st.sampled_from(["sub", "iat", "exp", "iss"]),
            st.one_of(st.integers(), st.text(max_size=10), st.none()),
            max_size=4,
        ),
        st.binary(max_size=32),
    ),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=256),
    token=JWT_LIKE,
    other_headers=st.dictionaries(
        st.sampled_from(["x-gigya-sig-hmac-sha1", "content-type"]), st.text(max_size=40), max_size=2
    ),
    received_at=st.floats(allow_nan=True, allow_infinity=True),
)
def test_arbitrary_requests_are_refused_never_crash_and_ask_gigya_at_most_once(
    kind, gigya_sim, raw, token, other_headers, received_at
):
    with contextlib.suppress(Unauthorized):
        kind.authenticate(Delivery("gigya", other_headers | {"x-gigya-sig-jwt": token}, raw, received_at), [])
        pytest.fail("an unsigned request authenticated")
    assert key_requests(gigya_sim) <= 1  # the one fetch of the site's keys, then the cache or the interval


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.dictionaries(
        st.sampled_from(["events", "nonce", "timestamp"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.floats(),
            st.lists(
                st.dictionaries(
                    st.sampled_from(["type", "id", "data", "uid"]),
                    st.one_of(
                        st.text(max_size=8),
                        st.integers(),
                        st.none(),
                        st.dictionaries(st.just("uid"), st.text(max_size=8)),
                    ),
                    max_size=4,
                ),
                max_size=3,
            ),
        ),
        max_size=3,
    ),
    offset=st.integers(min_value=-1000, max_value=1000),
    statuses=st.one_of(st.none(), st.lists(st.text(max_size=10), max_size=2)),
)
def test_signed_arbitrary_notifications_authenticate_map_or_fail_cleanly(kind, payload, offset, statuses):
    raw = encode(payload)
    try:
        kind.authenticate(delivery(raw, received_at=NOW + offset), [])
        refusal = ""
    except Unauthorized as exc:
        refusal = str(exc)
    assert (
        refusal == ""
        if -120 <= offset <= 180
        else refusal in ("x-gigya-sig-jwt has expired", "x-gigya-sig-jwt is not valid yet")
    )
    try:
        events = GigyaWebhook().items(payload)
    except MappingError:
        return
    for event in events:
        with contextlib.suppress(MappingError):
            extract(GigyaWebhook.preset, event, statuses)
