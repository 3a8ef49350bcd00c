"""The DynamoDB persistence layers behind every idempotent step; keys are prefixed per function.

Each idempotent step needs its own persistence layer: Powertools configures a layer once, with
the first ``IdempotencyConfig`` it sees. The layers share the container's one DynamoDB client.
The webhook's delivery records live in their own table, apart from the unlock records.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from account_unlock import aws


def persistence_layer(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=aws.client("dynamodb"))
