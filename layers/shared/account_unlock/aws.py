"""boto3 clients created on first use and reused for the life of the container."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]
