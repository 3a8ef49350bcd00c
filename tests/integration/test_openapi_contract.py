"""The local stack's API fuzzed from openapi.yaml with schemathesis, over a real socket.

The API is ``make serve``'s own server (local/serve.py) on a free port over the session's stack, with
``make serve``'s sample sources and self-service connection. Every request schemathesis generates
from the document must get an answer the document lists (status, content type, headers, JSON
schema), never a 5xx, and a request the document calls invalid must be refused. Three runs:

- every route, as generated: nothing is signed, so nothing may reach the bus;
- the webhook, signed for the Standard Webhooks source: whatever the body, the events on the bus are
  exactly the requests the answer names;
- the self-service unlock with a fresh, valid access token per request (the password is never
  right): the body's documented schema is the one the function enforces, and nothing is unlocked;
- the status look-ups (``GET /unlocks…``) with a SigV4 caller, as API Gateway passes it after
  verifying the signature, and their query strings (``local.status_calls.status_request``; the first
  run, through ``make serve``'s server, passes neither: the function refuses those with 403).

Generation is bounded and derandomized with a fixed seed: a reproducible run, well under a minute. The
coverage phase's requests with methods the document does not list are left out: API Gateway answers
those, not the functions.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local import identity_senders, senders
from local.portal import SELF_SERVICE_CONNECTION, prepare_self_service
from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment
from local.serve import api_server
from local.signing import standard_webhook_headers
from local.simulators.loginradius import LoginRadiusUser
from local.status_calls import status_request
from local.template import ROOT
from tests.integration.helpers import pending_unlock_events

pytestmark = pytest.mark.integration

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261101,
        "generation": {"max-examples": 30},
        "phases": {"stateful": {"enabled": False}, "coverage": {"unexpected-methods": []}},
    }
)
SCHEMA = schemathesis.openapi.from_path(ROOT / "openapi.yaml", config=CONFIG)
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A refusal of what the document calls invalid; not for signed webhooks, whose headers the test replaces.
CHECKS = [*CONFORMANCE, negative_data_rejection]
REPRODUCIBLE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def base_url(local_env: LocalEnvironment) -> Iterator[str]:
    """The API on a free port, with ``make serve``'s sources and self-service connection."""
    senders.configure_sources(local_env)
    identity_senders.configure_sources(local_env)
    prepare_self_service(local_env)
    server = api_server(local_env, 0)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class FromAddress(HTTPAdapter):
    """Connections from one local source address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(self.address, 0))


ADDRESSES = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def client() -> requests.Session:
    """A client on a loopback address of its own: the server passes it as the source IP, so no request
    counts in another's per-IP self-service attempts (test_self_service.py tests that ceiling)."""
    session = requests.Session()
    session.mount("http://", FromAddress(next(ADDRESSES)))
    return session


def bus_events(env: LocalEnvironment) -> list[dict[str, Any]]:
    """Everything put on the bus since the last call: unlock requests and outcome events."""
    return pending_unlock_events(env) + env.stack.drain("Outcomes")


@SCHEMA.parametrize()
@REPRODUCIBLE
def test_every_route_answers_as_documented_and_unsigned_requests_publish_nothing(case, base_url, env):
    with client() as session:
        response = case.call(base_url=base_url, session=session)
    case.validate_response(response, checks=CHECKS)
    assert bus_events(env) == []


def raw_body(case: Any) -> bytes:
    """The generated body as the bytes a sender signs and sends (empty when none was generated)."""
    if isinstance(case.body, NotSet):
        return b""
    return json.dumps(case.body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@SCHEMA.include(operation_id="receiveWebhook").parametrize()
@REPRODUCIBLE
def test_signed_webhooks_answer_as_documented_and_publish_exactly_what_they_accept(case, base_url, env):
    case.path_parameters = {"source": HELPDESK_SOURCE}
    body = raw_body(case)
    headers = standard_webhook_headers(WEBHOOK_SECRET, body)
    with client() as session:
        response = case.call(base_url=base_url, session=session, headers=headers, data=body)
    case.validate_response(response, checks=CONFORMANCE)
    answer = response.json()
    accepted = answer["request_ids"] if answer.get("status") == "accepted" else []
    assert [event["detail"]["request_id"] for event in pending_unlock_events(env)] == accepted
    assert env.stack.drain("Outcomes") == []


@pytest.fixture(scope="module")
def portal_user(base_url: str, local_env: LocalEnvironment) -> LoginRadiusUser:
    """A locked user of the self-service connection, whose password no generated body knows."""
    user = local_env.loginradius.add_user(f"fuzz-{uuid.uuid4().hex[:8]}@example.com", "fuzz-portal-user")
    local_env.loginradius.set_password(user.uid, f"Pw-{uuid.uuid4().hex}")
    return user


@SCHEMA.include(operation_id="selfServiceUnlock").parametrize()
@REPRODUCIBLE
def test_portal_requests_with_a_valid_token_answer_as_documented_and_unlock_nothing(case, base_url, env, portal_user):
    case.path_parameters = {"connection": SELF_SERVICE_CONNECTION}
    token = env.loginradius.issue_token(portal_user.uid)  # fresh: the per-token attempt limit never applies
    with client() as session:
        response = case.call(base_url=base_url, session=session, headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        assert response.json().get("error") != "invalid_request"  # a body the document allows is parsed
    assert response.status_code != 200
    assert portal_user.locked
    assert bus_events(env) == []


@pytest.fixture(scope="module")
def status_url(local_env: LocalEnvironment) -> Iterator[str]:
    """The status routes on a free port, called with a SigV4 caller and their query strings."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            status, answer = status_request(local_env.stack, self.path)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@SCHEMA.include(path_regex="^/unlocks").parametrize()
@REPRODUCIBLE
def test_status_look_ups_with_a_caller_answer_as_documented(case, status_url, env):
    with client() as session:
        response = case.call(base_url=status_url, session=session)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code != 403
    assert bus_events(env) == []
