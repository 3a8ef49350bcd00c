"""The run command's PingOne tour: a signed helpdesk webhook end to end, its redelivery, and what is refused."""

from __future__ import annotations

from typing import Any

from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, ticket_body, unlock_requested
from local.signing import encode, standard_webhook_headers
from local.steps import Expect, Story, refused, unlocked


def signed(body: dict[str, Any], **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    raw = encode(body)
    return raw, standard_webhook_headers(WEBHOOK_SECRET, raw, **kwargs)


def pingone_story(story: Story) -> None:
    env = story.env
    pingone = env.pingone
    jdoe = pingone.add_user("jdoe", "jdoe@example.com", account_locked=False)
    pingone.fail_sign_ins(jdoe)
    asmith = pingone.add_user("asmith", "asmith@example.com", account_locked=True)
    kwong = pingone.add_user("kwong", "kwong@example.com", account_locked=True)
    mlee = pingone.add_user("mlee", "mlee@example.com", account_locked=False)

    raw, headers = signed(ticket_body("INC-1001", {"username": "jdoe"}))
    story.run(
        "Signed webhook: ticket INC-1001 resolved, unlock PingOne user jdoe (locked out by failed sign-ins)",
        lambda: story.webhook(HELPDESK_SOURCE, raw, headers),
        expect=unlocked("jdoe can sign in", lambda: jdoe.can_sign_in),
        note=lambda: f"jdoe can sign in: {jdoe.can_sign_in}; PingOne events {[kind for kind, _ in pingone.events]}",
    )
    story.run(
        "The sender retries the same delivery (same webhook-id)",
        lambda: story.webhook(HELPDESK_SOURCE, raw, headers),
        expect=refused(202),
        note=lambda: "delivery-id dedupe: the same 202, no second event on the bus, no vendor call",
    )
    free_raw, free_headers = signed(ticket_body("INC-1006", {"username": "mlee"}))
    story.run(
        "Ticket INC-1006 resolved for mlee, who is not locked",
        lambda: story.webhook(HELPDESK_SOURCE, free_raw, free_headers),
        expect=unlocked(
            "no vendor write", lambda: all(user != mlee.id for _, user in pingone.events), reason="already_unlocked"
        ),
        note=lambda: "PingOne's state read first: no vendor write, reported as already_unlocked",
    )
    story.run(
        'Identity workflow puts an "Unlock Requested" event on the bus for asmith@example.com',
        lambda: story.put_event("Unlock Requested", unlock_requested({"email": "asmith@example.com"})),
        expect=unlocked("asmith unlocked", lambda: not asmith.account_locked, http=None),
        note=lambda: f"asmith now: account locked={asmith.account_locked}",
        channel="bus",
    )
    tampered = raw.replace(b"jdoe", b"root")
    story.run(
        "Tampered body (user changed after signing)",
        lambda: story.webhook(HELPDESK_SOURCE, tampered, headers),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )
    stale_raw, stale_headers = signed(ticket_body("INC-1002", {"username": "jdoe"}), timestamp=1_600_000_000)
    story.run(
        "Replayed old delivery (timestamp from 2020)",
        lambda: story.webhook(HELPDESK_SOURCE, stale_raw, stale_headers),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )
    open_raw, open_headers = signed(ticket_body("INC-1003", {"username": "kwong"}, status="pending"))
    story.run(
        "Ticket INC-1003 updated but not resolved",
        lambda: story.webhook(HELPDESK_SOURCE, open_raw, open_headers),
        expect=refused(200),
        note=lambda: "ignored: nothing on the bus",
    )
    gone_raw, gone_headers = signed(ticket_body("INC-1004", {"username": "no.such.user"}))
    story.run(
        "Ticket INC-1004 resolved for a user PingOne does not know",
        lambda: story.webhook(HELPDESK_SOURCE, gone_raw, gone_headers),
        expect=Expect(http=202, outcome="Unlock Failed", reason="user_not_found", vendor_called=True),
        note=lambda: "permanent failure: recorded and published, not retried",
    )

    def rate_limited() -> str:
        pingone.fail(
            429,
            {"id": "rl", "code": "REQUEST_LIMITED", "message": "Too many requests"},
            headers={"Retry-After": "1"},
            path="/users/",
            times=1,
        )
        busy_raw, busy_headers = signed(ticket_body("INC-1005", {"username": "kwong"}))
        return story.webhook(HELPDESK_SOURCE, busy_raw, busy_headers)

    story.run(
        "Ticket INC-1005 resolved while PingOne rate-limits (429, Retry-After: 1)",
        rate_limited,
        expect=unlocked("kwong unlocked after the 429", lambda: not kwong.account_locked),
        note=lambda: f"kwong now: account locked={kwong.account_locked}; Retry-After honoured, then one unlock",
    )
