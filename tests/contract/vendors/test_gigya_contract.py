"""The exact requests the Gigya connector sends.

accounts.rba.unlock REST (https://developers.gigya.com/display/GD/accounts.rba.unlock+REST): a form POST to
``https://accounts.<data center>/accounts.rba.unlock`` with ``apiKey``, ``userKey``, ``secret`` and exactly one of
``UID`` / ``loginID`` / ``ip``. With ``read_lockout_state``, first accounts.getAccountInfo for the ``UID`` with
``include=isLockedOut`` (accounts.getAccountInfo REST, https://developers.gigya.com/display/GD/accounts.getAccountInfo+REST;
the ``isLockedOut`` include: accounts.getAccountInfo JS, https://developers.gigya.com/display/GD/accounts.getAccountInfo+JS).
"""

from __future__ import annotations

import pytest

from account_unlock.errors import PermanentError
from account_unlock.gigya_sites import default_api_root
from account_unlock.vendors.gigya import METHOD, GigyaConnector
from local.simulators.base import Request
from local.simulators.gigya import GigyaSimulator
from tests.fixtures.gigya import API_KEY, SECRET, UID, USER_KEY, connector_for, secret_for
from tests.fixtures.gigya import request as unlock_request

FORM = "application/x-www-form-urlencoded"
PATH = "/accounts.rba.unlock"
CREDENTIALS = {"apiKey": API_KEY, "userKey": USER_KEY, "secret": SECRET, "format": "json", "httpStatusCodes": "false"}


@pytest.fixture
def sim(gigya_sim: GigyaSimulator) -> GigyaSimulator:
    return gigya_sim


@pytest.fixture
def eu(gigya_eu_sim: GigyaSimulator) -> GigyaSimulator:
    return gigya_eu_sim


def the_request(sim: GigyaSimulator) -> Request:
    assert len(sim.requests) == 1
    return sim.requests[0]


def assert_secret_only_in_body(request: Request) -> None:
    assert SECRET not in request.path
    assert request.query == {}
    assert all(SECRET not in value for value in request.headers.values())


@pytest.mark.parametrize(
    ("user", "field", "value"),
    [
        ({"id": "a1b2c3d4e5f60718293a4b5c6d7e8f90"}, "UID", "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
        ({"email": "jane@example.com"}, "loginID", "jane@example.com"),
        ({"username": "jdoe"}, "loginID", "jdoe"),
        ({"login_id": "jane@example.com"}, "loginID", "jane@example.com"),
        ({"ip": "203.0.113.7"}, "ip", "203.0.113.7"),
        ({"ip": "2001:DB8:0:0::1"}, "ip", "2001:db8::1"),
    ],
)
def test_unlock_is_one_form_post_with_credentials_and_exactly_one_identifier(sim, user, field, value):
    sim.add_account("a1b2c3d4e5f60718293a4b5c6d7e8f90", "jane@example.com")
    sim.add_account("uid-jdoe", "jdoe")

    connector_for(sim).unlock(unlock_request(**user))

    request = the_request(sim)
    assert request.method == "POST"
    assert request.path == PATH
    assert request.query == {}
    assert request.header("content-type") == FORM
    assert request.header("accept") == "application/json"
    assert request.form() == {**CREDENTIALS, field: value}
    assert [key for key in ("UID", "loginID", "ip") if key in request.form()] == [field]
    assert_secret_only_in_body(request)


def test_form_body_is_percent_encoded(sim):
    sim.add_account("uid-plus", "jane+tag@example.com")

    connector_for(sim).unlock(unlock_request(email="jane+tag@example.com"))

    body = the_request(sim).body.decode()
    assert "loginID=jane%2Btag%40example.com" in body.split("&")
    assert "secret=c2VjcmV0LXZhbHVlLWZvci10ZXN0cw%3D%3D" in body.split("&")


@pytest.mark.parametrize(
    ("data_center", "url"),
    [
        ("us1", "https://accounts.us1.gigya.com/accounts.rba.unlock"),
        ("eu1", "https://accounts.eu1.gigya.com/accounts.rba.unlock"),
        ("au1", "https://accounts.au1.gigya.com/accounts.rba.unlock"),
        ("ru1", "https://accounts.ru1.gigya.com/accounts.rba.unlock"),
        ("cn1", "https://accounts.cn1.gigya-api.cn/accounts.rba.unlock"),
    ],
)
def test_data_center_endpoints(data_center, url):
    connector = GigyaConnector.from_secret(
        {"vendor": "gigya", "data_center": data_center, "api_key": API_KEY, "user_key": USER_KEY, "secret": SECRET}
    )
    assert isinstance(connector, GigyaConnector)
    assert f"{connector.api}/{METHOD}" == url


def test_base_url_without_data_center_is_where_the_requests_go(sim):
    sim.add_account(UID, "jane@example.com")
    secret = secret_for(sim.url)
    del secret["data_center"]

    GigyaConnector.from_secret(secret).unlock(unlock_request(id=UID))

    assert the_request(sim).path == PATH


def test_lockout_read_then_unlock_when_opted_in(sim):
    sim.add_account(UID, "jane@example.com")

    connector_for(sim, read_lockout_state=True).unlock(unlock_request(id=UID))

    read, unlock = sim.requests
    assert (read.method, read.path, read.query) == ("POST", "/accounts.getAccountInfo", {})
    assert read.header("content-type") == FORM
    assert read.form() == {**CREDENTIALS, "UID": UID, "include": "isLockedOut"}
    assert (unlock.path, unlock.form()) == (PATH, {**CREDENTIALS, "UID": UID})
    assert_secret_only_in_body(read)


def test_lockout_read_is_for_a_uid_only(sim):
    sim.add_account(UID, "jane@example.com")
    sim.lock_ip("203.0.113.7")
    connector = connector_for(sim, read_lockout_state=True)

    connector.unlock(unlock_request(email="jane@example.com"))
    connector.unlock(unlock_request(ip="203.0.113.7"))

    assert [request.path for request in sim.requests] == [PATH, PATH]


def test_api_domain_of_a_301001_answer_becomes_the_accounts_host():
    assert default_api_root("eu1.gigya.com") == "https://accounts.eu1.gigya.com"
    assert default_api_root("cn1.gigya-api.cn") == "https://accounts.cn1.gigya-api.cn"


def test_redirected_request_is_the_same_form_post(sim, eu):
    sim.wrong_data_center = True
    sim.data_center = "eu1"
    eu.add_account("uid-1", "jdoe")
    connector = connector_for(sim)
    connector.api_root_for = {"eu1.gigya.com": eu.url}.__getitem__

    connector.unlock(unlock_request(username="jdoe"))

    first, second = the_request(sim), the_request(eu)
    assert (second.method, second.path, second.query) == ("POST", PATH, {})
    assert second.header("content-type") == FORM
    assert second.form() == first.form() == {**CREDENTIALS, "loginID": "jdoe"}
    assert_secret_only_in_body(second)


@pytest.mark.parametrize(
    "user",
    [
        {"ip": "not-an-ip"},
        {"ip": "203.0.113.300"},
        {"ip": "fe80::1%eth0"},
        {"id": 'a"b'},
        {"email": "x\\y@example.com"},
    ],
)
def test_invalid_identifiers_are_refused_before_any_request(sim, user):
    with pytest.raises(PermanentError) as caught:
        connector_for(sim).unlock(unlock_request(**user))

    assert caught.value.reason == "invalid_identifier"
    assert sim.requests == []
