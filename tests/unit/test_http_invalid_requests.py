"""Requests that ``requests`` refuses before sending anything are permanent ``config_invalid``, never retried."""

from __future__ import annotations

import pytest

from account_unlock.errors import PermanentError
from account_unlock.http import VendorHttp


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("https://api.example.com:99999/v1/users", {}),  # InvalidURL (port out of range)
        ("https://exa mple.com/v1", {}),  # InvalidURL (a space in the host)
        ("ftp://api.example.com/v1", {}),  # InvalidSchema
        ("api.example.com/v1", {}),  # MissingSchema
        ("https://api.example.com/v1", {"Authorization": "Bearer a\r\nX-Injected: 1"}),  # InvalidHeader
    ],
)
def test_a_request_that_cannot_be_sent_is_a_permanent_configuration_error(url, headers):
    with pytest.raises(PermanentError) as raised:
        VendorHttp("vendorx").request("GET", url, headers=headers)
    assert raised.value.reason == "config_invalid"
    assert raised.value.message.startswith("vendorx:")
    assert "Bearer" not in raised.value.message
    assert "example.com" not in raised.value.message  # fields, never values
