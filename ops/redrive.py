"""Re-publish what the dead-letter queues hold, deleting each message only once its event is back on the bus.

Two shapes reach ``UnlockDeadLetterQueue`` (and the same two any other ``*DeadLetterQueue``):
- a Lambda on-failure destination record (the function failed after its async retries): the event is
  its ``requestPayload`` ("Capturing records of Lambda asynchronous invocations",
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
- an EventBridge rule dead-letter message (the rule could not deliver): the body is the event, the
  attributes say why (``ERROR_CODE``, ``EXHAUSTED_RETRY_CONDITION``…; "Event retry policy and using
  dead-letter queues", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).

Either way the event is put on the bus again (PutEvents with its source, detail-type, detail, resources
and original ``time``), not handed to the function: it takes the rule's path again (the rule's source
filter, its retries and dead-letter queue), and the unlock function's idempotency makes a second copy
harmless. Keeping ``time`` keeps the staleness check: an event older than ``IdempotencyTtlDays`` comes
back as ``stale_request`` instead of unlocking without its idempotency records.

A message is deleted only after its own PutEvents entry succeeded (no ``ErrorCode``); anything else is
kept and made visible again at the end, so a partial failure loses nothing and the next run retries it.
A message re-published whose delete then failed is re-published again by the next run: harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.aws import Aws
from ops.names import StackNames, idempotency_ttl
from ops.window import age, event_time

DESTINATION_RECORD = "lambda destination record"
RULE_DEAD_LETTER = "rule dead-letter message"
EVENT = "event"
UNRECOGNISED = "unrecognised"
HIDE_SECONDS = 300  # a received message stays hidden while the run works on it; released at the end
STALE_MARGIN = timedelta(minutes=5)  # the unlock function's own margin (README, Exactly once)


@dataclass
class DeadLetter:
    queue: str  # the queue's logical id
    message_id: str
    receipt_handle: str
    shape: str
    event: dict[str, Any] | None
    error: str
    outcome: str = ""
    deleted: bool = False

    @property
    def detail(self) -> dict[str, Any]:
        return (self.event or {}).get("detail") or {}

    def summary(self, now: datetime, ttl: timedelta) -> dict[str, Any]:
        """What the operator sees: identifiers, the error and the age; never the whole event."""
        detail, sent = self.detail, self.sent_at()
        user = detail.get("user") if isinstance(detail.get("user"), dict) else {}
        origin = detail.get("origin") if isinstance(detail.get("origin"), dict) else {}
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "shape": self.shape,
            "request_id": detail.get("request_id"),
            "detail_type": (self.event or {}).get("detail-type"),
            "source": (self.event or {}).get("source"),
            "connection": detail.get("connection"),
            "user": {str(k): str(v) for k, v in (user or {}).items()},
            "ticket": {"system": origin.get("system"), "ticket_id": origin.get("ticket_id")} if origin else None,
            "error": self.error,
            "event_time": sent.isoformat() if sent else None,
            "age": age(sent, now) if sent else None,
            "stale": bool(sent and sent < now - ttl + STALE_MARGIN),
            "outcome": self.outcome,
        }

    def sent_at(self) -> datetime | None:
        try:
            return event_time(str((self.event or {})["time"]))
        except (KeyError, ValueError):
            return None


@dataclass
class Redrive:
    letters: list[DeadLetter] = field(default_factory=list)
    dry_run: bool = True
    ttl: timedelta = timedelta(0)

    @property
    def kept(self) -> list[DeadLetter]:
        return [letter for letter in self.letters if not letter.deleted]


def is_event(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("source"), str)
        and isinstance(value.get("detail-type"), str)
        and isinstance(value.get("detail"), dict)
    )


def parse(queue: str, message: dict[str, Any]) -> DeadLetter:
    """A received SQS message as a dead letter: its shape, the event it carries and why it failed."""
    attributes = {key: value.get("StringValue", "") for key, value in message.get("MessageAttributes", {}).items()}
    letter = DeadLetter(queue, message["MessageId"], message["ReceiptHandle"], UNRECOGNISED, None, "")
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    if isinstance(body, dict) and "requestContext" in body and is_event(body.get("requestPayload")):
        payload = body.get("responsePayload")
        response: dict[str, Any] = payload if isinstance(payload, dict) else {}
        error = ": ".join(str(part) for part in (response.get("errorType"), response.get("errorMessage")) if part)
        letter.shape, letter.event = DESTINATION_RECORD, body["requestPayload"]
        letter.error = error or str(body["requestContext"].get("condition", ""))
    elif is_event(body):
        letter.shape, letter.event = (RULE_DEAD_LETTER if "RULE_ARN" in attributes else EVENT), body
        if "ERROR_CODE" in attributes:
            retries = attributes.get("RETRY_ATTEMPTS", "?")
            letter.error = (
                f"{attributes['ERROR_CODE']} ({attributes.get('EXHAUSTED_RETRY_CONDITION', '')}, {retries} retries)"
            )
    else:
        letter.outcome = "kept: neither a Lambda destination record nor an event"
    return letter


def entry(bus: str, event: dict[str, Any]) -> dict[str, Any]:
    """The PutEvents entry that puts ``event`` on the bus again, with its original ``time``."""
    put = {
        "EventBusName": bus,
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": [str(resource) for resource in event.get("resources") or []],
    }
    if event.get("time"):
        put["Time"] = event_time(str(event["time"]))
    return put


def redrive(
    aws: Aws,
    names: StackNames,
    *,
    dry_run: bool,
    queues: list[str] | None = None,
    wait_seconds: int = 1,
) -> Redrive:
    """List (``dry_run``) or re-publish every message of the stack's dead-letter queues (or ``queues``)."""
    report = Redrive(dry_run=dry_run, ttl=idempotency_ttl(aws, names))
    for logical, url in sorted(names.dead_letter_queues.items()):
        if queues and logical not in queues:
            continue
        received: list[DeadLetter] = []
        try:
            for batch in receive(aws, url, wait_seconds):
                letters = [parse(logical, message) for message in batch]
                received += letters
                ready = [letter for letter in letters if letter.event is not None]
                if dry_run:
                    for letter in ready:
                        letter.outcome = "would re-publish"
                else:
                    republish(aws, names.bus, url, ready)
        finally:
            release(aws, url, [letter for letter in received if not letter.deleted])
        report.letters += received
    return report


