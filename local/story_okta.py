"""The run command's Okta steps: a resolved ticket unlocks a user, and so does Okta's own lockout event.

The Event Hook's body and headers are in local/okta_senders.py. Wired in local/run.py with
``okta_story(story)`` after the other vendors' stories.
"""

from __future__ import annotations

from local.okta_senders import OKTA_SOURCE, configure_okta_source, okta_delivery, okta_event, okta_headers
from local.samples import HELPDESK_SOURCE, OKTA_CONNECTION, WEBHOOK_SECRET, ticket_body
from local.signing import encode, standard_webhook_headers
from local.steps import Story, unlocked


def okta_story(story: Story) -> None:
    env = story.env
    okta = env.okta
    configure_okta_source(env)

    rkim = okta.add_user("rkim@acme.example", status="ACTIVE")
    okta.fail_sign_ins(rkim)
    raw = encode(ticket_body("INC-4001", {"username": rkim.login}, connection=OKTA_CONNECTION))
    story.run(
        "Ticket INC-4001 resolved: unlock Okta user rkim@acme.example (LOCKED_OUT, service app token, private_key_jwt)",
        lambda: story.webhook(HELPDESK_SOURCE, raw, standard_webhook_headers(WEBHOOK_SECRET, raw)),
        expect=unlocked("rkim is ACTIVE", lambda: rkim.status == "ACTIVE"),
        note=lambda: f"rkim now: {rkim.status}; Okta unlocks {okta.writes[('user.unlock', rkim.id)]}",
    )

    tnguyen = okta.add_user("tnguyen@acme.example", status="ACTIVE")
    okta.fail_sign_ins(tnguyen)
    delivery = encode(okta_delivery(okta_event("user.account.lock", tnguyen.id, tnguyen.login)))
    story.run(
        "Okta Event Hook: user.account.lock (opted in) for tnguyen@acme.example → Unlock Requested",
        lambda: story.webhook(OKTA_SOURCE, delivery, okta_headers()),
        expect=unlocked("tnguyen is ACTIVE", lambda: tnguyen.status == "ACTIVE", http=200),
        note=lambda: f"tnguyen now: {tnguyen.status}; Okta unlocks {okta.writes[('user.unlock', tnguyen.id)]}",
    )
