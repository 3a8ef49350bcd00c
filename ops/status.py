"""``status``: what happened to a request, a ticket or a user, through the layer's read API
(``account_unlock.status``, the one the status function answers with).

The layer reads its table and clients the Lambda way, from the environment (``AUDIT_TABLE``, the
region, ``AWS_ENDPOINT_URL``); ``configure_layer`` sets them from the resolved stack before the first
look-up, so a command sees what the status function would.
"""

from __future__ import annotations

import os
from typing import Any

from ops.aws import Aws
from ops.names import StackNames


def configure_layer(aws: Aws, names: StackNames) -> None:
    """Point the layer's settings and boto3 clients at the resolved stack (call before any look-up)."""
    from account_unlock.config import function_settings

    os.environ["AUDIT_TABLE"] = names.audit_table
    if aws.session.region_name:
        os.environ["AWS_DEFAULT_REGION"] = aws.session.region_name
    if aws.endpoint_url:
        credentials = aws.session.get_credentials()
        os.environ.update(
            AWS_ENDPOINT_URL=aws.endpoint_url,
            AWS_ACCESS_KEY_ID=credentials.access_key,
            AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        )
    function_settings.cache_clear()


def lookup(
    *, request: str | None = None, ticket: tuple[str, str] | None = None, user: tuple[str, str, str] | None = None
) -> list[dict[str, Any]]:
    """The summaries of the request (one or none), or of the ticket's or user's requests, newest first."""
    from account_unlock import status

    if request is not None:
        found = status.by_request(request)
        return [found] if found else []
    if ticket is not None:
        return status.by_ticket(*ticket)
    if user is not None:
        return status.by_user(*user)
    raise ValueError("give a request, a ticket or a user")


def describe(summary: dict[str, Any]) -> str:
    """A request's summary as a few aligned lines."""
    user = " ".join(f"{kind}={value}" for kind, value in (summary.get("user") or {}).items()) or "-"
    origin = summary.get("origin") or {}
    ticket = (
        f"{origin.get('system')}:{origin.get('ticket_id')}" if origin.get("ticket_id") else origin.get("system", "-")
    )
    lines = [f"request {summary['request_id']}  {summary.get('connection') or '-'}  {user}  {ticket}"]
    if summary.get("requested_by"):
        lines.append(f"  requested by {summary['requested_by']}")
    decision = summary.get("decision")
    if decision:
        actions = f" [{', '.join(decision.get('actions') or [])}]" if decision.get("actions") else ""
        reference = f" ref={decision['vendor_reference']}" if decision.get("vendor_reference") else ""
        lines.append(
            f"  decision   {decision.get('status')} ({decision.get('reason')}) at {decision.get('recorded_at')}"
            f" {decision.get('vendor') or ''}{reference}{actions}: {decision.get('message')}"
        )
    else:
        lines.append("  decision   none yet")
    attempts = summary.get("attempts") or []
    lines.append(
        f"  attempts   {len(attempts)}: " + ", ".join(f"{a.get('status')} {a.get('recorded_at')}" for a in attempts)
    )
    for writeback in summary.get("writeback") or []:
        reference = f" ref={writeback['writeback_reference']}" if writeback.get("writeback_reference") else ""
        lines.append(
            f"  write-back {writeback.get('status')} ({writeback.get('reason')}) at {writeback.get('recorded_at')}"
            f"{reference}: {writeback.get('message')}"
        )
    if not summary.get("writeback"):
        lines.append("  write-back none")
    lines.append(f"  seen       {summary.get('first_seen')} … {summary.get('last_seen')}")
    return "\n".join(lines)
