"""Freshservice: a note on the ticket, private by default.

"Create a Note", ``POST /api/v2/tickets/{id}/notes`` with ``{"body": <HTML>, "private": true}``
(Freshservice API v2 documentation, "Tickets" → "Create a Note", https://api.freshservice.com/v2/#create_a_note).
Authentication is Basic with the API key as the user name and any password (``X``, as the page's
examples). The comment is HTML-escaped, one line per ``<div>``. The answer's ``conversation.id`` is
the note id.
"""

from __future__ import annotations

import html
import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from account_unlock.helpdesks.base import BaseUrl, Helpdesk, Posted, WriteBackConfig, checked, json_object
from account_unlock.models import UnlockOutcome
from account_unlock.validation import path_segment

TICKET_ID = re.compile(r"^[1-9][0-9]{0,18}$")


class FreshserviceCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr = Field(min_length=1)


class FreshserviceWriteBack(WriteBackConfig):
    base_url: BaseUrl = Field(description="https://<domain>.freshservice.com")
    credentials: FreshserviceCredentials
    private: bool = Field(default=True, description="false: a public note the requester sees")


def html_body(text: str) -> str:
    return "".join(f"<div>{html.escape(line)}</div>" for line in text.splitlines() or [""])


class Freshservice(Helpdesk):
    name = "freshservice"
    config_model = FreshserviceWriteBack

    def post(self, config: FreshserviceWriteBack, ticket_id: str, comment: str, outcome: UnlockOutcome) -> Posted:
        ticket = path_segment(ticket_id, TICKET_ID, "origin.ticket_id")
        response = self.http.request(
            "POST",
            f"{config.base_url}/api/v2/tickets/{ticket}/notes",
            write=True,
            json={"body": html_body(comment), "private": config.private},
            auth=(config.credentials.api_key.get_secret_value(), "X"),
        )
        note = json_object(checked(response, "Freshservice", f"the note on ticket {ticket_id}")).get("conversation")
        reference = str(note["id"]) if isinstance(note, dict) and note.get("id") is not None else None
        kind = "private" if config.private else "public"
        return Posted(f"Freshservice ticket {ticket_id}: {kind} note added", reference)
