"""Jira: a comment on the issue, in Atlassian Document Format, optionally internal (Jira Service Management).

"Add comment", ``POST /rest/api/3/issue/{issueIdOrKey}/comment`` with ``{"body": <ADF document>}``
(The Jira Cloud platform REST API, "Issue comments",
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post;
the body format: "Atlassian Document Format", https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).
In a Jira Service Management project a comment is shared with the customer unless its
``sd.public.comment`` property says ``{"internal": true}`` (same page, ``properties``). Basic
authentication with an Atlassian account email and API token. The answer's ``id`` is the comment id.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from account_unlock.helpdesks.base import BaseUrl, Helpdesk, Posted, WriteBackConfig, checked, json_object
from account_unlock.models import UnlockOutcome
from account_unlock.validation import path_segment

ISSUE = re.compile(r"^([A-Z][A-Z0-9_]{0,254}-[1-9][0-9]{0,18}|[1-9][0-9]{0,18})$")  # a key (OPS-12) or an id


class JiraCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    api_token: SecretStr = Field(min_length=1)


class JiraWriteBack(WriteBackConfig):
    base_url: BaseUrl = Field(description="https://<site>.atlassian.net")
    credentials: JiraCredentials
    internal: bool = Field(default=True, description="Jira Service Management: an internal comment (agents only)")


def adf(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: one paragraph per line, text nodes only (no marks, no links)."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} if line else {"type": "paragraph"}
        for line in text.splitlines() or [""]
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


class Jira(Helpdesk):
    name = "jira"
    config_model = JiraWriteBack

    def post(self, config: JiraWriteBack, ticket_id: str, comment: str, outcome: UnlockOutcome) -> Posted:
        issue = path_segment(ticket_id, ISSUE, "origin.ticket_id")
        body: dict[str, Any] = {"body": adf(comment)}
        if config.internal:
            body["properties"] = [{"key": "sd.public.comment", "value": {"internal": True}}]
        credentials = config.credentials
        response = self.http.request(
            "POST",
            f"{config.base_url}/rest/api/3/issue/{issue}/comment",
            write=True,
            json=body,
            auth=(credentials.email, credentials.api_token.get_secret_value()),
        )
        created = json_object(checked(response, "Jira", f"the comment on issue {ticket_id}"))
        kind = "internal" if config.internal else "public"
        reference = str(created["id"]) if created.get("id") is not None else None
        return Posted(f"Jira issue {ticket_id}: {kind} comment added", reference)
