"""The AWS clients of one operator command: a boto3 session and, for the local stack, its endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

# Operator calls are not on a Lambda time budget: botocore's standard retries, generous timeouts.
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"mode": "standard", "total_max_attempts": 5},
    user_agent_extra="account-unlock-ops",
)
LOCAL_REGION = "us-east-1"  # the local stack's (local/stack.py)


@dataclass
class Aws:
    """``session`` signs the calls; ``endpoint_url`` points every client at the local stack's AWS."""

    session: boto3.Session
    endpoint_url: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def default(cls, region: str | None = None) -> Aws:
        """The caller's credentials and region (boto3's default chain)."""
        return cls(boto3.Session(region_name=region))

    @classmethod
    def local(cls, endpoint_url: str) -> Aws:
        """The local stack's moto: fixed test credentials, so real ones are never sent to it."""
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder, not a credential
            region_name=LOCAL_REGION,
        )
        return cls(session, endpoint_url)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
        return self._clients[service]
