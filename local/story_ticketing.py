"""The run command's ticketing tour: one resolved ticket from each ticketing system, sent the way it sends it.

Each ticket unlocks a user at a vendor; replays, tampered bodies, unresolved tickets and callers
not on the allow-list are refused. The senders' bodies and headers are in local/senders.py.
"""

from __future__ import annotations

import uuid

from local.samples import GIGYA_CONNECTION, ticket_body
from local.senders import (
    FRESHSERVICE_SECRET,
    FRESHSERVICE_SOURCE,
    GITHUB_SECRET,
    GITHUB_SOURCE,
    JIRA_AUTOMATION_SOURCE,
    JIRA_AUTOMATION_TOKEN,
    JIRA_SECRET,
    JIRA_SOURCE,
    SERVICENOW_IAM_SOURCE,
    SERVICENOW_IAM_USER,
    SERVICENOW_SECRET,
    SERVICENOW_SOURCE,
    ZENDESK_SECRET,
    ZENDESK_SOURCE,
    configure_sources,
    freshservice_body,
    freshservice_headers,
    github_headers,
    jira_automation_body,
    jira_automation_headers,
    jira_headers,
    jira_issue_updated,
    servicenow_headers,
    servicenow_record,
    zendesk_body,
    zendesk_headers,
)
from local.signing import encode
from local.steps import Story, refused, unlocked


def ticketing_story(story: Story) -> None:
    """One resolved ticket from each ticketing system, each unlocking a user at a vendor."""
    env = story.env
    configure_sources(env)

    lena = env.pingone.add_user("lena.fischer", "lena.fischer@example.com", account_locked=True)
    zendesk = encode(zendesk_body("4711", lena.email))
    story.run(
        "Zendesk trigger: ticket 4711 solved, unlock the requester at PingOne (by email)",
        lambda: story.webhook(ZENDESK_SOURCE, zendesk, zendesk_headers(ZENDESK_SECRET, zendesk)),
        expect=unlocked("lena unlocked", lambda: not lena.account_locked),
        note=lambda: f"lena.fischer now: account locked={lena.account_locked}",
    )
    old = zendesk_headers(ZENDESK_SECRET, zendesk, timestamp="2021-03-25T05:09:27Z")
    story.run(
        "Zendesk delivery replayed with its 2021 timestamp",
        lambda: story.webhook(ZENDESK_SOURCE, zendesk, old),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )

    noah = env.loginradius.add_user("noah.berg@example.com", "noah.berg")
    picker = {"accountId": "5b10a2844c20165700ede21g", "emailAddress": noah.email, "displayName": "Noah Berg"}
    jira = encode(jira_issue_updated("HELP-42", picker))
    jira_sent = jira_headers(JIRA_SECRET, jira)
    story.run(
        "Jira admin webhook: HELP-42 moved to Done, unlock the user picked in 'Unlock user' at LoginRadius",
        lambda: story.webhook(JIRA_SOURCE, jira, jira_sent),
        expect=unlocked("noah unlocked", lambda: not noah.locked),
        note=lambda: f"noah.berg now: locked={noah.locked}",
    )
    retried = jira_sent | {"X-Atlassian-Webhook-Retry": "1"}
    story.run(
        "Jira retries the same delivery (same X-Atlassian-Webhook-Identifier)",
        lambda: story.webhook(JIRA_SOURCE, jira, retried),
        expect=refused(202),
        note=lambda: "delivery-id dedupe: the stored answer, no second event, no vendor call",
    )
    open_issue = encode(
        jira_issue_updated("HELP-44", picker, status="In Progress", category="indeterminate", resolution=None)
    )
    story.run(
        "Jira: HELP-44 updated but still In Progress",
        lambda: story.webhook(JIRA_SOURCE, open_issue, jira_headers(JIRA_SECRET, open_issue)),
        expect=refused(200),
        note=lambda: "ignored: nothing on the bus",
    )

    ivy = env.sailpoint.add_account("ivy.chen", email="ivy.chen@example.com")
    automation = encode(jira_automation_body("HELP-43", {"email": "ivy.chen@example.com"}))
    story.run(
        "Jira Automation web request: HELP-43 Done, unlock at SailPoint",
        lambda: story.webhook(JIRA_AUTOMATION_SOURCE, automation, jira_automation_headers(JIRA_AUTOMATION_TOKEN)),
        expect=unlocked("ivy unlocked", lambda: not ivy.locked),
        note=lambda: f"ivy.chen@example.com now: locked={ivy.locked}",
    )

    mia = env.sailpoint.add_account("mia.rossi")
    incident = encode(servicenow_record("INC0010001", None, "mia.rossi"))
    story.run(
        "ServiceNow business rule: INC0010001 Resolved (state 6), caller has no email: unlock by user name",
        lambda: story.webhook(SERVICENOW_SOURCE, incident, servicenow_headers(SERVICENOW_SECRET)),
        expect=unlocked("mia unlocked", lambda: not mia.locked),
        note=lambda: f"mia.rossi now: locked={mia.locked}",
    )

    kai = env.gigya.add_account("kai-" + uuid.uuid4().hex[:8], "kai.tanaka@example.com")
    signed = encode(servicenow_record("INC0010002", kai.login_id, "kai.tanaka", state=7, connection=GIGYA_CONNECTION))

    def iam_request(caller: str) -> str:
        status, _, payload = env.stack.api_request(
            "POST",
            f"/iam/webhooks/{SERVICENOW_IAM_SOURCE}",
            {"Content-Type": "application/json"},
            signed,
            identity=caller,
        )
        return f"HTTP {status} {payload.decode()}"

    story.run(
        "ServiceNow IntegrationHub, SigV4-signed on the IAM route by a caller not on the allow-list",
        lambda: iam_request("arn:aws:iam::123456789012:user/someone-else"),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )
    story.run(
        "ServiceNow IntegrationHub, SigV4-signed by the allowed IAM user: INC0010002 Closed, unlock at Gigya",
        lambda: iam_request(SERVICENOW_IAM_USER),
        expect=unlocked("kai unlocked", lambda: not kai.locked),
        note=lambda: f"kai now: locked={kai.locked}",
    )

    sam = env.gigya.add_account("sam-" + uuid.uuid4().hex[:8], "sam.okafor@example.com")
    fresh = encode(freshservice_body("123", sam.login_id))
    story.run(
        "Freshservice automation (Basic auth): ticket 123 Resolved, unlock the requester at Gigya",
        lambda: story.webhook(
            FRESHSERVICE_SOURCE, fresh, freshservice_headers(FRESHSERVICE_SECRET, basic_user="freshservice")
        ),
        expect=unlocked("sam unlocked", lambda: not sam.locked),
        note=lambda: f"sam.okafor now: locked={sam.locked}",
    )

    omar = env.pingone.add_user("omar.haddad", "omar.haddad@example.com", account_locked=True)
    github = encode(ticket_body("INC-2001", {"username": omar.username}))
    story.run(
        "GitHub-style signed webhook: INC-2001 resolved, unlock omar.haddad at PingOne",
        lambda: story.webhook(GITHUB_SOURCE, github, github_headers(GITHUB_SECRET, github)),
        expect=unlocked("omar unlocked", lambda: not omar.account_locked),
        note=lambda: f"omar.haddad now: account locked={omar.account_locked}",
    )
    tampered = github.replace(b"omar.haddad", b"administrator")
    story.run(
        "GitHub-style webhook with the user changed after signing",
        lambda: story.webhook(GITHUB_SOURCE, tampered, github_headers(GITHUB_SECRET, github)),
        expect=refused(401),
        note=lambda: "rejected: nothing on the bus",
    )
