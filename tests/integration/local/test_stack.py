"""The local stack emulates what template.yaml declares: names, each function's own environment, the
rule's retry policy and dead-letter queue, and several invocations of one function at once."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.samples import LocalEnvironment, unlock_requested
from local.stack import LocalStack
from local.template import load_template
from tests.integration.helpers import outcomes, unique


@pytest.fixture
def probe(env: LocalEnvironment) -> Iterator[Callable[[str], None]]:
    """Replace a function's handler, in each of its instances, by one that returns what it sees."""
    replaced: list[tuple[Any, Any]] = []

    def install(logical_id: str) -> None:
        for module in env.stack.functions[logical_id].idle:
            replaced.append((module, module.lambda_handler))
            module.lambda_handler = lambda event, context: {"environ": dict(os.environ), "event": event}

    yield install
    for module, handler in replaced:
        module.lambda_handler = handler


def test_names_come_from_the_template():
    template = load_template()
    stack = LocalStack(stack_name="named")

    assert template["Resources"]["UnlockBus"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-bus"}
    assert stack.bus_name == "named-bus"
    assert stack.names["AuditTable"] == "named-AuditTable"
    assert (
        stack.function_environment("UnlockFunction")["EVENT_SOURCE"]
        == (template["Globals"]["Function"]["Environment"]["Variables"]["EVENT_SOURCE"])
    )


def test_reserved_concurrency_comes_from_the_template_condition(env):
    parameters = load_template()["Parameters"]

    assert env.stack.functions["UnlockFunction"].concurrency == int(parameters["UnlockReservedConcurrency"]["Default"])


@pytest.mark.parametrize(
    ("function", "own", "other"),
    [
        ("WebhookFunction", "DELIVERY_TABLE", "IDEMPOTENCY_TABLE"),
        ("UnlockFunction", "IDEMPOTENCY_TABLE", "DELIVERY_TABLE"),
        ("SelfServiceFunction", "SELF_SERVICE_ATTEMPTS_TABLE", "IDEMPOTENCY_TABLE"),
    ],
)
def test_each_function_sees_its_own_environment_and_not_the_others(env, probe, function, own, other):
    probe(function)

    seen = env.stack.invoke(function, {})["environ"]

    assert seen[own] == env.stack.function_environment(function)[own]
    assert other not in seen
    assert seen["AWS_LAMBDA_FUNCTION_NAME"] == f"{env.stack.stack_name}-{function}"
    assert seen["EVENT_BUS_NAME"] == env.stack.bus_name  # a Global
    assert other in os.environ  # the process (tests, tools) still has every function's variables


def test_a_configuration_update_reaches_later_invocations_only_of_that_function(env, probe):
    before = dict(env.stack.function_environment("SelfServiceFunction"))
    try:
        env.stack.configure("SelfServiceFunction", SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN="2")
        assert env.stack.functions["SelfServiceFunction"].idle == []  # new instances, as after an update
        env.stack.functions["SelfServiceFunction"].idle.append(env.stack.load_module("SelfServiceFunction"))
        probe("SelfServiceFunction")
        probe("WebhookFunction")

        assert env.stack.invoke("SelfServiceFunction", {})["environ"]["SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN"] == "2"
        assert "SELF_SERVICE_MAX_ATTEMPTS_PER_TOKEN" not in env.stack.invoke("WebhookFunction", {})["environ"]
    finally:
        env.stack.configure("SelfServiceFunction", **before)


def test_a_refused_delivery_is_retried_by_the_rule_and_then_unlocks_once(env):
    user = env.pingone.add_user(unique("ann"), f"{unique('ann')}@example.com", account_locked=True)
    env.stack.fail_deliveries("UnlockFunction", times=3)

    env.stack.put_event("Unlock Requested", unlock_requested({"username": user.username}))

    assert [outcome["detail"]["reason"] for outcome in outcomes(env)] == ["unlocked"]
    assert env.stack.drain("UnlockDeadLetterQueue") == []


def dead_letters(env: LocalEnvironment) -> list[dict[str, Any]]:
    sqs = env.stack.client("sqs")
    url = env.stack.queue_urls["UnlockDeadLetterQueue"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    for message in messages.get("Messages", []):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages.get("Messages", [])


@pytest.mark.parametrize(
    ("code", "times", "condition", "retries"),
    [
        ("NO_PERMISSIONS", 1, "NotRetried", "0"),  # EventBridge does not retry a missing permission
        ("CONNECTION_FAILURE", 10_000, "MaximumRetryAttempts", "185"),  # the template's RetryPolicy
    ],
)
def test_an_undeliverable_event_lands_in_the_rule_dead_letter_queue_with_eventbridge_attributes(
    env, code, times, condition, retries
):
    request = unlock_requested({"username": unique("nobody")})
    env.stack.fail_deliveries("UnlockFunction", times=times, code=code)
    try:
        env.stack.put_event("Unlock Requested", request)
        assert env.stack.dispatch() == []  # nothing reached the function
    finally:
        env.stack.fail_deliveries("UnlockFunction", times=0)

    [message] = dead_letters(env)
    attributes = {key: value["StringValue"] for key, value in message["MessageAttributes"].items()}
    assert json.loads(message["Body"])["detail"] == request
    assert attributes["ERROR_CODE"] == code
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == condition
    assert attributes["RETRY_ATTEMPTS"] == retries
    assert attributes["RULE_ARN"].endswith(
        f"rule/{env.stack.bus_name}/{env.stack.stack_name}-UnlockFunction-UnlockRequests"
    )
    assert attributes["TARGET_ARN"].endswith(f"function:{env.stack.stack_name}-UnlockFunction")


def test_one_function_runs_several_invocations_at_once_each_in_its_own_instance(env):
    function = env.stack.functions["WebhookFunction"]
    started, release = threading.Barrier(3), threading.Event()
    modules: list[Any] = []

    def blocking(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started.wait(
            timeout=60
        )  # both invocations are running at the same moment (a guard against a hang, not a timer)
        release.wait(timeout=60)
        return {}

    for module in function.idle:
        module.lambda_handler = blocking
    original_load = env.stack.load_module

    def load(logical_id: str, environment: dict[str, str] | None = None) -> Any:
        module = original_load(logical_id, environment)
        module.lambda_handler = blocking
        modules.append(module)
        return module

    env.stack.load_module = load  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=env.stack.invoke, args=("WebhookFunction", {})) for _ in range(2)]
        for thread in threads:
            thread.start()
        started.wait(timeout=60)
        assert function.running == 2
        release.set()
        for thread in threads:
            thread.join()
    finally:
        del env.stack.load_module
        for module in list(function.idle):
            if module in modules or module.lambda_handler is blocking:
                function.idle.remove(module)  # drop the instances the test changed
        function.idle.append(env.stack.load_module("WebhookFunction"))
    assert function.running == 0


def test_concurrent_invocations_flush_only_their_own_metrics(env):
    users = [env.pingone.add_user(unique("m"), f"{unique('m')}@example.com", account_locked=True) for _ in range(6)]
    start = len(env.stack.output.getvalue())
    for user in users:
        env.stack.put_event("Unlock Requested", unlock_requested({"username": user.username}))

    invocations = [i for i in env.stack.dispatch(concurrency=6) if i.function == "UnlockFunction"]

    assert len(invocations) == 6
    printed = env.stack.output.getvalue()[start:].splitlines()
    blobs = [json.loads(line) for line in printed if line.startswith("{") and "UnlockEventsReceived" in line]
    assert len(blobs) == 6
    assert all(blob["UnlockEventsReceived"] in (1, 1.0, [1.0]) for blob in blobs)
