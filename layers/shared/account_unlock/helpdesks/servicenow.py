"""ServiceNow: a work note on the record (or a customer-visible comment), with an optional state change.

Table API (ServiceNow API reference, "Table API",
https://www.servicenow.com/docs/bundle/yokohama-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html):
``PATCH /api/now/table/{tableName}/{sys_id}`` with ``{"work_notes": "..."}`` updates only the fields
sent; a journal field (``work_notes``, ``comments``) appends an entry. The sources send the record's
``number`` (INC0010001): it is looked up first with ``GET /api/now/table/{tableName}?sysparm_query=number=<n>``
(``sysparm_fields=sys_id``, ``sysparm_limit=1``), a read that is retried freely; a ticket id that is
already a ``sys_id`` (32 hex, a mapping override) skips the look-up. The PATCH is the one write, and
the last request. Basic authentication with an integration user (role ``itil`` on the table).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from account_unlock.errors import PermanentError
from account_unlock.helpdesks.base import BaseUrl, Helpdesk, Posted, WriteBackConfig, checked, json_object
from account_unlock.models import UnlockOutcome
from account_unlock.validation import path_segment

SYS_ID = re.compile(r"^[0-9a-f]{32}$")
NUMBER = re.compile(r"^[A-Z]{2,8}[0-9]{4,12}$")  # INC0010001, RITM0000123


class ServiceNowCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1, max_length=128)
    password: SecretStr = Field(min_length=1)


class ServiceNowWriteBack(WriteBackConfig):
    base_url: BaseUrl = Field(description="https://<instance>.service-now.com")
    credentials: ServiceNowCredentials
    table: str = Field(default="incident", pattern=r"^[a-z][a-z0-9_]{0,79}$")
    journal_field: Literal["work_notes", "comments"] = Field(
        default="work_notes", description="work_notes: agents only; comments: the caller sees it"
    )
    state: str | None = Field(default=None, pattern=r"^[0-9]{1,3}$", description="Also set the record's state")


class ServiceNow(Helpdesk):
    name = "servicenow"
    config_model = ServiceNowWriteBack

    def post(self, config: ServiceNowWriteBack, ticket_id: str, comment: str, outcome: UnlockOutcome) -> Posted:
        table_url = f"{config.base_url}/api/now/table/{config.table}"
        auth = (config.credentials.username, config.credentials.password.get_secret_value())
        sys_id = ticket_id if SYS_ID.fullmatch(ticket_id) else self.look_up(table_url, auth, ticket_id)
        update = {config.journal_field: comment} | ({"state": config.state} if config.state else {})
        response = self.http.request(
            "PATCH",
            f"{table_url}/{path_segment(sys_id, SYS_ID, 'sys_id')}",
            write=True,
            json=update,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        checked(response, "ServiceNow", f"the update of {config.table} {ticket_id}")
        note = "work note" if config.journal_field == "work_notes" else "comment"
        return Posted(f"ServiceNow {config.table} {ticket_id}: {note} added", sys_id)

    def look_up(self, table_url: str, auth: tuple[str, str], number: str) -> str:
        """The ``sys_id`` of the record numbered ``number``."""
        path_segment(number, NUMBER, "origin.ticket_id")  # checked before it goes into the query
        response = self.http.request(
            "GET",
            table_url,
            params={"sysparm_query": f"number={number}", "sysparm_fields": "sys_id", "sysparm_limit": "1"},
            auth=auth,
            headers={"Accept": "application/json"},
        )
        found = json_object(checked(response, "ServiceNow", f"the look-up of {number}")).get("result")
        if not isinstance(found, list) or not found or not isinstance(found[0], dict):
            raise PermanentError("ticket_not_found", f"ServiceNow has no record numbered {number}")
        return str(found[0].get("sys_id", ""))
