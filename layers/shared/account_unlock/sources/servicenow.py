"""ServiceNow: an outbound REST message sent by a business rule (docs/sources/servicenow.md).

ServiceNow has no webhook signature. Either the REST message carries a static secret in
``X-ServiceNow-Secret`` (compared in constant time; not ``Authorization``, which an IntegrationHub
AWS SigV4 credential needs for its own signature), or the source sets ``"auth": "iam"``: IntegrationHub
signs the request with AWS SigV4 for the IAM route ``POST /iam/webhooks/{source}``, API Gateway verifies
it and the webhook accepts only the callers in ``iam_principals`` (see webhook.py).

The body is what the recommended script builds: ``number`` (INC…/RITM…), ``state`` (6 = Resolved,
7 = Closed; a string or a number), ``url``, ``caller.email`` / ``caller.user_name``. There is no
delivery id; the unlock function deduplicates on the business key.
"""

from __future__ import annotations

from account_unlock.sources.mapping import FieldMap
from account_unlock.sources.signatures import StaticSecretKind

SERVICENOW_RECORD = FieldMap(
    ticket_id="number",
    status="state",
    resolved="contains(['6', '7'], to_string(state))",
    # The caller's email when the record has one, else their user name.
    user="{email: caller.email || null, username: (!(caller.email) && caller.user_name) || null}",
    connection="connection",
    ticket_url="url",
    requested_by="resolved_by",
    reason="close_code",
)


class ServiceNow(StaticSecretKind):
    kind = "servicenow"
    preset = SERVICENOW_RECORD
    secret_header = "x-servicenow-secret"  # noqa: S105 - a header name
