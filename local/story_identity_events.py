"""Identity-event webhooks in the run command: LoginRadius, Gigya and PingOne subscriptions.

Per kind: an opted-in event that unlocks, an event type nobody opted in (ignored), and a forged
request (rejected). The senders' bodies, headers and sources are in local/identity_senders.py.
"""

from __future__ import annotations

from local.identity_senders import (
    GIGYA_SOURCE,
    LOGINRADIUS_SOURCE,
    PINGONE_SOURCE,
    configure_sources,
    gigya_jwt_headers,
    gigya_notification,
    loginradius_event,
    loginradius_headers,
    pingone_activity,
    pingone_headers,
)
from local.signing import encode
from local.steps import Story, refused, unlocked


def identity_events_story(story: Story) -> None:
    env = story.env
    configure_sources(env)

    ann = env.loginradius.add_user("ann.lee@example.com", "ann.lee", locked=True)
    raw = encode(loginradius_event("ResetPassword", ann.uid, ann.email))
    story.run(
        "LoginRadius webhook: ResetPassword (opted in) for ann.lee → Unlock Requested",
        lambda: story.webhook(LOGINRADIUS_SOURCE, raw, loginradius_headers(raw)),
        expect=unlocked("ann unlocked", lambda: not ann.locked),
        note=lambda: f"ann.lee now: locked={ann.locked}",
    )
    login = encode(loginradius_event("Login", ann.uid, ann.email))
    story.run(
        "LoginRadius webhook: Login (not opted in)",
        lambda: story.webhook(LOGINRADIUS_SOURCE, login, loginradius_headers(login)),
        expect=refused(200),
        note=lambda: "ignored: nothing on the bus",
    )
    forged = encode(loginradius_event("ResetPassword", ann.uid, ann.email))
    story.run(
        "LoginRadius webhook signed with another secret",
        lambda: story.webhook(LOGINRADIUS_SOURCE, forged, loginradius_headers(forged, "guessed-secret")),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )

    bob = env.gigya.add_account("gigya-uid-bob", "bob@example.com", locked=True)
    cho = env.gigya.add_account("gigya-uid-cho", "cho@example.com", locked=True)
    batch = encode(gigya_notification([("accountUpdated", bob.uid), ("accountLoggedIn", cho.uid)]))
    story.run(
        "Gigya notification: accountUpdated (opted in) for bob + accountLoggedIn for cho",
        lambda: story.webhook(GIGYA_SOURCE, batch, gigya_jwt_headers(batch)),
        expect=unlocked("bob unlocked, cho still locked", lambda: not bob.locked and cho.locked),
        note=lambda: f"bob now: locked={bob.locked}; cho (not opted in) locked={cho.locked}",
    )
    logged_in = encode(gigya_notification([("accountLoggedIn", cho.uid)]))
    story.run(
        "Gigya notification: accountLoggedIn only (not opted in)",
        lambda: story.webhook(GIGYA_SOURCE, logged_in, gigya_jwt_headers(logged_in)),
        expect=refused(200),
        note=lambda: "ignored: nothing on the bus",
    )
    tampered = batch.replace(bob.uid.encode(), cho.uid.encode())
    story.run(
        "Gigya notification tampered after signing (uid changed)",
        lambda: story.webhook(GIGYA_SOURCE, tampered, gigya_jwt_headers(batch)),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )

    dee = env.pingone.add_user("dee.rao", "dee.rao@example.com", account_locked=True)
    events = encode(
        [
            pingone_activity("PASSWORD.RECOVERY", dee.id, dee.username),
            pingone_activity("PASSWORD.CHECK_FAILED", dee.id, dee.username),
        ]
    )
    story.run(
        "PingOne subscription: PASSWORD.RECOVERY (opted in) + PASSWORD.CHECK_FAILED for dee.rao",
        lambda: story.webhook(PINGONE_SOURCE, events, pingone_headers()),
        expect=unlocked("dee unlocked", lambda: not dee.account_locked, http=200),
        note=lambda: f"dee.rao now: account locked={dee.account_locked}",
    )
    failed = encode([pingone_activity("PASSWORD.CHECK_FAILED", dee.id, dee.username)])
    story.run(
        "PingOne subscription: PASSWORD.CHECK_FAILED only (not opted in)",
        lambda: story.webhook(PINGONE_SOURCE, failed, pingone_headers()),
        expect=refused(200),
        note=lambda: "ignored: nothing on the bus",
    )
    story.run(
        "PingOne subscription with a wrong Authorization header",
        lambda: story.webhook(PINGONE_SOURCE, events, pingone_headers("Bearer guessed-token")),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )
