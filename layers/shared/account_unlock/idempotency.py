"""The DynamoDB table behind every idempotent step; keys are prefixed per function.

Each idempotent step needs its own persistence layer: Powertools configures a layer once, with
the first ``IdempotencyConfig`` it sees. The layers share the container's one DynamoDB client.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from account_unlock import aws
from account_unlock.config import settings


def persistence_layer() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=aws.client("dynamodb"))
