"""What the helpdesk simulators share: the comments they received, counted per ticket, and Basic auth.

Each helpdesk simulator (zendesk.py, jira.py, servicenow.py, freshservice.py, callback.py) answers
the one write-back request of its helpdesk as the helpdesk documents it, and keeps every comment it
accepted under the ticket it was added to: ``comments[ticket]`` is what the tests count.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any, ClassVar

from local.simulators.base import Reply, Request, Simulator


class TicketSimulator(Simulator):
    """A helpdesk that accepts comments on tickets from one Basic-auth user."""

    name: ClassVar[str] = "helpdesk"

    def __init__(self, username: str, password: str) -> None:
        super().__init__()
        self.username = username
        self.password = password
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(900001)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.comments.clear()

    def authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.header("authorization") == f"Basic {expected}"

    def add_comment(self, ticket: str, comment: dict[str, Any]) -> int:
        comment_id = next(self._ids)
        self.comments.setdefault(ticket, []).append({"id": comment_id} | comment)
        return comment_id

    def comment_count(self, ticket: str) -> int:
        with self.lock:
            return len(self.comments.get(ticket, []))

    def unauthorized(self) -> Reply:
        return Reply(401, {"error": "Couldn't authenticate you"})
