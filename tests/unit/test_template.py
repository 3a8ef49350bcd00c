"""The template promises what the design relies on; these fail if a setting is dropped."""

from __future__ import annotations

from local.template import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def test_runtime_and_architecture():
    function = TEMPLATE["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]


def test_unlock_rule_targets_both_request_types_with_retry_and_dead_letter():
    rule = RESOURCES["UnlockFunction"]["Properties"]["Events"]["UnlockRequests"]["Properties"]
    assert rule["Pattern"] == {"detail-type": ["Ticket Resolved", "Unlock Requested"]}
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
        statements = [
            s for p in RESOURCES[function]["Properties"]["Policies"] if "Statement" in p for s in p["Statement"]
        ]
        return [s["Resource"]["Fn::Sub"] for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]

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
    assert {"WebhookApiUrl", "EventBusName", "DeadLetterQueueUrl"} <= set(TEMPLATE["Outputs"])


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
