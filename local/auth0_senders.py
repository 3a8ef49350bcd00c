"""How an Auth0 log stream (custom webhook) sends its events, and the local source that opts one in.

The events are those of ``local.simulators.auth0.log_event`` (the simulator records one per
brute-force block in ``logs``). A body is the stream's events in its Content Format (a JSON array
here), sent with the stream's Authorization Token as the ``Authorization`` header ("Create Custom Log
Streams Using Webhooks", https://auth0.com/docs/customize/log-streams/custom-log-streams). Every
value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

from local.samples import AUTH0_CONNECTION, LocalEnvironment

AUTH0_SOURCE = "auth0-events"
AUTH0_LOG_STREAM_SECRET = "Bearer local-auth0-log-stream-token-not-real"
AUTH0_UNLOCK_EVENTS = ["limit_wc"]  # brute-force protection's "Blocked Account"


def auth0_headers(secret: str = AUTH0_LOG_STREAM_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": secret}


def configure_auth0_source(env: LocalEnvironment) -> None:
    env.put_secret(
        "source",
        AUTH0_SOURCE,
        {
            "kind": "auth0-log-stream",
            "secrets": [AUTH0_LOG_STREAM_SECRET],
            "connections": [AUTH0_CONNECTION],
            "default_connection": AUTH0_CONNECTION,
            "resolved_statuses": AUTH0_UNLOCK_EVENTS,
        },
    )
