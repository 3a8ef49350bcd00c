"""Bring your own secrets: connection and source JSON files from a folder, for ``SECRETS=<dir>``.

``<dir>/connections/<name>.json`` is the secret ``<prefix>/connections/<name>`` and
``<dir>/sources/<name>.json`` the secret ``<prefix>/sources/<name>``: ``make serve`` and ``make invoke``
put them into the local stack after the samples, so a file replaces the sample of the same name and
any other name is added. That points the local stack at a vendor sandbox (or another simulator)
without editing Python: ``examples/secrets/`` has one file per vendor and per source kind to copy.

Every file is checked against the model the functions use (the vendor's connection model, the
kind's source model) before anything starts; an error names the file and the field, never a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from account_unlock.sources import SOURCE_KINDS
from account_unlock.vendors import CONNECTORS

KINDS = {"connections": "connection", "sources": "source"}  # folder -> the secret kind of samples.put_secret


class SecretsError(ValueError):
    """A file of the folder is not a valid secret; the message is safe to print (no values)."""


@dataclass(frozen=True)
class SecretFile:
    kind: str  # "connection" or "source"
    name: str
    value: dict[str, Any]


def model_for(kind: str, value: dict[str, Any]) -> type[BaseModel]:
    """The model the functions validate this secret with: the vendor's, or the source kind's."""
    if kind == "connection":
        connector = CONNECTORS.get(str(value.get("vendor")))
        if connector is None:
            raise SecretsError(f"vendor must be one of {', '.join(sorted(CONNECTORS))}")
        return connector.config_model
    source_kind = SOURCE_KINDS.get(str(value.get("kind")))
    if source_kind is None:
        raise SecretsError(f"kind must be one of {', '.join(sorted(SOURCE_KINDS))}")
    return source_kind.config_model


def check(kind: str, value: Any) -> None:
    """Raise ``SecretsError`` naming the invalid fields when ``value`` is not a valid secret of ``kind``."""
    if not isinstance(value, dict):
        raise SecretsError("must be a JSON object")
    try:
        model_for(kind, value).model_validate(value)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise SecretsError(fields) from None


def read(directory: Path) -> list[SecretFile]:
    """Every secret file of ``directory``, checked; ``SecretsError`` for the first invalid one."""
    if not directory.is_dir():
        raise SecretsError(f"{directory}: no such folder (expected connections/*.json and sources/*.json)")
    found = []
    for folder, kind in KINDS.items():
        for path in sorted((directory / folder).glob("*.json")):
            try:
                value = json.loads(path.read_text())
            except ValueError:
                raise SecretsError(f"{path}: not valid JSON") from None
            try:
                check(kind, value)
            except SecretsError as exc:
                raise SecretsError(f"{path}: {exc}") from None
            found.append(SecretFile(kind, path.stem, value))
    if not found:
        raise SecretsError(f"{directory}: no connections/*.json or sources/*.json files")
    return found
