"""The run command's operations tour: a request dead-lettered, listed, then redriven with ``python -m ops redrive``.

EventBridge cannot invoke the unlock function (``NO_PERMISSIONS``, which it does not retry), so the
event goes to the rule's dead-letter queue. The operator lists it (``--dry-run``: nothing changes),
then redrives it: the event is put on the bus again with its original time and unlocks once.
"""

from __future__ import annotations

from local.samples import unlock_requested
from local.steps import Expect, Story, unlocked
from ops import redrive
from ops.aws import Aws
from ops.names import from_template

DEAD_LETTER_QUEUE = "UnlockDeadLetterQueue"


def operations_story(story: Story) -> None:
    env = story.env
    aws = Aws.local(env.stack.endpoint)
    names = from_template(aws, env.stack)
    ines = env.pingone.add_user("ines.moreau", "ines.moreau@example.com", account_locked=True)
    listed: list[str] = []

    def waiting() -> int:
        attributes = env.stack.client("sqs").get_queue_attributes(
            QueueUrl=env.stack.queue_urls[DEAD_LETTER_QUEUE], AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def undeliverable() -> str:
        env.stack.fail_deliveries("UnlockFunction", times=1, code="NO_PERMISSIONS")
        return story.put_event("Unlock Requested", unlock_requested({"username": "ines.moreau"}))

    story.run(
        "Rule cannot invoke the unlock function (NO_PERMISSIONS): dead-lettered",
        undeliverable,
        expect=Expect(vendor_called=False, check="1 message in the dead-letter queue", holds=lambda: waiting() == 1),
        note=lambda: f"{waiting()} message(s) in {DEAD_LETTER_QUEUE}",
        channel="bus",
    )

    def redrive_it() -> str:
        dry = redrive.redrive(aws, names, dry_run=True, wait_seconds=0)
        listed.extend(f"{letter.detail.get('request_id')} ({letter.error}): {letter.outcome}" for letter in dry.letters)
        redrive.redrive(aws, names, dry_run=False, wait_seconds=0)
        return ""

    story.run(
        "ops redrive --dry-run lists it, ops redrive re-publishes it",
        redrive_it,
        expect=unlocked("ines unlocked, queue empty", lambda: not ines.account_locked and waiting() == 0, http=None),
        note=lambda: f"dry run listed {'; '.join(listed)}",
        channel="bus",
    )
