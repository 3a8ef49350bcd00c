"""The vendor and source-kind tables: every name imports its implementation, and only when looked up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from account_unlock.registry import Registry
from account_unlock.sources import SOURCE_KINDS
from account_unlock.vendors import CONNECTORS, SELF_SERVICE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("vendor", sorted(CONNECTORS))
def test_each_vendor_name_imports_the_connector_of_that_vendor(vendor):
    assert CONNECTORS[vendor].vendor == vendor


@pytest.mark.parametrize("kind", sorted(SOURCE_KINDS))
def test_each_kind_name_imports_the_source_kind_of_that_name(kind):
    assert SOURCE_KINDS[kind].kind == kind


def test_the_self_service_table_gives_the_portal_builder():
    assert SELF_SERVICE["loginradius"].__self__.vendor == "loginradius"  # a bound from_secret


def test_an_unknown_name_is_a_key_error_and_not_in_the_table():
    assert "nope" not in CONNECTORS
    assert CONNECTORS.get("nope") is None
    with pytest.raises(KeyError):
        SOURCE_KINDS["nope"]


def test_a_value_set_in_place_is_looked_up_and_removed_again():
    table: Registry[str] = Registry({"one": "os.path:sep"})
    table["two"] = "set"
    assert dict(table) == {"one": os.path.sep, "two": "set"}
    del table["two"]
    assert list(table) == ["one"]


def imported_after(code: str) -> set[str]:
    """The account_unlock and requests modules a fresh interpreter holds after running ``code``."""
    shown = "import sys; print('\\n'.join(m for m in sys.modules if m.startswith(('account_unlock', 'requests'))))"
    environment = dict(os.environ) | {
        "PYTHONPATH": f"{ROOT / 'layers/shared'}:{ROOT}",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    completed = subprocess.run(  # noqa: S603 - this interpreter on fixed code
        [sys.executable, "-c", f"{code}\n{shown}"], env=environment, check=True, capture_output=True, text=True
    )
    return set(completed.stdout.split())


def test_looking_up_one_vendor_imports_no_other_vendor():
    modules = imported_after("from account_unlock.vendors import CONNECTORS; CONNECTORS['okta']")
    vendors = {m for m in modules if m.startswith("account_unlock.vendors.")}
    assert vendors == {"account_unlock.vendors.base", "account_unlock.vendors.okta"}


def test_looking_up_one_source_kind_imports_no_other_kind_and_no_http_client():
    modules = imported_after("from account_unlock.sources import SOURCE_KINDS; SOURCE_KINDS['zendesk']")
    assert "account_unlock.sources.zendesk" in modules
    assert "account_unlock.sources.gigya_webhook" not in modules
    assert "requests" not in modules


def test_the_webhook_function_imports_no_vendor_and_no_http_client():
    from local.stack import LocalStack

    variables = LocalStack().function_environment("WebhookFunction")
    load = (
        "import importlib.util, os; os.environ.update({variables!r}); "
        "spec = importlib.util.spec_from_file_location('app', {path!r}); "
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
    ).format(variables=variables, path=str(ROOT / "functions/webhook/app.py"))
    modules = imported_after(load)

    assert "account_unlock.webhook" in modules
    assert not {m for m in modules if m.startswith("account_unlock.vendors")}
    assert "requests" not in modules
