"""A Zendesk Support simulator: "Update Ticket" with a comment, as the write-back sends it.

``PUT /api/v2/tickets/{ticket_id}.json`` with ``{"ticket": {"comment": {"body", "public"}, "status"?}}``,
Basic ``{email}/token:{api_token}`` (Zendesk Developer Docs, "Tickets",
https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket). The answer
carries the ticket and the ``audit`` with the ``Comment`` event, as Zendesk's does.
"""

from __future__ import annotations

from typing import ClassVar

from local.simulators.base import Reply, Request
from local.simulators.tickets import TicketSimulator


class ZendeskSimulator(TicketSimulator):
    name = "zendesk"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("PUT", r"/api/v2/tickets/(?P<ticket>[0-9]+)\.json", "update_ticket")
    ]

    def __init__(self, email: str, api_token: str) -> None:
        super().__init__(f"{email}/token", api_token)
        self.statuses: dict[str, str] = {}

    def update_ticket(self, request: Request) -> Reply:
        if not self.authorized(request):
            return self.unauthorized()
        ticket = request.params["ticket"]
        update = (request.json() or {}).get("ticket")
        comment = update.get("comment") if isinstance(update, dict) else None
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
            return Reply(422, {"error": "RecordInvalid", "description": "Record validation errors"})
        if "status" in update:
            self.statuses[ticket] = update["status"]
        public = bool(comment.get("public", True))
        comment_id = self.add_comment(ticket, {"body": comment["body"], "public": public})
        status = self.statuses.get(ticket, "solved")
        audit = {
            "id": comment_id + 1,
            "ticket_id": int(ticket),
            "events": [{"id": comment_id, "type": "Comment", "body": comment["body"], "public": public}],
        }
        return Reply(200, {"ticket": {"id": int(ticket), "status": status}, "audit": audit})

    def not_routed(self, request: Request) -> Reply:
        return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
