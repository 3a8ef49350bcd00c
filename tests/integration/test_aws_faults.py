"""AWS failing under the webhook, through the fault proxy in front of moto (local/aws_faults.py).

Each fault is armed for every attempt botocore makes (``times=None``) until the test clears it, so
the first delivery meets AWS down; the sender's retry then meets AWS up again. What must hold: the
first answer is 503 + Retry-After (or 202 when the events are already on the bus), nothing is lost,
and after the retry the unlock function unlocks once and publishes one outcome. "What reached the
unlock function" is what the bus rule delivered to its queue.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from account_unlock import webhook
from account_unlock.aws import AWS_USER_AGENT
from local.aws_faults import AwsFaults, dropped, failed_entries, server_error, slow, throttled
from local.identity_senders import PINGONE_SOURCE, configure_sources, pingone_activity, pingone_headers
from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment, ticket_body
from local.signing import encode, standard_webhook_headers
from tests.integration.helpers import pending_unlock_events, unique

pytestmark = pytest.mark.integration

DYNAMODB = "DynamoDB_20120810"
PUT_EVENTS = "AWSEvents.PutEvents"
CLAIM = f"{DYNAMODB}.PutItem"  # Powertools' conditional put of the in-progress delivery record
SAVE = f"{DYNAMODB}.UpdateItem"  # ... its completion with the stored answer, after the events are on the bus
RELEASE = f"{DYNAMODB}.DeleteItem"  # ... its removal after a failed hand-off
READ = f"{DYNAMODB}.GetItem"


@pytest.fixture
def faults(env: LocalEnvironment) -> Iterator[AwsFaults]:
    env.stack.faults.clear()
    yield env.stack.faults
    env.stack.faults.clear()


@pytest.fixture
def user(env: LocalEnvironment):
    return env.pingone.add_user(unique("aws"), f"{unique('aws')}@example.com", account_locked=True)


class Sender:
    """One signed delivery, sent again unchanged the way a sender retries it."""

    def __init__(self, env: LocalEnvironment, username: str) -> None:
        self.env = env
        self.body = encode(ticket_body(unique("INC"), {"username": username}))
        self.headers = standard_webhook_headers(WEBHOOK_SECRET, self.body, msg_id=f"msg_{uuid.uuid4().hex}")

    def send(self) -> tuple[int, dict[str, str], dict]:
        status, headers, payload = self.env.stack.api_request(
            "POST", f"/webhooks/{HELPDESK_SOURCE}", self.headers, self.body
        )
        return status, headers, json.loads(payload)


def deliver(env: LocalEnvironment, events: list[dict]) -> list[dict]:
    """Hand what reached the unlock function to it, as Lambda would; the outcome events published."""
    for event in events:
        env.stack.invoke_async("UnlockFunction", {"account": "123456789012", **event})
    env.stack.dispatch()
    return env.stack.drain("Outcomes")


def assert_retry_later(status: int, headers: dict[str, str], body: dict) -> None:
    assert (status, body) == (503, {"error": "temporarily unavailable, retry later"})
    assert headers["Retry-After"] == "30"


def assert_unlocked_once(env: LocalEnvironment, user, reached: list[dict]) -> None:
    [outcome] = deliver(env, reached)
    assert outcome["detail-type"] == "Account Unlocked"
    assert not user.account_locked
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1


FAULTS = {
    "refused": lambda: dropped(times=None),
    "500": lambda: server_error(times=None),
    "throttled": lambda: throttled(times=None, error="ProvisionedThroughputExceededException"),
}


# DynamoDB ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", FAULTS)
def test_claiming_the_delivery_fails_503_then_the_retry_publishes_one_event(env, faults, user, fault):
    sender = Sender(env, user.username)
    faults.arm(CLAIM, FAULTS[fault]())

    assert_retry_later(*sender.send())
    assert pending_unlock_events(env) == []
    assert faults.calls[PUT_EVENTS] == 0

    faults.clear()
    status, _, body = sender.send()
    assert status == 202, body
    reached = pending_unlock_events(env)
    assert [e["detail"]["request_id"] for e in reached] == [body["request_id"]]
    assert_unlocked_once(env, user, reached)


@pytest.mark.parametrize("fault", FAULTS)
def test_events_on_the_bus_but_the_answer_not_saved_is_202_and_the_retry_publishes_nothing_more(
    env, faults, user, fault
):
    sender = Sender(env, user.username)
    faults.arm(SAVE, FAULTS[fault]())

    status, _, body = sender.send()  # the events are on the bus: nothing for the sender to retry
    assert status == 202, body
    reached = pending_unlock_events(env)
    assert len(reached) == 1

    faults.clear()
    status, headers, _ = sender.send()  # a redelivery all the same, while the claim is held
    assert (status, headers["Retry-After"]) == (409, "30")
    assert pending_unlock_events(env) == []
    assert_unlocked_once(env, user, reached)


def test_a_redelivery_after_an_unsaved_answer_lapses_is_published_again_and_unlocks_nothing_more(env, faults, user):
    sender = Sender(env, user.username)
    faults.arm(SAVE, server_error(times=None))
    assert sender.send()[0] == 202
    faults.clear()
    first = pending_unlock_events(env)
    assert_unlocked_once(env, user, first)
    lapse_claims(env)

    status, _, body = sender.send()

    assert status == 202, body
    again = pending_unlock_events(env)
    assert [e["detail"]["request_id"] for e in again] == [e["detail"]["request_id"] for e in first]
    assert deliver(env, again) == []  # the business key: the stored outcome, no vendor call, no new outcome
    assert len(env.pingone.calls("POST", f"/users/{user.id}$")) == 1


def test_the_hand_off_fails_and_so_does_releasing_the_claim_503_then_one_event_once_it_lapses(env, faults, user):
    sender = Sender(env, user.username)
    faults.arm(PUT_EVENTS, server_error(times=None, error="InternalException"))
    faults.arm(RELEASE, server_error(times=None))

    assert_retry_later(*sender.send())
    assert pending_unlock_events(env) == []

    faults.clear()
    status, headers, _ = sender.send()
    assert (status, headers["Retry-After"]) == (409, "30")  # the claim is held until Lambda's timeout
    lapse_claims(env)
    status, _, body = sender.send()
    assert status == 202, body
    reached = pending_unlock_events(env)
    assert len(reached) == 1
    assert_unlocked_once(env, user, reached)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_duplicate_is_answered_without_reading_the_table(env, faults, user, fault):
    sender = Sender(env, user.username)
    first = sender.send()
    reached = pending_unlock_events(env)
    faults.arm(READ, FAULTS[fault]())

    again = sender.send()  # the conditional put returns the stored record itself

    assert again[0] == first[0] == 202
    assert again[2] == first[2]
    assert faults.calls[READ] == 0
    assert pending_unlock_events(env) == []
    faults.clear()  # the unlock function reads its step records: the fault was for the webhook
    assert_unlocked_once(env, user, reached)


# EventBridge ---------------------------------------------------------------------------------
PUT_EVENTS_FAULTS = {
    "refused": lambda: dropped(times=None),
    "500": lambda: server_error(times=None, error="InternalException"),
    "throttled": lambda: throttled(times=None),
    "FailedEntryCount": lambda: failed_entries(times=None),
}


@pytest.mark.parametrize("fault", PUT_EVENTS_FAULTS)
def test_putting_the_events_fails_503_then_the_retry_publishes_one_event(env, faults, user, fault):
    sender = Sender(env, user.username)
    faults.arm(PUT_EVENTS, PUT_EVENTS_FAULTS[fault]())

    assert_retry_later(*sender.send())
    assert pending_unlock_events(env) == []

    faults.clear()
    status, _, body = sender.send()
    assert status == 202, body
    reached = pending_unlock_events(env)
    assert len(reached) == 1
    assert_unlocked_once(env, user, reached)


def test_an_entry_the_bus_rejects_once_is_sent_again_at_once(env, faults, user):
    faults.arm(PUT_EVENTS, failed_entries(times=1))

    status, _, body = Sender(env, user.username).send()

    assert status == 202, body
    assert faults.calls[PUT_EVENTS] == 2
    reached = pending_unlock_events(env)
    assert len(reached) == 1
    assert_unlocked_once(env, user, reached)


def test_a_put_events_answer_too_slow_is_not_sent_again_in_process(env, faults, user):
    sender = Sender(env, user.username)
    faults.arm(PUT_EVENTS, slow(6.0))  # applied at once, answered after the clients' 2 s read timeout

    assert_retry_later(*sender.send())
    assert faults.calls[PUT_EVENTS] == 1  # one copy on the bus, not one per botocore attempt

    status, _, body = sender.send()
    assert status == 202, body
    reached = pending_unlock_events(env)
    # The bus cannot tell: the late copy and the retry's both reach the unlock function, and its
    # business key makes them one unlock and one outcome.
    assert [e["detail"]["request_id"] for e in reached] == [body["request_id"]] * 2
    assert_unlocked_once(env, user, reached)


def test_no_aws_attempt_starts_past_the_deadline(env, faults, user):
    """A slow bus under a PingOne batch of 500: the webhook stops handing over and answers 503."""
    configure_sources(env)
    raw = encode([pingone_activity("PASSWORD.RECOVERY", str(uuid.uuid4()), f"u{i}") for i in range(500)])
    faults.arm(PUT_EVENTS, slow(1.5, times=None))  # within the read timeout: every call succeeds, slowly

    status, headers, payload = env.stack.api_request("POST", f"/webhooks/{PINGONE_SOURCE}", pingone_headers(), raw)

    assert_retry_later(status, headers, json.loads(payload))
    assert faults.calls[PUT_EVENTS] < 50  # 50 calls would be the whole batch
    faults.clear()
    pending_unlock_events(env)
    lapse_claims(env)  # no time was left to release it either: it lapses at Lambda's timeout

    status, _, payload = env.stack.api_request("POST", f"/webhooks/{PINGONE_SOURCE}", pingone_headers(), raw)
    assert status == 200, payload
    assert len({e["detail"]["request_id"] for e in pending_unlock_events(env)}) == 500


def test_a_5xx_answer_is_counted_for_the_alarm(env, faults, user):
    faults.arm(CLAIM, server_error(times=None))
    before = len(server_errors(env))

    assert_retry_later(*Sender(env, user.username).send())

    [metric] = server_errors(env)[before:]
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "AccountUnlock"
    assert metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert (metric["service"], metric["WebhookServerErrors"]) == ("account-unlock", [1.0])


def server_errors(env: LocalEnvironment) -> list[dict]:
    return [record for record in env.stack.output.records() if "WebhookServerErrors" in record]


# Secrets Manager -------------------------------------------------------------------------------
def test_the_source_secret_unreadable_is_503(env, faults, user):
    faults.arm("secretsmanager.GetSecretValue", server_error(times=None, error="InternalServiceError"))
    assert_retry_later(*Sender(env, user.username).send())
    assert pending_unlock_events(env) == []


def lapse_claims(env: LocalEnvironment) -> None:
    """Move every in-progress claim past its window, as the end of the claiming invocation's Lambda timeout would."""
    store = webhook.persistence
    dynamodb = env.stack.client("dynamodb")
    for item in dynamodb.scan(TableName=store.table_name)["Items"]:
        if item.get(store.status_attr, {}).get("S") == "INPROGRESS":
            dynamodb.update_item(
                TableName=store.table_name,
                Key={store.key_attr: item[store.key_attr]},
                UpdateExpression="SET #lapse = :past",
                ExpressionAttributeNames={"#lapse": store.in_progress_expiry_attr},
                ExpressionAttributeValues={":past": {"N": "1"}},
            )


# What AWS is told of the caller ------------------------------------------------------------------
def test_every_aws_call_of_the_functions_names_the_service_and_its_sdk(env, faults, user):
    """CloudTrail's userAgent: the fixed ``AWS_USER_AGENT`` (then what Powertools appends), on every call."""
    sender = Sender(env, user.username)
    assert sender.send()[0] == 202
    assert_unlocked_once(env, user, pending_unlock_events(env))

    assert sum(faults.user_agents.values()) == sum(faults.calls.values()) >= 4 + 7
    assert AWS_USER_AGENT.startswith("account-unlock/1.0 Boto3/")
    assert all(agent.startswith(AWS_USER_AGENT) for agent in faults.user_agents), faults.user_agents
