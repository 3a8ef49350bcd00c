"""The run command's Auth0 steps: a resolved ticket and the user's own lockout event each remove a
brute-force block (``/api/v2/user-blocks``) at the Auth0 simulator."""

from __future__ import annotations

from local.auth0_senders import AUTH0_SOURCE, auth0_headers, configure_auth0_source
from local.samples import AUTH0_CONNECTION, HELPDESK_SOURCE, WEBHOOK_SECRET, ticket_body
from local.signing import encode, standard_webhook_headers
from local.steps import Story, unlocked


def auth0_story(story: Story) -> None:
    env = story.env
    auth0 = env.auth0
    configure_auth0_source(env)

    nora = auth0.add_user("nora.kim@example.com", "nora.kim")
    auth0.fail_sign_ins(nora)
    raw = encode(ticket_body("INC-1301", {"email": nora.email}, connection=AUTH0_CONNECTION))
    story.run(
        "Signed webhook: ticket INC-1301 resolved, unlock Auth0 user nora.kim (blocked by brute-force protection)",
        lambda: story.webhook(HELPDESK_SOURCE, raw, standard_webhook_headers(WEBHOOK_SECRET, raw)),
        expect=unlocked("nora can sign in", lambda: nora.can_sign_in),
        note=lambda: f"nora can sign in: {nora.can_sign_in}; the identifier's block read, then removed",
    )

    omar = auth0.add_user("omar.haddad@example.com", "omar.haddad")
    log = auth0.fail_sign_ins(omar)
    events = encode([log])
    story.run(
        "Auth0 log stream: limit_wc (opted in) for omar.haddad → Unlock Requested",
        lambda: story.webhook(AUTH0_SOURCE, events, auth0_headers()),
        expect=unlocked("omar can sign in", lambda: omar.can_sign_in, http=200),
        note=lambda: f"omar can sign in: {omar.can_sign_in}; the user's blocks removed by user id",
    )
