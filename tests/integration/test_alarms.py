"""Every alarm of template.yaml watches a metric series that really exists.

Custom metrics: the EMF blobs the functions print while the local stack drives each path that emits
them (a success, a forged webhook, policy refusals, an audit write and an outcome publish failing as AWS fails them),
matched on namespace, metric name and dimensions (names and, where the alarm fixes them, values); and
no series of an alarmed metric escapes its alarm. AWS metrics (SQS, Lambda, API Gateway): the alarm's
dimensions must name one of the stack's own resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from account_unlock import aws
from local.samples import ticket_body, unlock_requested
from local.template import load_template
from tests.integration.helpers import outcomes, post_webhook, unique

pytestmark = pytest.mark.integration

RESOURCES = load_template()["Resources"]
ALARMS = {name: spec["Properties"] for name, spec in RESOURCES.items() if spec["Type"] == "AWS::CloudWatch::Alarm"}
INSIGHTS = re.compile(r'SELECT SUM\((?P<metric>\w+)\) FROM SCHEMA\("(?P<namespace>[^"]+)"(?P<dimensions>(?:, \w+)*)\)')
# The AWS metrics the alarms may use, with the dimension names AWS publishes them under.
AWS_METRICS = {
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): {"QueueName"},
    ("AWS/Lambda", "Errors"): {"FunctionName"},
    ("AWS/ApiGateway", "5XXError"): {"ApiName", "Stage"},
}
# Metrics whose rise needs a person: each must have an alarm.
MUST_ALARM = {"WebhookAuthFailures", "AuditWriteFailed", "OutcomePublishFailed", "PolicyRefusals", "5XXError"}

Series = tuple[str, str, frozenset[tuple[str, str]]]  # namespace, metric name, dimension (name, value)s


def alarm_series(alarm: dict[str, Any]) -> tuple[str, str, frozenset[str]]:
    """What an alarm watches: namespace, metric and dimension names (one metric, or a Metrics Insights SUM)."""
    if "Metrics" in alarm:
        [query] = alarm["Metrics"]
        match = INSIGHTS.fullmatch(query["Expression"])
        assert match, f"not a Metrics Insights SUM over SCHEMA(...): {query['Expression']}"
        dimensions = frozenset(d.strip() for d in match["dimensions"].split(",") if d.strip())
        return match["namespace"], match["metric"], dimensions
    return alarm["Namespace"], alarm["MetricName"], frozenset(d["Name"] for d in alarm.get("Dimensions", []))


def watches(alarm: dict[str, Any], series: Series) -> bool:
    """Whether ``series`` is one the alarm evaluates: same namespace, metric and dimension names, and the
    alarm's dimension values where it fixes them (a SCHEMA query sums every value)."""
    namespace, metric, names = alarm_series(alarm)
    if series[:2] != (namespace, metric) or {name for name, _ in series[2]} != names:
        return False
    fixed = {(d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])}
    return fixed <= series[2]


def emitted(records: list[dict[str, Any]]) -> set[Series]:
    """Every series the EMF blobs among ``records`` create in CloudWatch."""
    return {
        (directive["Namespace"], metric["Name"], frozenset((name, record[name]) for name in dimension_set))
        for record in records
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", [])
        for dimension_set in directive["Dimensions"]
        for metric in directive["Metrics"]
    }


@contextmanager
def failing(client: Any, operation: str, selected: Callable[[dict[str, Any]], bool]) -> Iterator[None]:
    """Make the calls of ``operation`` that ``selected`` picks fail on ``client`` as AWS fails them (a 500)."""

    def fail(params: dict[str, Any], **_: Any) -> None:
        if selected(params):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)

    event = f"before-parameter-build.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event, fail)
    try:
        yield
    finally:
        client.meta.events.unregister(event, fail)


