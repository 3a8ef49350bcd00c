from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from account_unlock.errors import PermanentError
from account_unlock.validation import (
    HEX32,
    REFUSED_CATEGORIES,
    UUID,
    filter_value,
    path_segment,
    plain_text,
    secure_base_url,
)


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


# Characters that make one identifier display as another, or break a line, without being seen.
INVISIBLE = {
    "C1 control (NEL)": "\x85",
    "C1 control (CSI)": "\x9b",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "right-to-left isolate": "\u2067",
    "right-to-left mark": "\u200f",
    "arabic letter mark": "\u061c",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "tag character": "\U000e0041",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "private use": "\ue000",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_filter_value_refuses_invisible_and_separator_characters(char):
    with pytest.raises(PermanentError) as raised:
        filter_value(f"jdoe{char}@example.com", "user.email")
    assert raised.value.reason == "invalid_identifier"
    assert char not in raised.value.message


@pytest.mark.parametrize("value", ["josé@example.com", "Zoë.Ölund", "名前", "o'brien", "a b"])
def test_filter_value_accepts_letters_of_any_script(value):
    assert filter_value(value, "user.username") == value


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
        ("http://[::1]:8080", True),
        ("https://api.pingone.eu:443/v1", True),
        # requests connects to "evil" (its parser ends the host at the backslash); urlsplit saw 127.0.0.1
        ("http://evil\\@127.0.0.1", False),
        ("https://api.pingone.eu\\@evil.example.com", False),
        ("http://user:pw@127.0.0.1:8080", False),  # user-info
        ("https://token@api.pingone.eu", False),
        ("https://api.pingone.eu:99999", False),  # urllib3 refuses the port: InvalidURL at the first call
        ("https://api.pingone.eu:0", False),
        ("https://api.pingone.eu:-1", False),
        ("https://api.pingone.eu#fragment", False),
        ("https://api.pingone.eu/v1?", False),
        ("https://exa mple.com", False),
        ("https://api.pingone.eu/\x00", False),
        ("http://127.0.0.1.evil.example.com", False),
        ("http://localhost.evil.example.com:80", False),
        ("https://.example.com", False),
        ("https://api..pingone.eu", False),
        ("https://.", False),
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


URL_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "127.0.0.1",
        "localhost",
        "[::1]",
        "evil",
        "example.com",
        "@",
        "\\",
        "/",
        ":",
        "8080",
        "99999",
        "%40",
        "%5C",
        "?",
        "#",
        ".",
        "user",
        "pw",
        " ",
        "\t",
        "[",
        "]",
    ]
)


@given(st.lists(URL_PARTS, min_size=1, max_size=8).map("".join))
def test_an_accepted_base_url_is_sent_where_it_was_checked(url):
    """Whatever passes is https, or http to a loopback host as requests itself will connect to it."""
    try:
        accepted = secure_base_url(url, "base_url")
    except PermanentError as exc:
        if exc.reason != "config_invalid":
            raise
        return
    prepared = urlsplit(requests.Request("GET", accepted + "/x").prepare().url)
    assert prepared.username is None
    assert prepared.scheme == "https" or prepared.hostname in {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize(
    "value", ["a\x00b", "tab\there", "del\x7f", "\x1f", "nl\n", "c1\x85", "bidi\u202e", "zw\u200b"]
)
def test_plain_text_refuses_controls_and_invisible_characters(value):
    assert not plain_text(value)


@given(st.text())
def test_plain_text_is_the_category_rule_for_every_string(value):
    """The printable-ASCII shortcut never lets through what the per-character rule refuses."""
    refused = any(unicodedata.category(char) in REFUSED_CATEGORIES for char in value)
    assert plain_text(value) is not refused
