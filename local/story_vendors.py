"""The run command's tour of the other three vendors: one resolved ticket each, and an IP unlock."""

from __future__ import annotations

from local.samples import (
    GIGYA_CONNECTION,
    HELPDESK_SOURCE,
    LOGINRADIUS_CONNECTION,
    SAILPOINT_CONNECTION,
    WEBHOOK_SECRET,
    ticket_body,
    unlock_requested,
)
from local.signing import encode, standard_webhook_headers
from local.steps import Story, unlocked


def vendors_story(story: Story) -> None:
    env = story.env

    def ticket(ticket_id: str, user: dict[str, str], connection: str) -> str:
        raw = encode(ticket_body(ticket_id, user, connection=connection))
        return story.webhook(HELPDESK_SOURCE, raw, standard_webhook_headers(WEBHOOK_SECRET, raw))

    mlee = env.loginradius.add_user("mlee@example.com", "mlee", locked=True)
    story.run(
        "Ticket INC-2001 resolved: unlock LoginRadius customer mlee@example.com (UID looked up, IsLoginLocked=false)",
        lambda: ticket("INC-2001", {"email": "mlee@example.com"}, LOGINRADIUS_CONNECTION),
        expect=unlocked("mlee unlocked", lambda: not mlee.locked),
        note=lambda: f"mlee now: locked={mlee.locked}",
    )
    account = env.sailpoint.add_account("rpatel", locked=True)
    story.run(
        "Ticket INC-2002 resolved: unlock SailPoint account of rpatel (account name look-up, 202 task)",
        lambda: ticket("INC-2002", {"username": "rpatel"}, SAILPOINT_CONNECTION),
        expect=unlocked("rpatel unlocked", lambda: not account.locked),
        note=lambda: f"rpatel now: locked={account.locked}",
    )
    fan = env.gigya.add_account("9f3c2a1b7d", "fan@example.com", locked=True)
    story.run(
        "Ticket INC-2003 resolved: unlock Gigya account by loginID fan@example.com (errorCode 0, callId kept)",
        lambda: ticket("INC-2003", {"login_id": "fan@example.com"}, GIGYA_CONNECTION),
        expect=unlocked("fan unlocked", lambda: not fan.locked),
        note=lambda: f"fan@example.com now: locked={fan.locked}",
    )
    env.gigya.lock_ip("203.0.113.7")
    story.run(
        'Identity workflow asks Gigya to unlock the IP 203.0.113.7 ("Unlock Requested" on the bus)',
        lambda: story.put_event(
            "Unlock Requested", unlock_requested({"ip": "203.0.113.7"}, connection=GIGYA_CONNECTION)
        ),
        expect=unlocked("203.0.113.7 unlocked", lambda: "203.0.113.7" not in env.gigya.locked_ips, http=None),
        note=lambda: f"203.0.113.7 still locked: {'203.0.113.7' in env.gigya.locked_ips}",
        channel="bus",
    )
