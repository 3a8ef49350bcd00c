"""The template promises what the design relies on; these fail if a setting is dropped."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from account_unlock.models import ACCOUNT_UNLOCKED, REQUEST_DETAIL_TYPES, UNLOCK_FAILED
from local.stack import LocalStack
from local.template import ROOT, load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
GLOBAL_ENVIRONMENT = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
FUNCTIONS = [name for name, spec in RESOURCES.items() if spec["Type"] == "AWS::Serverless::Function"]
WEBHOOK_SOURCE = GLOBAL_ENVIRONMENT["EVENT_SOURCE"] + ".webhook"  # what webhook_event_source() puts


def statements(function: str) -> list[dict[str, Any]]:
    return [s for p in RESOURCES[function]["Properties"]["Policies"] if "Statement" in p for s in p["Statement"]]


def statements_for(function: str, action: str) -> list[dict[str, Any]]:
    return [
        s for s in statements(function) if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]


def environment(function: str) -> dict[str, Any]:
    return GLOBAL_ENVIRONMENT | RESOURCES[function]["Properties"].get("Environment", {}).get("Variables", {})


def test_runtime_and_architecture():
    function = TEMPLATE["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]


def test_unlock_rule_targets_both_request_types_with_retry_and_dead_letter():
    rule = RESOURCES["UnlockFunction"]["Properties"]["Events"]["UnlockRequests"]["Properties"]
    assert rule["Pattern"] == {
        "source": {"Ref": "UnlockRequestSources"},
        "detail-type": ["Ticket Resolved", "Unlock Requested"],
    }
    assert rule["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert rule["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["UnlockDeadLetterQueue", "Arn"]}


def test_async_failures_go_to_the_dead_letter_queue():
    config = RESOURCES["UnlockFunction"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["UnlockDeadLetterQueue", "Arn"]},
    }


def test_secret_access_is_limited_to_the_prefix():
    def secret_resources(function: str) -> list[str]:
        return [s["Resource"]["Fn::Sub"] for s in statements_for(function, "secretsmanager:GetSecretValue")]

    assert secret_resources("WebhookFunction") == [
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SecretPrefix}/sources/*"
    ]
    assert secret_resources("UnlockFunction") == [
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SecretPrefix}/connections/*"
    ]


def test_idempotency_table_expires_records():
    table = RESOURCES["IdempotencyTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_bus_has_an_archive_and_outputs_are_published():
    assert RESOURCES["UnlockBusArchive"]["Properties"]["SourceArn"] == {"Fn::GetAtt": ["UnlockBus", "Arn"]}
    assert {"WebhookApiUrl", "EventBusName", "DeadLetterQueueUrl", "AlarmTopicArn"} <= set(TEMPLATE["Outputs"])


def test_the_archive_keeps_events_exactly_as_long_as_unlocks_are_remembered():
    """A replay can only send what the archive still holds; all of it is still deduplicated."""
    ttl = {"Ref": "IdempotencyTtlDays"}
    assert RESOURCES["UnlockBusArchive"]["Properties"]["RetentionDays"] == ttl
    assert RESOURCES["UnlockFunction"]["Properties"]["Environment"]["Variables"]["IDEMPOTENCY_TTL_DAYS"] == ttl
    assert not {"ArchiveRetentionDays", "IdempotencyTtlHours"} & set(PARAMETERS)


def test_the_unlock_rule_accepts_only_the_listed_sources_and_always_the_webhook():
    parameter = PARAMETERS["UnlockRequestSources"]
    assert parameter["Type"] == "CommaDelimitedList"
    # the webhook's source, and the one local/stack.py (samples, stories, tests) puts events with
    put_event_source = inspect.signature(LocalStack.put_event).parameters["source"].default
    assert {WEBHOOK_SOURCE, put_event_source} <= set(parameter["Default"].split(","))
    [assertion] = TEMPLATE["Rules"]["WebhookSourceIsAllowed"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Contains": [{"Ref": "UnlockRequestSources"}, WEBHOOK_SOURCE]}


def test_the_webhook_may_put_only_its_own_source_and_the_request_types():
    [statement] = statements_for("WebhookFunction", "events:PutEvents")
    assert statement["Resource"] == {"Fn::GetAtt": ["UnlockBus", "Arn"]}
    condition = statement["Condition"]["StringEquals"]
    assert condition.keys() == {"events:source", "events:detail-type"}
    assert condition["events:source"] == WEBHOOK_SOURCE
    assert set(condition["events:detail-type"]) == set(REQUEST_DETAIL_TYPES)
    assert not [
        p for f in FUNCTIONS for p in RESOURCES[f]["Properties"]["Policies"] if "EventBridgePutEventsPolicy" in p
    ]


def test_the_unlock_function_may_put_only_outcomes():
    [statement] = statements_for("UnlockFunction", "events:PutEvents")
    condition = statement["Condition"]["StringEquals"]
    assert condition.keys() == {"events:source", "events:detail-type"}
    assert condition["events:source"] == GLOBAL_ENVIRONMENT["EVENT_SOURCE"]
    assert set(condition["events:detail-type"]) == {ACCOUNT_UNLOCKED, UNLOCK_FAILED}


def test_the_webhook_cannot_touch_the_unlock_records():
    [statement] = statements_for("WebhookFunction", "dynamodb:PutItem")
    assert statement["Resource"] == {"Fn::GetAtt": ["DeliveryTable", "Arn"]}
    assert environment("WebhookFunction")["DELIVERY_TABLE"] == {"Ref": "DeliveryTable"}
    assert "IdempotencyTable" not in json.dumps(RESOURCES["WebhookFunction"]) + json.dumps(GLOBAL_ENVIRONMENT)


def test_the_self_service_function_reads_only_opted_in_connection_secrets():
    [statement] = statements_for("SelfServiceFunction", "secretsmanager:GetSecretValue")
    assert statement["Condition"] == {"StringEquals": {"secretsmanager:ResourceTag/self-service": "enabled"}}


def test_every_environment_variable_is_read_by_the_code():
    """A variable no code reads is a setting that silently does nothing (POWERTOOLS_* are Powertools')."""
    code = "\n".join(
        path.read_text()
        for folder in ("layers/shared/account_unlock", "functions")
        for path in (ROOT / folder).rglob("*.py")
    )
    variables = {name for function in FUNCTIONS for name in environment(function)}
    unread = sorted(v for v in variables if not v.startswith("POWERTOOLS_") and f'"{v}"' not in code)
    assert unread == []


def test_both_apis_keep_access_logs_for_the_retention_parameter():
    for api in ("WebhookApi", "SelfServiceApi"):
        spec = RESOURCES[api]
        [log_group] = spec["Properties"]["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][:1]
        assert RESOURCES[log_group]["Properties"]["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}
        assert json.loads(spec["Properties"]["AccessLogSetting"]["Format"])["ip"] == "$context.identity.sourceIp"
        assert spec["DependsOn"] == "ApiGatewayAccount"  # API Gateway needs the account's CloudWatch role first


def test_waf_limits_each_api_per_ip_by_a_path_only_its_routes_have():
    """The per-IP limits cover every POST route (deliveries, portal requests); the IAM-signed status
    look-ups (GET) are left to IAM, the API's throttling and their function's reserved concurrency."""
    acl = RESOURCES["ApiWebAcl"]
    assert acl["Condition"] == "UseWaf"
    rules = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in acl["Properties"]["Rules"]}
    routes = {
        api: [
            e["Properties"]["Path"]
            for f in FUNCTIONS
            for e in RESOURCES[f]["Properties"]["Events"].values()
            if e["Properties"].get("RestApiId") == {"Ref": api} and e["Properties"]["Method"].upper() == "POST"
        ]
        for api in ("WebhookApi", "SelfServiceApi")
    }
    for rule, api, limit in (
        ("webhook-per-ip", "WebhookApi", "WebhookIpRateLimit"),
        ("self-service-per-ip", "SelfServiceApi", "SelfServiceIpRateLimit"),
    ):
        statement = rules[rule]
        assert (statement["AggregateKeyType"], statement["Limit"]) == ("IP", {"Ref": limit})
        search = statement["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"]
        assert all(search in path for path in routes[api])
        assert not any(search in path for other, paths in routes.items() if other != api for path in paths)
    associated = {
        r["Properties"]["ResourceArn"]["Fn::Sub"][1]["Api"]["Ref"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::WAFv2::WebACLAssociation"
    }
    assert associated == {"WebhookApi", "SelfServiceApi"}


def test_every_function_has_a_reserved_concurrency_cap_unless_set_to_zero():
    for function in FUNCTIONS:
        condition, value, otherwise = RESOURCES[function]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"]
        parameter = value["Ref"]
        assert TEMPLATE["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "0"]}]}
        assert otherwise == {"Ref": "AWS::NoValue"}
        assert PARAMETERS[parameter]["Default"] > 0


def test_every_alarm_notifies_the_alarm_topic():
    topic = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    alarms = [spec["Properties"] for spec in RESOURCES.values() if spec["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
    assert RESOURCES["AlarmTopic"]["Condition"] == "CreateAlarmTopic"
    assert TEMPLATE["Conditions"]["CreateAlarmTopic"] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}


def test_every_checkov_skip_gives_its_reason():
    skips = [
        skip for spec in RESOURCES.values() for skip in spec.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"])
        assert len(skip.get("comment", "")) > 30


def test_dashboard_body_is_valid_json_once_substituted():
    import json
    import re

    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    titles = {w["properties"]["title"] for w in widgets}
    assert {"Unlocks by vendor", "Failures by reason"} <= titles


def test_iam_route_is_signed_by_api_gateway():
    events = RESOURCES["WebhookFunction"]["Properties"]["Events"]
    iam = next(e["Properties"] for e in events.values() if e["Properties"].get("Path") == "/iam/webhooks/{source}")
    assert iam["Auth"]["Authorizer"] == "AWS_IAM"
