"""``make run``: the whole story on sample events, against the local stack, with a readable summary.

Each scenario sends a trigger the way production receives it (a signed webhook through the API,
or an event put on the bus), lets the bus rules deliver what matched to the unlock function, and
prints the HTTP answer, the outcome event and the vendor calls the simulator saw.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment, ticket_body, unlock_requested
from local.signing import encode, standard_webhook_headers
from local.stack import Invocation
from local.story_identity_events import identity_events_story
from local.story_self_service import self_service_story
from local.story_ticketing import ticketing_story
from local.story_vendors import vendors_story


@dataclass
class Step:
    title: str
    answer: str = ""
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    deliveries: int = 0
    vendor_calls: list[str] = field(default_factory=list)
    note: str = ""
    returned: list[str] = field(default_factory=list)


class Story:
    def __init__(self, env: LocalEnvironment) -> None:
        self.env = env
        self.steps: list[Step] = []

    def webhook(self, source: str, body: bytes, headers: dict[str, str]) -> str:
        status, _, payload = self.env.stack.api_request("POST", f"/webhooks/{source}", headers, body)
        return f"HTTP {status} {payload.decode()}"

    def run(self, title: str, trigger: Callable[[], str], note: Callable[[], str] = lambda: "") -> Step:
        for simulator in self.env.simulators:
            simulator.clear()
        step = Step(title)
        step.answer = trigger()
        invocations = self.env.stack.dispatch()
        step.deliveries = len(invocations)
        step.returned = [returned(invocation) for invocation in invocations]
        step.outcomes = self.env.stack.drain("Outcomes")
        step.vendor_calls = [
            f"{sim.name}: {call.method} {unquote(call.path)}{query(call.query)} → {call.status}"
            for sim in self.env.simulators
            for call in sim.requests
        ]
        step.note = note()
        self.steps.append(step)
        print_step(len(self.steps), step)
        return step


def returned(invocation: Invocation) -> str:
    if invocation.error:
        return f"failed after {invocation.attempts} attempt(s): {invocation.error}"
    result = invocation.result or {}
    return (
        f"returned status={result.get('status')} reason={result.get('reason')} after {invocation.attempts} attempt(s)"
    )


def query(params: dict[str, list[str]]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, values in params.items() for v in values) if params else ""


def describe(outcome: dict[str, Any]) -> str:
    detail = outcome["detail"]
    user = ", ".join(f"{k}={v}" for k, v in detail.get("user", {}).items())
    actions = f" [{', '.join(detail['actions'])}]" if detail.get("actions") else ""
    reference = f" ref={detail['vendor_reference']}" if detail.get("vendor_reference") else ""
    why = "" if detail["reason"] == "unlocked" else f" reason={detail['reason']}: {detail['message']}"
    return f"{outcome['detail-type']}: {detail.get('vendor')} {detail['connection']} {user}{actions}{reference}{why}"


def print_step(number: int, step: Step) -> None:
    print(f"\n[{number}] {step.title}")
    if step.answer:
        print(f"    answer   {step.answer}")
    print(f"    bus      {step.deliveries} delivery(ies) to UnlockFunction")
    for line in step.returned:
        print(f"    unlock   {line}")
    for outcome in step.outcomes:
        print(f"    outcome  {describe(outcome)}")
    if not step.outcomes:
        print("    outcome  none")
    for call in step.vendor_calls:
        print(f"    vendor   {call}")
    if step.note:
        print(f"    note     {step.note}")


def signed(body: dict[str, Any], **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    raw = encode(body)
    return raw, standard_webhook_headers(WEBHOOK_SECRET, raw, **kwargs)


def pingone_story(story: Story) -> None:
    env = story.env
    pingone = env.pingone
    jdoe = pingone.add_user("jdoe", "jdoe@example.com", account_locked=False)
    pingone.fail_sign_ins(jdoe)
    asmith = pingone.add_user("asmith", "asmith@example.com", account_locked=True)
    kwong = pingone.add_user("kwong", "kwong@example.com", account_locked=True)
    pingone.add_user("mlee", "mlee@example.com", account_locked=False)

    raw, headers = signed(ticket_body("INC-1001", {"username": "jdoe"}))
    story.run(
        "Signed webhook: ticket INC-1001 resolved, unlock PingOne user jdoe (locked out by failed sign-ins)",
        lambda: story.webhook(HELPDESK_SOURCE, raw, headers),
        note=lambda: f"jdoe can sign in: {jdoe.can_sign_in}; PingOne events {[kind for kind, _ in pingone.events]}",
    )
    story.run(
        "The sender retries the same delivery (same webhook-id)",
        lambda: story.webhook(HELPDESK_SOURCE, raw, headers),
        note=lambda: "delivery-id dedupe: the same 202, no second event on the bus, no vendor call",
    )
    free_raw, free_headers = signed(ticket_body("INC-1006", {"username": "mlee"}))
    story.run(
        "Ticket INC-1006 resolved for mlee, who is not locked",
        lambda: story.webhook(HELPDESK_SOURCE, free_raw, free_headers),
        note=lambda: "PingOne's state read first: no vendor write, reported as already_unlocked",
    )
    story.run(
        'Identity workflow puts an "Unlock Requested" event on the bus for asmith@example.com',
        lambda: env.stack.put_event("Unlock Requested", unlock_requested({"email": "asmith@example.com"})) or "",
        note=lambda: f"asmith now: account locked={asmith.account_locked}",
    )
    tampered = raw.replace(b"jdoe", b"root")
    story.run(
        "Tampered body (user changed after signing)",
        lambda: story.webhook(HELPDESK_SOURCE, tampered, headers),
        note=lambda: "rejected: nothing on the bus",
    )
    stale_raw, stale_headers = signed(ticket_body("INC-1002", {"username": "jdoe"}), timestamp=1_600_000_000)
    story.run(
        "Replayed old delivery (timestamp from 2020)",
        lambda: story.webhook(HELPDESK_SOURCE, stale_raw, stale_headers),
        note=lambda: "rejected: nothing on the bus",
    )
    open_raw, open_headers = signed(ticket_body("INC-1003", {"username": "kwong"}, status="pending"))
    story.run(
        "Ticket INC-1003 updated but not resolved",
        lambda: story.webhook(HELPDESK_SOURCE, open_raw, open_headers),
        note=lambda: "ignored: nothing on the bus",
    )
    gone_raw, gone_headers = signed(ticket_body("INC-1004", {"username": "no.such.user"}))
    story.run(
        "Ticket INC-1004 resolved for a user PingOne does not know",
        lambda: story.webhook(HELPDESK_SOURCE, gone_raw, gone_headers),
        note=lambda: "permanent failure: recorded and published, not retried",
    )

    def rate_limited() -> str:
        pingone.fail(
            429,
            {"id": "rl", "code": "REQUEST_LIMITED", "message": "Too many requests"},
            headers={"Retry-After": "1"},
            path="/users/",
            times=1,
        )
        busy_raw, busy_headers = signed(ticket_body("INC-1005", {"username": "kwong"}))
        return story.webhook(HELPDESK_SOURCE, busy_raw, busy_headers)

    story.run(
        "Ticket INC-1005 resolved while PingOne rate-limits (429, Retry-After: 1)",
        rate_limited,
        note=lambda: f"kwong now: account locked={kwong.account_locked}; Retry-After honoured, then one unlock",
    )


def summary(story: Story, env: LocalEnvironment) -> int:
    outcomes = [o["detail"] for step in story.steps for o in step.outcomes]
    counts = Counter(o["status"] for o in outcomes)
    already = sum(1 for o in outcomes if o["reason"] == "already_unlocked")
    reasons = Counter(o["reason"] for o in outcomes if o["status"] == "failed")
    dlq = env.stack.drain("UnlockDeadLetterQueue")
    audit = env.stack.client("dynamodb").scan(TableName=env.stack.names["AuditTable"])["Count"]
    print("\nSummary")
    print(f"    unlocked          {counts['unlocked'] - already}, already unlocked (no vendor write) {already}")
    print(f"    failed            {counts['failed']} {dict(reasons) if reasons else ''}")
    rejected = sum(1 for s in story.steps if s.answer.startswith(("HTTP 4", "HTTP 5")))
    ignored = sum(1 for s in story.steps if '"ignored"' in s.answer)
    print(f"    webhooks rejected {rejected}, ignored {ignored}")
    print(f"    audit records     {audit}")
    print(f"    dead-letter queue {len(dlq)} message(s)")
    return 0 if counts["unlocked"] >= 7 and not dlq else 1


def main() -> int:
    env = LocalEnvironment().start()
    print("account-unlock local run")
    print(
        f"    AWS (moto server)  {env.stack.moto_endpoint}: bus, archive, tables, queues and rules from template.yaml"
    )
    print(f"    PingOne simulator  {env.pingone.url}")
    try:
        story = Story(env)
        pingone_story(story)
        vendors_story(story)
        ticketing_story(story)
        identity_events_story(story)
        self_service_story(story)
        return summary(story, env)
    finally:
        env.stop()


if __name__ == "__main__":
    sys.exit(main())
