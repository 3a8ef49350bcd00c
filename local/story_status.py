"""The run command's status tour: a resolved ticket looked up by ticket and by request id, and the
same ticket re-sent in a new delivery answered with the original request id.

The look-ups go through the status function's AWS_IAM routes with a caller ARN, as API Gateway
passes it after verifying the SigV4 signature (``local.status_calls.status_request``).
"""

from __future__ import annotations

import json
from typing import Any

from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, ticket_body
from local.signing import encode, standard_webhook_headers
from local.status_calls import status_request
from local.steps import Story, refused, unlocked


def status_story(story: Story) -> None:
    env = story.env
    rpatel = env.pingone.add_user("rpatel", "rpatel@example.com", account_locked=True)
    body = ticket_body("INC-4101", {"username": "rpatel"})
    raw = encode(body)
    first: dict[str, Any] = {}

    def send() -> str:
        status, _, payload = env.stack.api_request(
            "POST", f"/webhooks/{HELPDESK_SOURCE}", standard_webhook_headers(WEBHOOK_SECRET, raw), raw
        )
        first.update(json.loads(payload))
        return f"HTTP {status} {payload.decode()}"

    story.run(
        "Signed webhook: ticket INC-4101 resolved, unlock PingOne user rpatel",
        send,
        expect=unlocked("rpatel unlocked", lambda: not rpatel.account_locked),
    )
    looked_up: dict[str, Any] = {}

    def by_ticket() -> str:
        status, answer = status_request(env.stack, f"/unlocks?ticket={HELPDESK_SOURCE}:INC-4101")
        looked_up.update(answer)
        return f"HTTP {status} {json.dumps(answer, separators=(',', ':'))}"

    story.run(
        "Status look-up by ticket (GET /unlocks?ticket=helpdesk:INC-4101, IAM-signed)",
        by_ticket,
        expect=refused(
            200,
            "one request, unlocked",
            lambda: [r["decision"]["reason"] for r in looked_up["requests"]] == ["unlocked"],
        ),
        note=lambda: f"requests: {[(r['request_id'], r['decision']['status']) for r in looked_up['requests']]}",
        channel="status",
    )
    one: dict[str, Any] = {}

    def by_request() -> str:
        status, answer = status_request(env.stack, f"/unlocks/{first['request_id']}")
        one.update(answer)
        return f"HTTP {status} {json.dumps(answer, separators=(',', ':'))}"

    story.run(
        "Status look-up by request id (GET /unlocks/{request_id})",
        by_request,
        expect=refused(200, "decision unlocked", lambda: (one.get("decision") or {}).get("status") == "unlocked"),
        note=lambda: f"decision: {one.get('decision')}",
        channel="status",
    )
    again: dict[str, Any] = {}

    def resend() -> str:
        headers = standard_webhook_headers(WEBHOOK_SECRET, raw)  # a new webhook-id
        status, _, payload = env.stack.api_request("POST", f"/webhooks/{HELPDESK_SOURCE}", headers, raw)
        again.update(json.loads(payload))
        return f"HTTP {status} {payload.decode()}"

    story.run(
        "The helpdesk re-sends ticket INC-4101 in a new delivery (new webhook-id)",
        resend,
        expect=refused(
            202,
            "original request id, duplicate",
            lambda: again.get("request_ids") == [first["request_id"]] == again.get("duplicates"),
        ),
        note=lambda: (
            "same business key: the first request id, listed in duplicates; the unlock function returns "
            "the stored outcome (no vendor call, no second outcome)"
        ),
    )
