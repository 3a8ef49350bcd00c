"""The sample self-service portal: its LoginRadius connection, the demo user of ``make serve``, its requests.

A locked-out user unlocks their own LoginRadius account from a portal: the portal sends the user's
access token (``Authorization: Bearer``) and password to ``POST /self-service/{connection}/unlock``.
Used by the run command's self-service story, ``make serve`` and ``make demo``.
Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import json
from typing import Any

from local.samples import LOGINRADIUS_API_KEY, LOGINRADIUS_API_SECRET, LocalEnvironment

SELF_SERVICE_CONNECTION = "loginradius-portal"
PORTAL_ORIGIN = "https://portal.example.com"  # the PortalOrigins default of template.yaml
# The demo user of ``make serve`` (docs/self-service.md's curl uses these values).
DEMO_EMAIL = "locked.user@example.com"
DEMO_TOKEN = "7f0c1d2e-3b4a-4c5d-8e6f-0a1b2c3d4e5f"  # simulator value
DEMO_PASSWORD = "Correct-Horse-42"  # simulator value


def prepare_self_service(env: LocalEnvironment) -> None:
    """Add the self-service connection and a locked demo user with a known token and password."""
    env.put_secret(
        "connection",
        SELF_SERVICE_CONNECTION,
        {
            "vendor": "loginradius",
            "api_key": LOGINRADIUS_API_KEY,
            "api_secret": LOGINRADIUS_API_SECRET,
            "base_url": env.loginradius.url,
            "self_service_enabled": True,
            "self_service_requires_password": True,
            "prevent_webhook": True,
        },
    )
    user = env.loginradius.add_user(DEMO_EMAIL, "locked.user")
    env.loginradius.set_password(user.uid, DEMO_PASSWORD)
    env.loginradius.issue_token(user.uid, token=DEMO_TOKEN)


def portal_unlock(
    env: LocalEnvironment,
    token: str | None,
    body: dict[str, Any],
    *,
    connection: str = SELF_SERVICE_CONNECTION,
    source_ip: str = "198.51.100.7",
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Call the route as the portal's browser code would; the JSON answer decoded."""
    headers = {"Content-Type": "application/json", "Origin": PORTAL_ORIGIN}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    status, answer_headers, payload = env.stack.api_request(
        "POST", f"/self-service/{connection}/unlock", headers, json.dumps(body).encode(), source_ip=source_ip
    )
    return status, answer_headers, json.loads(payload) if payload else {}


def shown(answer: tuple[int, dict[str, str], dict[str, Any]]) -> str:
    status, headers, body = answer
    retry = f" Retry-After: {headers['Retry-After']}" if "Retry-After" in headers else ""
    return f"HTTP {status}{retry} {json.dumps({k: v for k, v in body.items() if k != 'request_id'})}"
