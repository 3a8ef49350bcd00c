"""GitHub-style webhooks: X-Hub-Signature-256 over the raw body, X-GitHub-Delivery, the generic ticket body."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.sources.base import Delivery, Unauthorized
from account_unlock.sources.github import GitHubHmac
from account_unlock.sources.mapping import extract
from account_unlock.sources.standard_webhooks import GENERIC_TICKET
from local.samples import ticket_body
from local.senders import GITHUB_SECRET, github_headers
from local.signing import encode

KIND = GitHubHmac()
BODY = encode(ticket_body("INC-2001", {"username": "omar.haddad"}))
# GitHub's documented test values ("Validating webhook deliveries").
DOC_SECRET = "It's a Secret to Everybody"
DOC_PAYLOAD = b"Hello, World!"
DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


RECEIVED = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOUR = 3600


def verify(
    headers: dict[str, str], body: bytes = BODY, secrets: list[str] | None = None, received: float = RECEIVED
) -> str | None:
    delivery = Delivery("github", {k.lower(): v for k, v in headers.items()}, body, received)
    return KIND.authenticate(delivery, [GITHUB_SECRET] if secrets is None else secrets)


def sent_at(value: object) -> tuple[dict[str, str], bytes]:
    body = encode(ticket_body("INC-2001", {"username": "omar.haddad"}) | {"sent_at": value})
    return github_headers(GITHUB_SECRET, body, delivery="d-1"), body


def test_githubs_documented_example_verifies():
    headers = {"X-Hub-Signature-256": DOC_SIGNATURE, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    assert verify(headers, DOC_PAYLOAD, [DOC_SECRET]) == "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def test_the_local_signer_reproduces_the_documented_signature():
    assert github_headers(DOC_SECRET, DOC_PAYLOAD)["X-Hub-Signature-256"] == DOC_SIGNATURE


def test_a_tampered_body_is_rejected():
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(github_headers(GITHUB_SECRET, BODY), BODY.replace(b"omar.haddad", b"administrator"))


def test_another_secret_is_rejected_and_a_rotation_accepts_both():
    with pytest.raises(Unauthorized):
        verify(github_headers("old-secret", BODY))
    assert verify(github_headers("old-secret", BODY), secrets=["old-secret", GITHUB_SECRET])


def test_the_sha1_header_alone_is_not_enough():
    headers = {"X-Hub-Signature": "sha1=0000000000000000000000000000000000000000", "X-GitHub-Delivery": "d"}
    with pytest.raises(Unauthorized, match="missing header x-hub-signature-256"):
        verify(headers)


# replays: only the body is signed, so a signed time can only be in the body -------------------------
def test_a_body_without_sent_at_is_accepted_whenever_it_arrives():
    """GitHub itself signs no time: the delivery id and the business key are the only replay guards."""
    headers = github_headers(GITHUB_SECRET, BODY, delivery="d-1")
    assert verify(headers, received=RECEIVED) == verify(headers, received=RECEIVED + 30 * 24 * HOUR) == "d-1"


@pytest.mark.parametrize(
    "value",
    [RECEIVED, RECEIVED - 47 * HOUR, int(RECEIVED * 1000) - 3_600_000, "2025-12-31T23:00:00Z", RECEIVED + 240],
)
def test_a_sent_at_within_the_window_is_accepted(value):
    assert verify(*sent_at(value)) == "d-1"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (RECEIVED - 8 * 24 * HOUR, "sent_at is outside the replay window"),  # a capture replayed after 8 days
        (RECEIVED - 49 * HOUR, "sent_at is outside the replay window"),
        ("2025-12-24T00:00:00Z", "sent_at is outside the replay window"),
        (RECEIVED + 6 * 60, "sent_at is outside the replay window"),
        (None, "sent_at is missing or not a time"),
        ("last week", "sent_at is missing or not a time"),
    ],
)
def test_a_stale_or_unreadable_sent_at_is_refused(value, error):
    with pytest.raises(Unauthorized, match=error):
        verify(*sent_at(value))


def test_sent_at_cannot_be_removed_without_breaking_the_signature():
    headers, body = sent_at(RECEIVED - 8 * 24 * HOUR)
    stripped = body.replace(b',"sent_at":' + str(RECEIVED - 8 * 24 * HOUR).encode(), b"")
    assert stripped != body
    with pytest.raises(Unauthorized, match="signature verification failed"):
        verify(headers, stripped)


def test_the_generic_ticket_preset_is_reused():
    assert KIND.preset is GENERIC_TICKET
    found = extract(KIND.preset, ticket_body("INC-2001", {"username": "omar.haddad"}))
    assert (found.resolved, found.user) == (True, {"username": "omar.haddad"})
    assert not extract(KIND.preset, ticket_body("INC-2001", {"username": "o"}, status="pending")).resolved


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=30))
def test_any_body_signed_the_github_way_is_accepted(body, secret):
    headers = github_headers(secret, body, delivery="d-1")
    assert verify(headers, body, [secret]) == "d-1"
