"""Jira: admin webhooks with a secret (``jira``) and Automation "Send web request" (``jira-automation``).

``jira``: Jira signs the raw body, ``X-Hub-Signature: sha256=<hex>`` (HMAC-SHA256 with the webhook's
secret). Every Jira body carries ``timestamp`` (unix milliseconds, the event's time, kept by Jira's
retries for up to 30 minutes), signed with it: it must lie within the signed-body replay window (48 h)
of receipt, so a captured delivery cannot be replayed once the delivery-id record (72 h) and the
business key are gone. (A body without one is not Jira's and is left to the mapping.)
``X-Atlassian-Webhook-Identifier`` names the delivery and stays the same across Jira's retries. The
body is Jira's own ``jira:issue_updated`` payload; the issue is resolved when its status category is ``done`` or the update set a resolution. Jira Cloud often
hides reporter emails, so the account to unlock comes from a custom field (``customfield_10050`` in
the preset): a text field holding an email or a username, or a user picker (its ``emailAddress``,
else its Data Center ``name``). A Cloud ``accountId`` is never used: it is not the vendor's id.

``jira-automation``: Automation's web request has no signature; the rule sends a static secret in
``X-Automation-Webhook-Token`` (a hidden header), compared in constant time. There is no delivery id;
the unlock function deduplicates on the business key. The body is the generic ticket JSON built with
smart values (docs/sources/jira-automation.md); ``ticket.status_category == 'done'`` also resolves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from account_unlock.sources.base import Delivery
from account_unlock.sources.mapping import FieldMap
from account_unlock.sources.signatures import HexHmacKind, StaticSecretKind, check_body_time
from account_unlock.sources.standard_webhooks import GENERIC_TICKET

USER_FIELD = "issue.fields.customfield_10050"


def user_expression(field: str = USER_FIELD) -> str:
    """The ``user`` mapping for a custom field holding an email, a username or a user object."""
    text = f"type({field}) == 'string'"
    return (
        f"{{email: {field}.emailAddress || ({text} && contains({field}, '@') && {field}) || null, "
        f"username: (!({field}.emailAddress) && ({field}.name || ({text} && !contains({field}, '@') && {field}))) || null}}"
    )


RESOLUTION_SET = "length(changelog.items[?field == 'resolution' && toString != null] || `[]`) > `0`"

JIRA_ISSUE = FieldMap(
    ticket_id="issue.key",
    status="issue.fields.status.name",
    resolved=(
        "webhookEvent == 'jira:issue_updated' && "
        f"(issue.fields.status.statusCategory.key == 'done' || {RESOLUTION_SET})"
    ),
    user=user_expression(),
    ticket_url="issue.self",
    requested_by="user.emailAddress || user.name || user.accountId",
    reason="issue.fields.resolution.name",
)


class JiraWebhook(HexHmacKind):
    kind = "jira"
    preset = JIRA_ISSUE
    signature_header = "x-hub-signature"
    delivery_header = "x-atlassian-webhook-identifier"

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        delivery_id = super().authenticate(delivery, secrets)
        check_body_time(delivery, "timestamp")  # every Jira webhook body has one
        return delivery_id


class JiraAutomation(StaticSecretKind):
    kind = "jira-automation"
    preset = dataclasses.replace(
        GENERIC_TICKET, resolved=f"ticket.status_category == 'done' || {GENERIC_TICKET.resolved}"
    )
    secret_header = "x-automation-webhook-token"  # noqa: S105 - a header name
