"""The run command's write-back tour: a resolved ticket receives its comment, a failed unlock its own.

Each step sends a signed ticket, lets the bus deliver the unlock and then the outcome to the
write-back function, and checks the helpdesk simulator holds exactly one comment on that ticket,
with the outcome in it.
"""

from __future__ import annotations

from local.samples import PINGONE_CONNECTION
from local.senders import (
    SERVICENOW_SECRET,
    SERVICENOW_SOURCE,
    ZENDESK_SECRET,
    ZENDESK_SOURCE,
    configure_sources,
    servicenow_headers,
    servicenow_record,
    zendesk_body,
    zendesk_headers,
)
from local.signing import encode
from local.steps import Expect, Story, unlocked


def writeback_story(story: Story) -> None:
    env = story.env
    configure_sources(env)

    kim = env.pingone.add_user("kim.nguyen", "kim.nguyen@example.com", account_locked=True)
    zendesk = encode(zendesk_body("5120", kim.email))

    def zendesk_comment() -> list[str]:
        return [comment["body"] for comment in env.zendesk.comments.get("5120", [])]

    story.run(
        "Zendesk ticket 5120 solved: kim unlocked, the ticket gets one internal comment saying so",
        lambda: story.webhook(ZENDESK_SOURCE, zendesk, zendesk_headers(ZENDESK_SECRET, zendesk)),
        expect=unlocked(
            "one comment on 5120",
            lambda: (
                len(zendesk_comment()) == 1
                and zendesk_comment()[0].startswith("Account unlocked")
                and not kim.account_locked
            ),
        ),
        note=lambda: f"Zendesk ticket 5120 comments: {zendesk_comment()}",
    )
    record = encode(servicenow_record("INC0020001", "nobody@example.com", "nobody", connection=PINGONE_CONNECTION))

    def work_notes() -> list[str]:
        return [comment["body"] for comment in env.servicenow.comments.get("INC0020001", [])]

    story.run(
        "ServiceNow INC0020001 resolved for an unknown user: the failed unlock is a work note on the record",
        lambda: story.webhook(SERVICENOW_SOURCE, record, servicenow_headers(SERVICENOW_SECRET)),
        expect=Expect(
            http=202,
            outcome="Unlock Failed",
            reason="user_not_found",
            vendor_called=True,
            check="one work note on INC0020001",
            holds=lambda: len(work_notes()) == 1 and work_notes()[0].startswith("Unlock failed (user_not_found)"),
        ),
        note=lambda: f"ServiceNow INC0020001 work notes: {work_notes()}",
    )
