"""openapi.yaml is kept by hand, so these keep it from drifting: it is a valid OpenAPI 3.1 document,
its routes are template.yaml's and the handlers' (Powertools resolvers, plus the CORS preflight that
Powertools answers itself), every header a source kind reads is documented, and every refusal code of
the self-service path is in its schema. What the routes answer is fuzzed against it in
tests/integration/test_openapi_contract.py."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from typing import Any
from unittest import mock

import pytest
import yaml
from openapi_spec_validator import validate

from account_unlock import self_service
from account_unlock.sources import SOURCE_KINDS
from account_unlock.sources.base import Delivery, SourceKind, Unauthorized
from local.stack import LocalStack
from local.template import ROOT

STACK = LocalStack()  # read only: its template and how it loads a handler (never started)
DOCUMENT = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
Route = tuple[str, str]


def documented_routes() -> set[Route]:
    return {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item if method in METHODS}


def api_functions() -> dict[str, dict[str, Any]]:
    """The template's functions that API Gateway invokes: logical id → properties."""
    return {
        logical: spec["Properties"]
        for logical, spec in STACK.resources.items()
        if spec["Type"] == "AWS::Serverless::Function"
        and any(event["Type"] == "Api" for event in spec["Properties"].get("Events", {}).values())
    }


def template_routes() -> set[Route]:
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for properties in api_functions().values()
        for event in properties["Events"].values()
        if event["Type"] == "Api"
    }


def resolver(logical_id: str) -> Any:
    """The Powertools resolver of a function's handler, imported anew under the function's template
    environment (the self-service resolver's CORS comes from ``ALLOWED_ORIGINS``)."""
    with mock.patch.dict(os.environ, STACK.function_environment(logical_id)):
        return STACK.load_module(logical_id).app


def resolver_routes() -> set[Route]:
    """Each resolver's routes (Powertools 3.37's route lists); with CORS on, also the preflight of each path."""
    routes: set[Route] = set()
    for logical_id in api_functions():
        app = resolver(logical_id)
        own = {(route.method, route.openapi_path) for route in app._static_routes + app._dynamic_routes}
        preflights = {("OPTIONS", path) for _, path in own} if app._cors else set()
        routes |= own | preflights
    return routes


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)


def test_the_documented_routes_are_the_templates():
    assert documented_routes() == template_routes()


def test_the_documented_routes_are_the_handlers():
    assert documented_routes() == resolver_routes()


class ReadHeaders(Mapping[str, str]):
    """Request headers that have a value for any name and remember every name asked for."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return "x"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def bound_kinds() -> list[Any]:
    """Every source kind set up for a minimal source (Gigya: each way it signs), as test parameters."""
    common = {"secrets": ["s"], "connections": ["c"]}
    variants = {name: {"": common} for name in SOURCE_KINDS}
    variants["gigya-webhook"] = {
        "-jwt": {"connections": ["c"], "api_key": "3_abc", "data_center": "us1"},
        "-hmac-sha1": common | {"signature": "hmac-sha1"},
    }
    return [
        pytest.param(
            SOURCE_KINDS[name].bind(SOURCE_KINDS[name].config_model.model_validate({"kind": name} | fields)),
            id=name + suffix,
        )
        for name, configs in variants.items()
        for suffix, fields in configs.items()
    ]


def documented_webhook_headers() -> set[str]:
    """The header parameters of the secret route, and the header names of its security schemes."""
    operation = DOCUMENT["paths"]["/webhooks/{source}"]["post"]
    parameters = [DOCUMENT["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] for p in operation["parameters"]]
    schemes = DOCUMENT["components"]["securitySchemes"]
    used = [schemes[name] for requirement in operation["security"] for name in requirement]
    named = {scheme["name"] for scheme in used if scheme["type"] == "apiKey"}
    basic = {"Authorization" for scheme in used if scheme["type"] == "http"}
    return {p["name"].lower() for p in parameters if p["in"] == "header"} | {n.lower() for n in named | basic}


@pytest.mark.parametrize("kind", bound_kinds())
def test_every_header_a_source_kind_reads_is_documented(kind: SourceKind) -> None:
    headers = ReadHeaders()
    with pytest.raises(Unauthorized):
        kind.authenticate(Delivery("s", headers, b"{}", time.time()), ["s"])
    assert headers.read
    assert headers.read <= documented_webhook_headers()


def test_every_self_service_refusal_code_is_in_the_schema():
    codes = {
        error for _, error, _ in [*self_service.ANSWERS.values(), self_service.NOT_UNLOCKED, self_service.UNAVAILABLE]
    }
    documented = set(DOCUMENT["components"]["schemas"]["PortalRefusal"]["properties"]["error"]["enum"])
    assert (codes - {""}) | set(self_service.WWW_AUTHENTICATE) <= documented
