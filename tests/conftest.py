"""Shared fixtures. The local stack (moto server + simulators) is the one ``make run`` uses.

The AWS environment is set at import time, before any module creates a boto3 client, so that
nothing in the suite can reach a real AWS endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from account_unlock import secrets
from local.samples import LocalEnvironment

# Per-vendor constants, simulator fixtures (``<vendor>_server``, ``<vendor>_sim``) and builders shared by the
# vendor connector and contract tests.
pytest_plugins = [
    "tests.fixtures.auth0",
    "tests.fixtures.gigya",
    "tests.fixtures.loginradius",
    "tests.fixtures.okta",
    "tests.fixtures.pingone",
    "tests.fixtures.sailpoint",
]

# No per-example deadline (a wall-clock threshold on a shared machine); in CI the examples are
# derandomized so that a run is reproducible, while local runs keep exploring new inputs.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

LOCAL = LocalEnvironment()
os.environ |= LOCAL.stack.environment()


@pytest.fixture(scope="session")
def local_env() -> Iterator[LocalEnvironment]:
    LOCAL.start()
    yield LOCAL
    LOCAL.stop()


@pytest.fixture
def env(local_env: LocalEnvironment) -> Iterator[LocalEnvironment]:
    """The running local stack, with clean request logs, queues and secret caches for each test."""
    for simulator in local_env.simulators:
        simulator.clear()
    secrets.provider().clear_cache()
    for queue in local_env.stack.queue_urls:
        local_env.stack.drain(queue)
    local_env.stack.invocations.clear()
    yield local_env
    secrets.provider().clear_cache()
