"""``make run``: the whole story on sample events, against the local stack, one checked line per step.

Each step sends a trigger the way production receives it (a signed webhook through the API, a
portal request, or an event put on the bus), lets the bus rules deliver what matched to the unlock
function, and compares what happened with what the step expects: ✓ or ✗. ``--verbose``
(``make run V=1``) prints the full trace of every step instead. Exits 1 if any step is ✗.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from local.samples import LocalEnvironment
from local.steps import Step, Story, failed
from local.story_auth0 import auth0_story
from local.story_identity_events import identity_events_story
from local.story_okta import okta_story
from local.story_operations import operations_story
from local.story_pingone import pingone_story
from local.story_self_service import self_service_story
from local.story_status import status_story
from local.story_ticketing import ticketing_story
from local.story_vendors import vendors_story
from local.story_writeback import writeback_story

SIMULATOR_NAMES = {
    "pingone": "PingOne",
    "loginradius": "LoginRadius",
    "sailpoint": "SailPoint",
    "gigya": "Gigya",
    "okta": "Okta",
    "auth0": "Auth0",
    "zendesk": "Zendesk",
    "jira": "Jira",
    "servicenow": "ServiceNow",
    "freshservice": "Freshservice",
    "callback": "Callback receiver",
}
DEAD_LETTER_QUEUES = ("UnlockDeadLetterQueue", "WriteBackDeadLetterQueue")


def header(env: LocalEnvironment) -> None:
    print("account-unlock local run")
    print(
        f"    AWS (moto server)      {env.stack.moto_endpoint}: bus, archive, tables, queues and rules from template.yaml"
    )
    for simulator in env.simulators:
        print(f"    {SIMULATOR_NAMES.get(simulator.name, simulator.name) + ' simulator':<22} {simulator.url}")


def answers(steps: list[Step]) -> str:
    """Accepted, ignored (200 "ignored") and refused (4xx) answers among ``steps``."""
    ignored = sum(1 for s in steps if '"status":"ignored"' in s.answer)
    accepted = sum(1 for s in steps if s.status in (200, 202)) - ignored
    refused = sum(1 for s in steps if s.status is not None and s.status >= 400)
    return f"{accepted} accepted, {ignored} ignored, {refused} refused"


def summary(story: Story, env: LocalEnvironment) -> int:
    outcomes = [o["detail"] for step in story.steps for o in step.outcomes]
    counts = Counter(o["status"] for o in outcomes)
    already = sum(1 for o in outcomes if o["reason"] == "already_unlocked")
    reasons = Counter(o["reason"] for o in outcomes if o["status"] == "failed")
    portal = [s for s in story.steps if s.channel == "self-service"]
    webhooks = [s for s in story.steps if s.channel == "webhook"]
    bus = [s for s in story.steps if s.channel == "bus"]
    wrong = failed(story.steps)
    dlq = [message for queue in DEAD_LETTER_QUEUES for message in env.stack.drain(queue)]
    audit = env.stack.client("dynamodb").scan(TableName=env.stack.names["AuditTable"])["Count"]
    print("\nSummary")
    print(
        f"    steps              {len(story.steps) - len(wrong)} ✓, {len(wrong)} ✗{f' (steps {wrong})' if wrong else ''}"
    )
    print(f"    webhook answers    {answers(webhooks)}; Unlock Requested put on the bus {len(bus)}")
    print(f"    self-service       {answers(portal)}")
    print(
        f"    outcome events     unlocked {counts['unlocked'] - already}, already unlocked (no vendor write) {already}"
    )
    print(f"                       failed {counts['failed']} {dict(reasons) if reasons else ''}")
    print(f"    audit records      {audit}")
    print(f"    dead-letter queues {len(dlq)} message(s)")
    return 0 if not wrong and not dlq else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every step's full trace")
    verbose = parser.parse_args(argv).verbose
    env = LocalEnvironment().start()
    header(env)
    try:
        story = Story(env, verbose=verbose)
        if not verbose:
            print()
        pingone_story(story)
        vendors_story(story)
        okta_story(story)
        ticketing_story(story)
        status_story(story)
        identity_events_story(story)
        auth0_story(story)
        self_service_story(story)
        writeback_story(story)
        operations_story(story)
        return summary(story, env)
    finally:
        env.stop()


if __name__ == "__main__":
    sys.exit(main())
