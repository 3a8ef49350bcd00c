"""The self-service scenarios of ``make run``, and the sample portal connection ``make serve`` can use.

A locked-out user unlocks their own LoginRadius account from a portal: the portal sends the user's
access token (``Authorization: Bearer``) and password to ``POST /self-service/{connection}/unlock``,
which re-verifies the password and calls LoginRadius's token unlock. Wire-up (local/run.py and
local/serve.py)::

    from local.story_self_service import prepare_self_service, self_service_story
    self_service_story(story)          # in run.main(), after the other stories
    prepare_self_service(env)          # in serve.main(), then print the curl of docs/self-service.md

Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from local.samples import LOGINRADIUS_API_KEY, LOGINRADIUS_API_SECRET, LocalEnvironment

if TYPE_CHECKING:
    from local.run import Story

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


def self_service_story(story: Story) -> None:
    env = story.env
    lr = env.loginradius
    prepare_self_service(env)

    jane = lr.add_user("jane.portal@example.com", "jane.portal")
    lr.set_password(jane.uid, "Jane-Pa55word")
    jane_token = lr.issue_token(jane.uid)
    captcha = {"g-recaptcha-response": "03AGdBq24-local-captcha-answer"}
    story.run(
        "Self-service: jane signs in to the portal and unlocks her LoginRadius account (token + password)",
        lambda: shown(portal_unlock(env, jane_token, {"password": "Jane-Pa55word", **captcha})),
        note=lambda: f"jane now: locked={jane.locked}; re-verify the password, then the token unlock",
    )

    omar = lr.add_user("omar.portal@example.com", "omar.portal")
    lr.set_password(omar.uid, "Omar-Pa55word")
    omar_token = lr.issue_token(omar.uid)
    story.run(
        "Self-service: wrong password",
        lambda: shown(portal_unlock(env, omar_token, {"password": "guess-1", **captcha})),
        note=lambda: f"omar still locked={omar.locked}; LoginRadius 1205 → 401, no unlock call",
    )

    expired = lr.issue_token(omar.uid, expired=True)
    story.run(
        "Self-service: expired access token",
        lambda: shown(portal_unlock(env, expired, {"password": "Omar-Pa55word", **captcha})),
        note=lambda: f"omar still locked={omar.locked}; LoginRadius 906 → 401 'sign in again'",
    )

    blocked = lr.add_user("blocked.portal@example.com", "blocked.portal", blocked=True)
    lr.set_password(blocked.uid, "Blocked-Pa55word")
    blocked_token = lr.issue_token(blocked.uid)
    story.run(
        "Self-service: account blocked by an administrator (Block lockout)",
        lambda: shown(portal_unlock(env, blocked_token, {"password": "Blocked-Pa55word", **captcha})),
        note=lambda: f"still locked={blocked.locked}, blocked={blocked.blocked}; 991 → 409 'contact the helpdesk'",
    )

    flood_token = lr.issue_token(omar.uid)

    def flood() -> str:
        answers = [
            portal_unlock(env, flood_token, {"password": f"guess-{n}"}, source_ip="192.0.2.66") for n in range(7)
        ]
        return f"{shown(answers[-1])} (answers in order: {' '.join(str(status) for status, _, _ in answers)})"

    story.run(
        "Self-service: a flood of password guesses with one token (7 attempts, limit 5 per 15 min)",
        flood,
        note=lambda: f"omar still locked={omar.locked}; attempts 6 and 7 never reached LoginRadius",
    )
