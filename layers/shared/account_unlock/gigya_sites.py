"""Where a Gigya (SAP Customer Data Cloud) site's REST API lives, shared by the connector and the
webhook source, which must not import each other.

Data centers and hosts as listed on "accounts.rba.unlock REST"
(https://developers.gigya.com/display/GD/accounts.rba.unlock+REST): ``us1.gigya.com``, ``eu1.gigya.com``,
``au1.gigya.com``, ``ru1.gigya.com`` and ``cn1.gigya-api.cn``, each behind the method's namespace
(``accounts.``).
"""

from __future__ import annotations

from typing import Literal

DataCenter = Literal["us1", "eu1", "au1", "ru1", "cn1"]
API_DOMAINS: dict[str, str] = {
    "us1": "us1.gigya.com",
    "eu1": "eu1.gigya.com",
    "au1": "au1.gigya.com",
    "ru1": "ru1.gigya.com",
    "cn1": "cn1.gigya-api.cn",
}
# Keys and secrets are printable ASCII without spaces: a pasted trailing newline is a config error.
KEY = r"^[!-~]{1,256}$"


def default_api_root(api_domain: str) -> str:
    """Gigya's URL scheme: the namespace of the method, then the data center's domain."""
    return f"https://accounts.{api_domain}"
