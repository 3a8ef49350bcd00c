"""The preset of the ticket body we recommend to helpdesks whose webhooks carry an admin-written template.

Zendesk triggers and Freshservice/Freshdesk automations render the same JSON shape (see
docs/sources/zendesk.md and docs/sources/freshservice.md)::

    {"ticket": {"id": ..., "status": ..., "url": ..., "requester_email": ..., "unlock_user": ...},
     "connection": "...", "agent": ..., "reason": ...}

The account to unlock is ``ticket.unlock_user`` (a ticket field the agent fills in when the locked
user is not the requester) or, when that field is empty or absent, the requester's email. Only the
resolved test differs per helpdesk.
"""

from __future__ import annotations

import dataclasses

from account_unlock.sources.mapping import FieldMap
from account_unlock.sources.standard_webhooks import GENERIC_TICKET

TEMPLATE_USER = "{email: ticket.unlock_user || ticket.requester_email}"


def templated_ticket(resolved: str) -> FieldMap:
    """The generic ticket preset, with the template's user and agent fields and this resolved test."""
    return dataclasses.replace(GENERIC_TICKET, resolved=resolved, user=TEMPLATE_USER, requested_by="agent")