def drive_every_emitting_path(env: Any) -> set[Series]:
    """Run the paths that emit the alarmed metrics and return the series they printed."""
    start = len(env.stack.output.getvalue())
    user = env.pingone.add_user(unique("alarm"), f"{unique('alarm')}@example.com", account_locked=True)
    assert post_webhook(env, ticket_body(unique("INC"), {"username": user.username}))[0] == 202
    assert post_webhook(env, ticket_body(unique("INC"), {"username": user.username}), secret="whsec_d3Jvbmc=")[0] == 401
    assert len(outcomes(env)) == 1
    # A connection policy refuses: a protected account, then an unlock over its per-user limit.
    guarded = unique("alarm-policy")
    policy = {"protected": {"usernames": ["root"]}, "rate_limits": {"per_user": {"max": 1, "window_seconds": 3600}}}
    env.put_secret("connection", guarded, env.pingone_connection(policy=policy))
    for username in ("root", user.username, user.username):
        env.stack.put_event("Unlock Requested", unlock_requested({"username": username}, connection=guarded))
    assert {event["detail"]["reason"] for event in outcomes(env)} >= {"protected_account", "rate_limited_policy"}
    audit_table = env.stack.names["AuditTable"]
    # One failure at a time: a failed audit write may end the invocation before the outcome is published.
    for client, operation, selected in (
        (aws.client("dynamodb"), "PutItem", lambda p: p["TableName"] == audit_table),
        (
            aws.client("events"),
            "PutEvents",
            lambda p: {e["Source"] for e in p["Entries"]} == {env.stack.outcome_source},
        ),
    ):
        with failing(client, operation, selected):
            env.stack.put_event("Unlock Requested", unlock_requested({"username": unique("missing")}))
            assert len(env.stack.dispatch()) == 1
    env.stack.drain("UnlockDeadLetterQueue")  # where a raised write failure ends after the retries
    printed = env.stack.output.getvalue()[start:].splitlines()
    return emitted([json.loads(line) for line in printed if line.startswith("{")])


def test_every_custom_metric_alarm_watches_every_series_the_functions_emit(env):
    series = drive_every_emitting_path(env)

    problems = []
    for name, alarm in ALARMS.items():
        namespace, metric, _ = alarm_series(alarm)
        if namespace.startswith("AWS/"):
            continue
        same_metric = {s for s in series if s[:2] == (namespace, metric)}
        if not any(watches(alarm, s) for s in same_metric):
            problems.append(f"{name}: no emitted series of {namespace}/{metric} matches it; emitted: {same_metric}")
        elif escaping := {s for s in same_metric if not watches(alarm, s)}:
            problems.append(f"{name}: {metric} is also emitted as series it does not watch: {escaping}")
    assert problems == []


def test_every_aws_metric_alarm_names_one_of_the_stacks_resources():
    ours = []  # (namespace, {dimension: value}) of every AWS metric series the stack's resources have
    for logical, spec in RESOURCES.items():
        if spec["Type"] == "AWS::SQS::Queue":
            ours.append(("AWS/SQS", {"QueueName": {"Fn::GetAtt": [logical, "QueueName"]}}))
        elif spec["Type"] == "AWS::Serverless::Function":
            ours.append(("AWS/Lambda", {"FunctionName": {"Ref": logical}}))
        elif spec["Type"] == "AWS::Serverless::Api":
            dimensions = {"ApiName": spec["Properties"]["Name"], "Stage": {"Ref": f"{logical}.Stage"}}
            ours.append(("AWS/ApiGateway", dimensions))

    aws_alarms = {name: alarm for name, alarm in ALARMS.items() if alarm_series(alarm)[0].startswith("AWS/")}
    assert aws_alarms
    for name, alarm in aws_alarms.items():
        namespace, metric, dimensions = alarm_series(alarm)
        assert AWS_METRICS.get((namespace, metric)) == dimensions, name
        assert (namespace, {d["Name"]: d["Value"] for d in alarm["Dimensions"]}) in ours, name


def test_the_metrics_that_need_a_person_are_alarmed():
    alarmed = {alarm_series(alarm)[1] for alarm in ALARMS.values()}
    assert MUST_ALARM - alarmed == set()
    [webhook_5xx] = [a for a in ALARMS.values() if alarm_series(a)[1] == "5XXError"]
    assert {"Name": "Stage", "Value": {"Ref": "WebhookApi.Stage"}} in webhook_5xx["Dimensions"]