def receive(aws: Aws, url: str, wait_seconds: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of up to 10 messages until the queue has no visible one left; each message once."""
    sqs, seen = aws.client("sqs"), set[str]()
    while True:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=HIDE_SECONDS,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [message for message in messages if message["MessageId"] not in seen]
        if not fresh:
            return
        seen.update(message["MessageId"] for message in fresh)
        yield fresh


def republish(aws: Aws, bus: str, url: str, letters: list[DeadLetter]) -> None:
    """One PutEvents call for the batch; each message whose entry succeeded is deleted."""
    if not letters:
        return
    try:
        response = aws.client("events").put_events(Entries=[entry(bus, letter.event or {}) for letter in letters])
    except (BotoCoreError, ClientError) as exc:
        for letter in letters:
            letter.outcome = f"kept: PutEvents failed: {error_code(exc)}"
        return
    published = []
    for letter, result in zip(letters, response["Entries"], strict=True):
        if result.get("ErrorCode"):
            letter.outcome = f"kept: PutEvents entry failed: {result['ErrorCode']}"
        else:
            letter.outcome = f"re-published as event {result.get('EventId', '?')}"
            published.append(letter)
    delete(aws, url, published)


def delete(aws: Aws, url: str, letters: list[DeadLetter]) -> None:
    if not letters:
        return
    by_id = {str(index): letter for index, letter in enumerate(letters)}
    entries = [{"Id": key, "ReceiptHandle": letter.receipt_handle} for key, letter in by_id.items()]
    try:
        response = aws.client("sqs").delete_message_batch(QueueUrl=url, Entries=entries)
    except (BotoCoreError, ClientError) as exc:
        response = {"Successful": [], "Failed": [{"Id": key, "Code": error_code(exc)} for key in by_id]}
    for done in response.get("Successful", []):
        by_id[done["Id"]].deleted = True
    for failed in response.get("Failed", []):
        letter = by_id[failed["Id"]]
        letter.outcome += f"; message kept (delete failed: {failed.get('Code')}), a redrive again is harmless"


def release(aws: Aws, url: str, letters: list[DeadLetter]) -> None:
    """Make the messages left in the queue visible again at once (best effort: else after HIDE_SECONDS)."""
    sqs = aws.client("sqs")
    for start in range(0, len(letters), 10):
        chunk = letters[start : start + 10]
        entries = [
            {"Id": str(index), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
            for index, letter in enumerate(chunk)
        ]
        try:
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
        except (BotoCoreError, ClientError):
            continue


def error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__
