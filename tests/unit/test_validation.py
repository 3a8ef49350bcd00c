from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.errors import PermanentError
from account_unlock.validation import HEX32, UUID, filter_value, path_segment, secure_base_url


@pytest.mark.parametrize("value", ["../../x", "a/b", "%2e%2e", "f0a13f5d-3314-49c8-aede-86a05946172", "", "x" * 40])
def test_path_segment_refuses_anything_but_the_format(value):
    with pytest.raises(PermanentError) as raised:
        path_segment(value, UUID, "user.id")
    assert raised.value.reason == "invalid_identifier"
    assert value not in raised.value.message or value == ""


def test_path_segment_accepts_and_encodes():
    assert path_segment("f0a13f5d-3314-49c8-aede-86a059461728", UUID, "id") == "f0a13f5d-3314-49c8-aede-86a059461728"
    assert path_segment("0123456789abcdef0123456789ABCDEF", HEX32, "id") == "0123456789abcdef0123456789ABCDEF"


@given(st.text(max_size=64))
def test_path_segment_output_never_contains_a_slash(value):
    try:
        encoded = path_segment(value, UUID, "id")
    except PermanentError:
        return
    assert "/" not in encoded
    assert ".." not in encoded


@pytest.mark.parametrize("value", ['jdoe" or username pr "', "a\\b", "x\ny", ""])
def test_filter_value_refuses_quotes_and_controls(value):
    with pytest.raises(PermanentError):
        filter_value(value, "user.username")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.pingone.eu/v1", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:1", True),
        ("http://api.pingone.com/v1", False),
        ("ftp://example.com", False),
        ("https://example.com/?x=1", False),
        ("https://", False),
    ],
)
def test_secure_base_url(url, ok):
    if ok:
        assert secure_base_url(url + "/", "base_url") == url
    else:
        with pytest.raises(PermanentError) as raised:
            secure_base_url(url, "base_url")
        assert raised.value.reason == "config_invalid"
        assert "base_url" in raised.value.message
