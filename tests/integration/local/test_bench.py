"""``make bench``'s warm figures: what each invocation's CPU is made of is counted per invocation.

The counts are the calls each path needs (no figure of time is asserted): a webhook delivery makes 4
AWS calls (its delivery record put and completed, the ticket claim, PutEvents) and no vendor call; a
PingOne unlock of a user whose password is not locked makes 7 (the request's record put and completed,
the password step's record read, the account step's put and completed, the audit item, PutEvents) and 3
vendor requests (the user look-up, the password's state, the account unlock).
"""

from __future__ import annotations

import pytest

from local.bench import WarmSample, thread_cpu, unlock_event, webhook_request

pytestmark = pytest.mark.integration


def test_a_webhook_delivery_is_counted_as_four_aws_calls_and_no_vendor_call(env):
    assert webhook_request(env, "COUNT-WARMUP")[0] == 202
    samples: list[WarmSample] = []

    with thread_cpu(env.stack, "WebhookFunction", samples):
        for index in range(3):
            assert webhook_request(env, f"COUNT-{index}")[0] == 202

    assert [sample.aws_calls for sample in samples] == [4, 4, 4]
    assert [sample.vendor_calls for sample in samples] == [0, 0, 0]
    assert all(sample.vendor_ms == 0 for sample in samples)
    assert all(0 < sample.aws_ms <= sample.cpu_ms for sample in samples)


def test_a_warm_unlock_is_counted_as_seven_aws_calls_and_its_vendor_calls(env):
    env.stack.invoke("UnlockFunction", unlock_event(env, "unlock-count-warmup"))
    samples: list[WarmSample] = []

    with thread_cpu(env.stack, "UnlockFunction", samples):
        for index in range(3):
            assert (
                env.stack.invoke("UnlockFunction", unlock_event(env, f"unlock-count-{index}"))["status"] == "unlocked"
            )

    assert [sample.aws_calls for sample in samples] == [7, 7, 7]
    assert [sample.vendor_calls for sample in samples] == [3, 3, 3]  # the user look-up, password state, unlock
    assert all(sample.vendor_ms > 0 for sample in samples)
    assert all(sample.aws_ms + sample.vendor_ms <= sample.cpu_ms for sample in samples)


def test_outside_the_measurement_nothing_is_counted(env):
    samples: list[WarmSample] = []
    with thread_cpu(env.stack, "WebhookFunction", samples):
        pass

    assert webhook_request(env, "COUNT-AFTER")[0] == 202
    assert samples == []
