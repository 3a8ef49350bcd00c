"""The self-service scenarios of ``make run``: a portal user unlocks their own LoginRadius account.

The portal (local/portal.py) re-verifies the password, then LoginRadius's token unlock is called;
wrong passwords, expired tokens, blocked accounts and guess floods are refused without an unlock.
"""

from __future__ import annotations

from local.portal import portal_unlock, prepare_self_service, shown
from local.steps import Expect, Story


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
        expect=Expect(http=200, vendor_called=True, check="jane unlocked", holds=lambda: not jane.locked),
        note=lambda: f"jane now: locked={jane.locked}; re-verify the password, then the token unlock",
        channel="self-service",
    )

    omar = lr.add_user("omar.portal@example.com", "omar.portal")
    lr.set_password(omar.uid, "Omar-Pa55word")
    omar_token = lr.issue_token(omar.uid)
    story.run(
        "Self-service: wrong password",
        lambda: shown(portal_unlock(env, omar_token, {"password": "guess-1", **captcha})),
        expect=Expect(http=401, check="omar still locked", holds=lambda: omar.locked),
        note=lambda: f"omar still locked={omar.locked}; LoginRadius 1205 → 401, no unlock call",
        channel="self-service",
    )

    expired = lr.issue_token(omar.uid, expired=True)
    story.run(
        "Self-service: expired access token",
        lambda: shown(portal_unlock(env, expired, {"password": "Omar-Pa55word", **captcha})),
        expect=Expect(http=401, check="omar still locked", holds=lambda: omar.locked),
        note=lambda: f"omar still locked={omar.locked}; LoginRadius 906 → 401 'sign in again'",
        channel="self-service",
    )

    blocked = lr.add_user("blocked.portal@example.com", "blocked.portal", blocked=True)
    lr.set_password(blocked.uid, "Blocked-Pa55word")
    blocked_token = lr.issue_token(blocked.uid)
    story.run(
        "Self-service: account blocked by an administrator (Block lockout)",
        lambda: shown(portal_unlock(env, blocked_token, {"password": "Blocked-Pa55word", **captcha})),
        expect=Expect(http=409, check="still blocked", holds=lambda: blocked.locked and blocked.blocked),
        note=lambda: f"still locked={blocked.locked}, blocked={blocked.blocked}; 991 → 409 'contact the helpdesk'",
        channel="self-service",
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
        expect=Expect(
            http=429, check="5 guesses reached LoginRadius", holds=lambda: omar.locked and len(lr.requests) == 5
        ),
        note=lambda: f"omar still locked={omar.locked}; attempts 6 and 7 never reached LoginRadius",
        channel="self-service",
    )
