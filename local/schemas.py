"""``make schemas``: write the JSON Schemas of the bus events (the public contract) from the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from account_unlock.models import ACCOUNT_UNLOCKED, REQUEST_DETAIL_TYPES, UNLOCK_FAILED, UnlockOutcome, UnlockRequest
from local.template import ROOT

SCHEMAS = ROOT / "schemas"


def schemas() -> dict[str, dict[str, Any]]:
    request = UnlockRequest.model_json_schema()
    request["description"] = f"detail of the events {' / '.join(REQUEST_DETAIL_TYPES)} that ask for an unlock"
    outcome = UnlockOutcome.model_json_schema()
    outcome["description"] = f"detail of the events {ACCOUNT_UNLOCKED} / {UNLOCK_FAILED} the unlock function publishes"
    return {"unlock-request.schema.json": request, "unlock-outcome.schema.json": outcome}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMAS.mkdir(exist_ok=True)
    for name, schema in schemas().items():
        Path(SCHEMAS / name).write_text(render(schema))
        print(f"wrote schemas/{name}")


if __name__ == "__main__":
    main()
