"""``make invoke FUNCTION=<function> EVENT=<file> [SECRETS=<dir>]``: ``sam local invoke`` without Docker.

One event through one function of the local stack: the function runs in-process with its template
environment, against moto's server and the vendor simulators, set up as ``make serve`` is
(local/demo.py; ``--secrets`` adds or replaces connections and sources from a folder). The files of
events/ carry a fixed time that the functions refuse as stale, so the event is made current first
(time set to now, webhooks signed again with the local secret of their source) and every change is
printed. Then: the function's result, its log lines, what it put on the bus, and each vendor call.
The bus is not dispatched: the function invoked is the only one that runs (``make serve`` runs the
whole path). Exit status 1 when the function raised (Lambda would retry the event), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from local.demo import Credentials, configure, credentials, current, function_for, read_secrets
from local.samples import LocalEnvironment
from local.secrets_dir import SecretsError
from local.stack import LocalStack
from local.steps import describe, query


@dataclass
class Report:
    function: str
    notes: list[str]
    result: Any = None
    error: str | None = None
    logs: list[str] = field(default_factory=list)
    bus: list[str] = field(default_factory=list)
    vendor_calls: list[str] = field(default_factory=list)


def invoke(env: LocalEnvironment, function: str, event: dict[str, Any], sources: Credentials) -> Report:
    """Run ``event``, made current, through ``function`` of the running ``env``."""
    fresh, notes = current(env, event, sources)
    for simulator in env.simulators:
        simulator.clear()
    start = len(env.stack.output.getvalue())
    report = Report(function, notes)
    try:
        report.result = env.stack.invoke(function, fresh)
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"
    report.logs = env.stack.output.getvalue()[start:].splitlines()
    report.bus = put_on_bus(env.stack)
    report.vendor_calls = [
        f"{sim.name}: {call.method} {unquote(call.path)}{query(call.query)} → {call.status}"
        for sim in env.simulators
        for call in sim.requests
    ]
    return report


def put_on_bus(stack: LocalStack) -> list[str]:
    """The events the invocation put on the bus: requests the unlock rule matched, and outcomes."""
    lines = [
        f"{message['detail-type']} for {function.logical_id} (matched its rule; not run by make invoke)"
        for function in stack.functions.values()
        for rule in function.rules
        for message in stack.drain(rule.queue)
    ]
    return lines + [describe(outcome) for outcome in stack.drain("Outcomes")]


def render(report: Report) -> str:
    lines = [f"note     {note}" for note in report.notes]
    if report.error:
        lines.append(f"error    {report.function} raised {report.error}")
    else:
        lines.append(f"result   {json.dumps(report.result, indent=2)}")
    lines += [f"log      {line}" for line in report.logs]
    lines += [f"bus      {line}" for line in report.bus] or ["bus      nothing"]
    lines += [f"vendor   {call}" for call in report.vendor_calls] or ["vendor   no calls"]
    return "\n".join(lines)


def template_functions(stack: LocalStack) -> list[str]:
    return [logical for logical, spec in stack.resources.items() if spec["Type"] == "AWS::Serverless::Function"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--function", required=True, help="logical id in template.yaml, e.g. UnlockFunction")
    parser.add_argument("--event", required=True, type=Path, help="a JSON event, e.g. events/...json")
    parser.add_argument("--secrets", type=Path, help="folder with connections/*.json and sources/*.json")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    try:
        event = json.loads(args.event.read_text())
    except (OSError, ValueError) as exc:
        print(f"make invoke: EVENT={args.event}: {exc}", file=sys.stderr)
        return 2
    try:
        secrets = read_secrets(args.secrets)
    except SecretsError as exc:
        print(f"make invoke: SECRETS: {exc}", file=sys.stderr)
        return 2
    env = LocalEnvironment()
    if args.function not in template_functions(env.stack):
        print(
            f"make invoke: FUNCTION={args.function} is not one of {', '.join(template_functions(env.stack))};"
            f" this event is for FUNCTION={function_for(event)}",
            file=sys.stderr,
        )
        return 2
    print(f"make invoke: {args.function} ← {args.event}")
    env.start()
    try:
        configure(env, secrets)
        report = invoke(env, args.function, event, credentials(secrets))
    finally:
        env.stop()
    print(render(report))
    return 1 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())
