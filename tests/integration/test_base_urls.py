"""A connection's base URL is checked with the parser that sends the request: credentials go nowhere else.

``http://<other>\\@127.0.0.1`` looked like loopback to ``urlsplit`` while ``requests`` (urllib3's
``parse_url``) connects to ``<other>``: PingOne's Basic credentials reached another listener in plain
HTTP. A port out of range passed the check, then ``InvalidURL`` was retried into the dead-letter queue.
"""

from __future__ import annotations

import pytest

from local.samples import unlock_requested
from local.simulators.base import Simulator
from tests.integration.helpers import outcomes, unique

pytestmark = pytest.mark.integration


class Listener(Simulator):
    """Any other server on the machine: records whatever reaches it."""

    name = "listener"


@pytest.fixture
def listener():
    server = Listener().start()
    yield server
    server.stop()


def unlock_through(env, connection: str, **overrides: str) -> dict:
    env.put_secret("connection", connection, env.pingone_connection(**overrides))
    user = env.pingone.add_user(unique("url"), f"{unique('url')}@example.com")
    env.stack.put_event("Unlock Requested", unlock_requested({"username": user.username}, connection=connection))
    [event] = outcomes(env)
    assert user.account_locked
    return event


def test_a_backslash_cannot_send_the_credentials_to_another_host(env, listener):
    listener_host = listener.url.removeprefix("http://")
    pingone_host = env.pingone.url.removeprefix("http://")

    event = unlock_through(env, unique("p1-bs"), auth_url=f"http://{listener_host}\\@{pingone_host}")

    assert event["detail"]["reason"] == "config_invalid"
    assert "auth_url" in event["detail"]["message"]
    assert listener.requests == []  # old check: POST /as/token with "Authorization: Basic ..." arrived here
    assert env.pingone.requests == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("auth_url", "https://127.0.0.1:99999"), ("base_url", "http://user:secret@127.0.0.1:9/v1")],
)
def test_a_bad_port_or_user_info_is_a_permanent_config_error_never_the_dead_letter_queue(env, field, value):
    event = unlock_through(env, unique("p1-url"), **{field: value})

    assert (event["detail"]["reason"], field in event["detail"]["message"]) == ("config_invalid", True)
    assert "secret" not in event["detail"]["message"]
    assert env.stack.invocations_of("UnlockFunction")[-1].attempts == 1
    assert env.stack.drain("UnlockDeadLetterQueue") == []
