"""Self-service attempt counters: which key each attempt is counted under, and in which order."""

from __future__ import annotations

import hashlib

import pytest
from botocore.stub import ANY, Stubber
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from account_unlock import attempts, aws

TOKEN = "5e1c2d3a-4b5c-4d6e-8f70-a1b2c3d4e5f6"


@pytest.mark.parametrize(
    ("source_ip", "network"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),  # a rotated address: the same counter
        ("2001:DB8:1:2:0:0:0:9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),  # IPv4-mapped: the IPv4 client
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("unknown", "unknown"),
        ("", "unknown"),
        ("203.0.113.5; DROP", "unknown"),
    ],
)
def test_ipv4_counts_per_address_and_ipv6_per_64(source_ip, network):
    assert attempts.client_network(source_ip) == network


@given(st.text(max_size=60))
def test_any_source_ip_has_a_counter_key(source_ip):
    key = attempts.client_network(source_ip)
    assert key
    assert "#" not in key


@pytest.mark.parametrize(
    "spelling",
    [TOKEN, TOKEN.upper(), TOKEN + "=", TOKEN + "==", TOKEN.upper() + "=", f"{TOKEN[:8].upper()}{TOKEN[8:]}"],
)
def test_every_spelling_of_one_token_has_the_same_fingerprint(spelling):
    assert attempts.token_fingerprint(SecretStr(spelling)) == attempts.token_fingerprint(SecretStr(TOKEN))


def test_the_fingerprint_is_the_sha256_of_the_token_and_never_the_token():
    fingerprint = attempts.token_fingerprint(SecretStr(TOKEN))
    assert fingerprint == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert TOKEN not in fingerprint
    assert attempts.token_fingerprint(SecretStr("\ud800x")) != fingerprint  # a lone surrogate hashes, no 500


def counted(key: str) -> dict[str, object]:
    return {
        "TableName": ANY,
        "Key": {"id": {"S": key}},
        "UpdateExpression": ANY,
        "ConditionExpression": ANY,
        "ExpressionAttributeValues": ANY,
    }


def test_the_token_is_counted_before_the_network_and_an_over_limit_token_spends_nothing_of_it():
    """So that one user retrying after a 429 does not use up the allowance of everyone behind their NAT."""
    fingerprint = attempts.token_fingerprint(SecretStr(TOKEN))
    window = int(1_000_000.0 // attempts.limits().window_seconds)
    with Stubber(aws.client("dynamodb")) as dynamodb:
        dynamodb.add_response("update_item", {}, counted(f"token#{fingerprint}#{window}"))
        dynamodb.add_response("update_item", {}, counted(f"ip#2001:db8:1:2::/64#{window}"))
        dynamodb.add_client_error("update_item", "ConditionalCheckFailedException", expected_params=counted(ANY))
        attempts.register("2001:db8:1:2::7", fingerprint, now=1_000_000.0)
        with pytest.raises(attempts.AttemptLimitReached) as refused:
            attempts.register("2001:db8:1:2::8", fingerprint, now=1_000_000.0)
        dynamodb.assert_no_pending_responses()  # the over-limit token never reached the network's counter
    assert refused.value.scope == "token"
