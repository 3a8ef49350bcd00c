"""A ServiceNow Table API simulator: the record look-up by number and the PATCH with a work note.

``GET /api/now/table/{table}?sysparm_query=number=<n>`` answers ``{"result": [{"sys_id"}]}`` (empty
for an unknown number); ``PATCH /api/now/table/{table}/{sys_id}`` with ``work_notes`` / ``comments``
appends a journal entry (ServiceNow API reference, "Table API",
https://www.servicenow.com/docs/bundle/yokohama-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html).
Every record number exists (a record is made on its first look-up, with the sys_id the sample
bodies carry) except the ones a test lists in ``missing``. Comments are counted under the number.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from local.simulators.base import Reply, Request
from local.simulators.tickets import TicketSimulator

JOURNAL_FIELDS = ("work_notes", "comments")


def sys_id_of(number: str) -> str:
    """The sys_id the sample records get (local/senders.py's ``servicenow_record`` uses the same)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, number).hex


class ServiceNowSimulator(TicketSimulator):
    name = "servicenow"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("GET", r"/api/now/table/(?P<table>[a-z_0-9]+)", "query"),
        ("PATCH", r"/api/now/table/(?P<table>[a-z_0-9]+)/(?P<sys_id>[0-9a-f]{32})", "patch"),
    ]

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self.records: dict[str, dict[str, str]] = {}  # sys_id → {"number", "table", "state"}
        self.missing: set[str] = set()  # numbers the look-up does not find

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.records.clear()
            self.missing.clear()

    def query(self, request: Request) -> Reply:
        if not self.authorized(request):
            return self.denied()
        query = (request.query.get("sysparm_query") or [""])[-1]
        field, _, number = query.partition("=")
        table = request.params["table"]
        if field == "number" and number and number not in self.missing:
            self.records.setdefault(sys_id_of(number), {"number": number, "table": table, "state": "6"})
        found = [
            {"sys_id": sys_id}
            for sys_id, record in self.records.items()
            if field == "number" and record["number"] == number and record["table"] == table
        ]
        return Reply(200, {"result": found[:1]})

    def patch(self, request: Request) -> Reply:
        if not self.authorized(request):
            return self.denied()
        record = self.records.get(request.params["sys_id"])
        if record is None or record["table"] != request.params["table"]:
            return Reply(
                404, {"error": {"message": "No Record found", "detail": "Record doesn't exist"}, "status": "failure"}
            )
        update = request.json() or {}
        for field in JOURNAL_FIELDS:
            if isinstance(update.get(field), str):
                self.add_comment(record["number"], {"field": field, "body": update[field]})
        if "state" in update:
            record["state"] = str(update["state"])
        return Reply(
            200, {"result": {"sys_id": request.params["sys_id"], "number": record["number"], "state": record["state"]}}
        )

    def denied(self) -> Reply:
        return Reply(
            401,
            {
                "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
                "status": "failure",
            },
        )
