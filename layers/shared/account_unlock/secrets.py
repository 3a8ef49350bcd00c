"""Connection and source configuration, read from Secrets Manager with Powertools Parameters.

Values are cached per warm container for ``SECRET_MAX_AGE_SECONDS`` and never logged. Errors name
the secret, never its contents.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from botocore.exceptions import ClientError

from account_unlock import aws
from account_unlock.config import settings
from account_unlock.errors import PermanentError, TransientError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NOT_FOUND_CODES = {"ResourceNotFoundException", "InvalidRequestException"}

Kind = Literal["connection", "source"]


@cache
def provider() -> parameters.SecretsProvider:
    """Powertools' secrets provider on the container's Secrets Manager client (its timeouts and deadline)."""
    return parameters.SecretsProvider(boto3_client=aws.client("secretsmanager"))


def load_secret(kind: Kind, name: str) -> dict[str, Any]:
    """The JSON object stored at ``<prefix>/<kind>s/<name>``.

    Raises ``PermanentError("unknown_<kind>")`` when there is no such secret (or the name is not a
    valid name), ``PermanentError("config_invalid")`` when it is not a JSON object, and
    ``TransientError`` when Secrets Manager itself fails.
    """
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise PermanentError(f"unknown_{kind}", f"{kind} name is not valid")
    path = f"{settings().secret_prefix}/{kind}s/{name}"
    try:
        value = provider().get(path, transform="json", max_age=settings().secret_max_age)
    except TransformParameterError:
        raise PermanentError("config_invalid", f"{kind} '{name}': secret is not valid JSON") from None
    except GetParameterError as exc:
        cause = exc.__context__
        if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            raise PermanentError(f"unknown_{kind}", f"no {kind} named '{name}'") from None
        raise TransientError("secrets_unavailable", f"{kind} '{name}': secret could not be read") from None
    if not isinstance(value, dict):
        raise PermanentError("config_invalid", f"{kind} '{name}': secret is not a JSON object")
    return value
