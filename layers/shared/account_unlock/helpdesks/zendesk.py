"""Zendesk: a comment on the ticket, public or internal, with an optional status change.

Zendesk creates ticket comments only through the Tickets API: "Update Ticket",
``PUT /api/v2/tickets/{ticket_id}.json`` with ``{"ticket": {"comment": {"body", "public"}}}``
(Zendesk Developer Docs, "Tickets", https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket,
and "Ticket Comments", https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/:
"Ticket comments are created with the Tickets API"). ``public: false`` makes an internal note. API
token authentication is Basic ``{email_address}/token:{api_token}``. The answer's ``audit`` lists
the ``Comment`` event created, whose id is kept as the reference.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from account_unlock.helpdesks.base import BaseUrl, Helpdesk, Posted, WriteBackConfig, checked, json_object
from account_unlock.models import UnlockOutcome
from account_unlock.validation import path_segment

TICKET_ID = re.compile(r"^[1-9][0-9]{0,18}$")


class ZendeskCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str = Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The agent the API token belongs to; comments are authored by them",
    )
    api_token: SecretStr = Field(min_length=1)


class ZendeskWriteBack(WriteBackConfig):
    base_url: BaseUrl = Field(description="https://<subdomain>.zendesk.com")
    credentials: ZendeskCredentials
    public: bool = Field(default=False, description="false: an internal note (agents only)")
    status: Literal["open", "pending", "hold", "solved"] | None = Field(
        default=None, description="Also set the ticket's status in the same update"
    )


class Zendesk(Helpdesk):
    name = "zendesk"
    config_model = ZendeskWriteBack

    def post(self, config: ZendeskWriteBack, ticket_id: str, comment: str, outcome: UnlockOutcome) -> Posted:
        ticket = path_segment(ticket_id, TICKET_ID, "origin.ticket_id")
        update: dict[str, object] = {"comment": {"body": comment, "public": config.public}}
        if config.status:
            update["status"] = config.status
        credentials = config.credentials
        response = self.http.request(
            "PUT",
            f"{config.base_url}/api/v2/tickets/{ticket}.json",
            write=True,
            json={"ticket": update},
            auth=(f"{credentials.email}/token", credentials.api_token.get_secret_value()),
        )
        audit = json_object(checked(response, "Zendesk", f"the update of ticket {ticket_id}")).get("audit")
        events = audit.get("events", []) if isinstance(audit, dict) else []
        ids = [str(e["id"]) for e in events if isinstance(e, dict) and e.get("type") == "Comment" and "id" in e]
        kind = "public" if config.public else "internal"
        return Posted(f"Zendesk ticket {ticket_id}: {kind} comment added", ids[0] if ids else None)
