"""A Freshservice simulator: "Create a Note" on a ticket.

``POST /api/v2/tickets/{id}/notes`` with ``{"body": <HTML>, "private": bool}``, Basic with the API key
as the user name and ``X`` (Freshservice API v2, "Create a Note", https://api.freshservice.com/v2/#create_a_note):
201 with ``{"conversation": {...}}``.
"""

from __future__ import annotations

from typing import ClassVar

from local.simulators.base import Reply, Request
from local.simulators.tickets import TicketSimulator


class FreshserviceSimulator(TicketSimulator):
    name = "freshservice"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/api/v2/tickets/(?P<ticket>[0-9]+)/notes", "create_note")
    ]

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key, "X")

    def create_note(self, request: Request) -> Reply:
        if not self.authorized(request):
            return Reply(
                401, {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}
            )
        body = request.json() or {}
        if not isinstance(body.get("body"), str) or not body["body"]:
            return Reply(
                400, {"description": "Validation failed", "errors": [{"field": "body", "code": "missing_field"}]}
            )
        ticket = request.params["ticket"]
        private = bool(body.get("private", True))
        note_id = self.add_comment(ticket, {"body": body["body"], "private": private})
        return Reply(
            201, {"conversation": {"id": note_id, "ticket_id": int(ticket), "body": body["body"], "private": private}}
        )

    def not_routed(self, request: Request) -> Reply:
        return Reply(404, {"code": "not_found", "message": "There is no resource matching the request"})
