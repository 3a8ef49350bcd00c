"""``make bench``: cold start and warm cost, each against its budget and the Powertools baseline, in one run.

- import: the baseline (``local/bench_baseline.py``, what ``sam init``'s Powertools starter loads) and
  every ``functions/*/app.py``, each in fresh interpreters, median of IMPORT_RUNS, the modules taken in
  turn so that load on the machine falls on all of them alike. "without bytecode": nothing cached is
  read or written (PYTHONDONTWRITEBYTECODE and an empty PYTHONPYCACHEPREFIX; the standard library is
  compiled too, which Lambda's runtime is not); "with bytecode": a primed PYTHONPYCACHEPREFIX. The
  webhook is measured once more with the X-Ray SDK on (``POWERTOOLS_TRACE_DISABLED=false``);
- warm: handler-thread CPU (``time.thread_time`` around the handler) and wall time of webhook and
  unlock invocations through the local stack (moto + simulators on loopback), split into the AWS SDK,
  vendor HTTP (each call beside the same call through a plain client in the same run: one PutEvents
  through boto3, one GET through ``requests``) and the function's own code, with what the calls alone
  leave of the budget for that code;
- calls per 1,000 warm unlocks on one connection (counted at the AWS fault proxy and the simulator),
  cached as deployed and naive (secret and token fetched per invocation), UNLOCKS of each, scaled;
- throughput: signed webhooks from parallel senders, every one answered 202 and on the bus once;
- peak RSS of a fresh interpreter importing and invoking one handler; artifact sizes (``sam build``).

The local servers (simulators, the fault proxy) answer with Nagle's algorithm off, so a vendor answer
is not held back by a delayed ACK and the figures are the code's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from local import bench_report as report
from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment, ticket_body, unlock_requested
from local.signing import encode, standard_webhook_headers
from local.stack import LocalStack, api_gateway_event
from local.template import ROOT

IMPORT_RUNS = 9
CPU_RUNS = 60
UNLOCKS = 100  # per approach; scaled to 1,000
WEBHOOKS = 1000
SENDERS = 8
BASELINE = "baseline"
BASELINE_PATH = ROOT / "local" / "bench_baseline.py"
BUILD = ROOT / ".aws-sam" / "build"
# Set per measurement (the caller's own values would decide whether bytecode is read or written).
PYCACHE_VARIABLES = frozenset({"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"})
AWS_TARGETS = {
    "secretsmanager.GetSecretValue": "GetSecretValue",
    "AWSEvents.PutEvents": "PutEvents",
}
IMPORT_SNIPPET = """
import importlib.util, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - started) * 1000)
"""
# VmHWM, not ru_maxrss: that one keeps the parent's resident size across fork and exec.
RSS_SNIPPET = """
import importlib.util, json, sys
from local.lambda_context import LocalContext
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
if sys.argv[3]:
    event = json.loads(open(sys.argv[3]).read())
    getattr(module, sys.argv[2])(event, LocalContext(function_name="bench", timeout_seconds=30))
status = open("/proc/self/status").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""


# cold start --------------------------------------------------------------------------------------
def functions() -> dict[str, str]:
    """Function directory name → logical id, for every ``functions/*/app.py`` the template deploys."""
    by_dir = {
        Path(spec["Properties"]["CodeUri"]).name: logical
        for logical, spec in LocalStack().resources.items()
        if spec["Type"] == "AWS::Serverless::Function"
    }
    return {path.parent.name: by_dir[path.parent.name] for path in sorted((ROOT / "functions").glob("*/app.py"))}


def python_path() -> str:
    return f"{ROOT / 'layers/shared'}:{ROOT}"


def global_variables(stack: LocalStack) -> dict[str, str]:
    """The template's Globals variables: what the baseline, a function of the same stack, would see."""
    variables = stack.template["Globals"]["Function"]["Environment"]["Variables"]
    return {key: str(stack.resolve(value)) for key, value in variables.items()}


def import_environment(stack: LocalStack, logical_id: str | None) -> dict[str, str]:
    """The function's environment (Globals only for the baseline); no endpoint: nothing is called."""
    variables = stack.function_environment(logical_id) if logical_id else global_variables(stack)
    inherited = {key: value for key, value in os.environ.items() if key not in PYCACHE_VARIABLES}
    return inherited | variables | {"AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": python_path()}


def import_once(path: Path, environment: dict[str, str]) -> float:
    completed = subprocess.run(  # noqa: S603 - this interpreter on a fixed snippet
        [sys.executable, "-c", IMPORT_SNIPPET, str(path)], env=environment, check=True, capture_output=True, text=True
    )
    return float(completed.stdout.strip().splitlines()[-1])


def import_times(modules: dict[str, tuple[Path, dict[str, str]]], *, bytecode: bool) -> dict[str, float]:
    """Median import time of each module, in fresh interpreters, the modules measured in turn."""
    samples: dict[str, list[float]] = {name: [] for name in modules}
    with tempfile.TemporaryDirectory() as warm:
        if bytecode:
            for path, environment in modules.values():  # primes the pycache prefix, untimed
                import_once(path, environment | {"PYTHONPYCACHEPREFIX": warm})
        for _ in range(IMPORT_RUNS):
            for name, (path, environment) in modules.items():
                if bytecode:
                    samples[name].append(import_once(path, environment | {"PYTHONPYCACHEPREFIX": warm}))
                    continue
                with tempfile.TemporaryDirectory() as empty:
                    cold = environment | {"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}
                    samples[name].append(import_once(path, cold))
    return {name: report.median(values) for name, values in samples.items()}


def cold_start(stack: LocalStack, names: dict[str, str]) -> None:
    modules = {BASELINE: (BASELINE_PATH, import_environment(stack, None))} | {
        name: (ROOT / "functions" / name / "app.py", import_environment(stack, logical))
        for name, logical in names.items()
    }
    webhook = modules.get("webhook")
    if webhook:
        modules["webhook, X-Ray SDK on"] = (webhook[0], webhook[1] | {"POWERTOOLS_TRACE_DISABLED": "false"})
    print(f"cold start: module import, median of {IMPORT_RUNS} fresh interpreters, ratio to the baseline")
    for bytecode in (True, False):
        times = import_times(modules, bytecode=bytecode)
        baseline = times[BASELINE]
        print(f"  {'with' if bytecode else 'without'} bytecode")
        print(f"    {BASELINE:<22} {baseline:7.1f} ms")
        for name, value in times.items():
            if name == BASELINE:
                continue
            verdict = report.import_verdict(name.split(",")[0], value, baseline)
            shown = str(verdict) if name in names else "(lever: the SDK the template leaves off)"
            print(f"    {name:<22} {value:7.1f} ms  {verdict.value:4.2f}×  {shown}")


# warm invocations --------------------------------------------------------------------------------
class SdkCpu(threading.local):
    """Handler-thread CPU spent inside the AWS SDK (botocore's API calls) and the vendor HTTP client
    (requests), with the number of calls: what an invocation's CPU is made of."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.aws_ms = self.vendor_ms = 0.0
        self.aws_calls = self.vendor_calls = 0


@contextmanager
def sdk_cpu(counted: SdkCpu) -> Iterator[None]:
    import botocore.client
    import requests

    make_api_call = botocore.client.BaseClient._make_api_call
    request = requests.Session.request

    def aws(client: Any, operation: str, params: Any) -> Any:
        started = time.thread_time()
        try:
            return make_api_call(client, operation, params)
        finally:
            counted.aws_ms += (time.thread_time() - started) * 1000
            counted.aws_calls += 1

    def vendor(session: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return request(session, *args, **kwargs)
        finally:
            counted.vendor_ms += (time.thread_time() - started) * 1000
            counted.vendor_calls += 1

    setattr(botocore.client.BaseClient, "_make_api_call", aws)  # noqa: B010 - a measurement, undone below
    setattr(requests.Session, "request", vendor)  # noqa: B010
    try:
        yield
    finally:
        setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)  # noqa: B010
        setattr(requests.Session, "request", request)  # noqa: B010


@dataclass
class WarmSample:
    cpu_ms: float
    aws_ms: float
    aws_calls: int
    vendor_ms: float
    vendor_calls: int


@contextmanager
def thread_cpu(stack: LocalStack, logical_id: str, samples: list[WarmSample]) -> Iterator[None]:
    """Appends the handler-thread CPU of each invocation of ``logical_id``'s warm instances, and the
    part of it spent in the SDK calls."""
    function = stack.functions[logical_id]
    originals = {id(module): getattr(module, function.handler) for module in function.idle}
    counted = SdkCpu()
    for module in function.idle:
        original = originals[id(module)]

        def timed(event: Any, context: Any, original: Callable[..., Any] = original) -> Any:
            counted.reset()
            started = time.thread_time()
            try:
                return original(event, context)
            finally:
                cpu = (time.thread_time() - started) * 1000
                samples.append(
                    WarmSample(cpu, counted.aws_ms, counted.aws_calls, counted.vendor_ms, counted.vendor_calls)
                )

        setattr(module, function.handler, timed)
    try:
        with sdk_cpu(counted):
            yield
    finally:
        for module in function.idle:
            setattr(module, function.handler, originals.get(id(module), getattr(module, function.handler)))


def webhook_request(env: LocalEnvironment, ticket: str) -> tuple[int, dict[str, str], bytes]:
    user = env.pingone.add_user(ticket.lower(), f"{ticket.lower()}@example.com")
    raw = encode(ticket_body(ticket, {"username": user.username}))
    return env.stack.api_request(
        "POST", f"/webhooks/{HELPDESK_SOURCE}", standard_webhook_headers(WEBHOOK_SECRET, raw), raw
    )


def unlock_event(env: LocalEnvironment, name: str) -> dict[str, Any]:
    user = env.pingone.add_user(name, f"{name}@example.com")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Unlock Requested",
        "source": "identity.workflows",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "us-east-1",
        "resources": [],
        "detail": unlock_requested({"username": user.username}),
    }


def timed_ms(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def thread_cpu_p50_ms(call: Callable[[], Any], warmup: int = 5) -> float:
    """Handler-thread CPU of ``call``, p50 of CPU_RUNS after ``warmup`` unmeasured runs."""
    samples = []
    for _ in range(warmup + CPU_RUNS):
        started = time.thread_time()
        call()
        samples.append((time.thread_time() - started) * 1000)
    return report.median(samples[warmup:])


def one_aws_call_ms(env: LocalEnvironment) -> float:
    """The same-run baseline of the warm figures: handler-thread CPU of one PutEvents (one entry) through a
    plain boto3 client, p50: the unit the functions' CPU is mostly made of, and the machine's speed now."""
    import boto3

    events = boto3.client("events")
    entry = {"Source": "bench", "DetailType": "Bench", "Detail": "{}", "EventBusName": env.stack.bus_name}
    return thread_cpu_p50_ms(partial(events.put_events, Entries=[entry]))


def one_vendor_request_ms(env: LocalEnvironment) -> float:
    """The vendor side of the same-run baseline: handler-thread CPU of one GET through a plain ``requests``
    session to a simulator, p50 (the environment not read, as the connectors' sessions do not)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    return thread_cpu_p50_ms(partial(session.get, f"{env.pingone.url}/bench", timeout=5))


def warm_cost(env: LocalEnvironment) -> None:
    baseline = one_aws_call_ms(env)
    vendor_baseline = one_vendor_request_ms(env)
    webhook_cpu: list[WarmSample] = []
    webhook_wall: list[float] = []
    assert webhook_request(env, "BENCH-WARMUP")[0] == 202
    with thread_cpu(env.stack, "WebhookFunction", webhook_cpu):
        for index in range(CPU_RUNS):
            wall, (status, _, _) = timed_ms(partial(webhook_request, env, f"BENCH-{index}"))
            assert status == 202, status
            webhook_wall.append(wall)
    unlock_cpu: list[WarmSample] = []
    unlock_wall: list[float] = []
    env.stack.invoke("UnlockFunction", unlock_event(env, "bench-warmup"))
    with thread_cpu(env.stack, "UnlockFunction", unlock_cpu):
        for index in range(CPU_RUNS):
            event = unlock_event(env, f"bench-cpu-{index}")
            wall, result = timed_ms(partial(env.stack.invoke, "UnlockFunction", event))
            assert result["status"] == "unlocked", result
            unlock_wall.append(wall)
    print(f"warm invocations, {CPU_RUNS} each: handler-thread CPU (time.thread_time) p50 against its budget")
    print(f"    {BASELINE:<8} one PutEvents through a plain boto3 client: CPU p50 {baseline:4.2f} ms")
    print(f"             one GET to a simulator through a plain requests session: CPU p50 {vendor_baseline:4.2f} ms")
    for name, samples, walls in (("webhook", webhook_cpu, webhook_wall), ("unlock", unlock_cpu, unlock_wall)):
        cpu = [sample.cpu_ms for sample in samples]
        verdict = report.Verdict(report.median(cpu), report.CPU_BUDGETS_MS[name], " ms")
        print(
            f"    {name:<8} CPU p50 {verdict.value:5.1f} ms ({report.ratio(verdict.value, baseline):4.1f}× the baseline)"
            f"  p99 {report.percentile(cpu, 0.99):5.1f} ms  {verdict}"
            f"   wall p50 {report.median(walls):5.1f} ms  p99 {report.percentile(walls, 0.99):5.1f} ms"
        )
        calls = report.median([sample.aws_calls for sample in samples])
        aws = report.median([sample.aws_ms for sample in samples])
        requests = report.median([sample.vendor_calls for sample in samples])
        vendor = report.median([sample.vendor_ms for sample in samples])
        own = report.median([s.cpu_ms - s.aws_ms - s.vendor_ms for s in samples])
        each = f", {vendor / requests:.2f} ms each" if requests else ""
        print(
            f"             of which AWS SDK {aws:4.1f} ms ({calls:.0f} calls, {aws / calls:.2f} ms each), "
            f"vendor HTTP {vendor:4.1f} ms ({requests:.0f} requests{each}), the function's own code {own:4.1f} ms (p50 each)"
        )
        print(
            f"             the calls alone leave {verdict.budget - aws - vendor:4.1f} ms of the budget for its own code"
        )


# calls per warm unlock ---------------------------------------------------------------------------
def forget_secrets_and_tokens() -> None:
    """The naive approach: every invocation reads the secret and fetches a token (and a session) anew."""
    from account_unlock import connections, secrets

    connections._connectors.clear()
    connections._self_service.clear()
    secrets.provider().clear_cache()


def unlock_calls(env: LocalEnvironment, *, naive: bool) -> Counter[str]:
    aws_before = Counter(env.stack.faults.calls)
    vendor_before = len(env.pingone.requests)
    for index in range(UNLOCKS):
        if naive:
            forget_secrets_and_tokens()
        result = env.stack.invoke("UnlockFunction", unlock_event(env, f"bench-{'naive' if naive else 'warm'}-{index}"))
        assert result["status"] == "unlocked", result
    aws = Counter(env.stack.faults.calls) - aws_before
    vendor = env.pingone.requests[vendor_before:]
    counted: Counter[str] = Counter()
    for target, calls in aws.items():
        if target.startswith("DynamoDB_"):
            counted["DynamoDB"] += calls
        elif target in AWS_TARGETS:
            counted[AWS_TARGETS[target]] += calls
    counted["token requests"] = sum(1 for request in vendor if request.path.endswith("/as/token"))
    counted["vendor requests"] = len(vendor)
    return counted


def calls_per_unlock(env: LocalEnvironment) -> None:
    warm = unlock_calls(env, naive=False)
    naive = unlock_calls(env, naive=True)
    print(f"calls per 1,000 warm unlocks on one PingOne connection ({UNLOCKS} of each, scaled ×{1000 // UNLOCKS})")
    print(f"    {'call':<16} {'cached':>8} {'naive':>8}")
    for name in ("GetSecretValue", "token requests", "DynamoDB", "PutEvents", "vendor requests"):
        cached, fetched = (report.per_thousand(c[name], UNLOCKS) for c in (warm, naive))
        print(f"    {name:<16} {cached:8.0f} {fetched:8.0f}")


# throughput --------------------------------------------------------------------------------------
def throughput(env: LocalEnvironment, webhooks: int) -> None:
    stack = env.stack
    queue = stack.functions["UnlockFunction"].rules[0].queue
    stack.drain(queue)
    users = [env.pingone.add_user(f"tp{index}", f"tp{index}@example.com").username for index in range(webhooks)]

    def send(index: int) -> tuple[float, int]:
        raw = encode(ticket_body(f"TP-{index}", {"username": users[index]}))
        headers = standard_webhook_headers(WEBHOOK_SECRET, raw)
        wall, (status, _, _) = timed_ms(lambda: stack.api_request("POST", f"/webhooks/{HELPDESK_SOURCE}", headers, raw))
        return wall, status

    started = time.perf_counter()
    with ThreadPoolExecutor(SENDERS) as pool:
        results = list(pool.map(send, range(webhooks)))
    elapsed = time.perf_counter() - started
    delivered = Counter(message["detail"]["origin"]["ticket_id"] for message in stack.drain(queue))
    statuses = Counter(status for _, status in results)
    lost = sum(1 for index in range(webhooks) if delivered[f"TP-{index}"] != 1)
    walls = [wall for wall, _ in results]
    print(f"throughput: {webhooks} signed webhooks, {SENDERS} parallel senders, through the local stack")
    print(
        f"    {webhooks / elapsed:6.1f} requests/s   p50 {report.median(walls):6.1f} ms   "
        f"p99 {report.percentile(walls, 0.99):6.1f} ms   answers {dict(statuses)}   "
        f"on the bus once each: {webhooks - lost}/{webhooks} {'(nothing lost)' if not lost else '(LOST)'}"
    )


# memory and artifacts ----------------------------------------------------------------------------
def sample_events(env: LocalEnvironment) -> dict[str, dict[str, Any]]:
    """One event per function the bench knows how to invoke; other functions are imported only."""
    raw = encode(ticket_body("BENCH-RSS", {"username": env.pingone.add_user("rss", "rss@example.com").username}))
    route = "/webhooks/{source}"
    headers = standard_webhook_headers(WEBHOOK_SECRET, raw)
    webhook = api_gateway_event(
        "POST", f"/webhooks/{HELPDESK_SOURCE}", route, {"source": HELPDESK_SOURCE}, headers, raw
    )
    return {
        "webhook": webhook,
        "unlock": unlock_event(env, "bench-rss"),
        "self_service": json.loads((ROOT / "events" / "self-service-unlock.json").read_text()),
    }


def peak_rss_mib(env: LocalEnvironment, logical_id: str, path: Path, event: dict[str, Any] | None) -> float:
    handler = env.stack.resources[logical_id]["Properties"]["Handler"].rsplit(".", 1)[1]
    environment = (
        dict(os.environ)
        | env.stack.environment()
        | env.stack.function_environment(logical_id)
        | {"PYTHONPATH": python_path()}
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        file.write(json.dumps(event) if event else "")
        file.flush()
        completed = subprocess.run(  # noqa: S603 - this interpreter on a fixed snippet
            [sys.executable, "-c", RSS_SNIPPET, str(path), handler, file.name if event else ""],
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
    return int(completed.stdout.strip().splitlines()[-1]) / 1024


def memory_size(stack: LocalStack, logical_id: str) -> int:
    default = stack.template["Globals"]["Function"].get("MemorySize", 128)
    return int(stack.resolve(stack.resources[logical_id]["Properties"].get("MemorySize", default)))


def memory(env: LocalEnvironment, names: dict[str, str]) -> None:
    events = sample_events(env)
    print("peak RSS of a fresh interpreter importing the handler and invoking it once, against MemorySize")
    for name, logical in names.items():
        size = memory_size(env.stack, logical)
        rss = peak_rss_mib(env, logical, ROOT / "functions" / name / "app.py", events.get(name))
        invoked = "imported and invoked" if name in events else "imported only (no sample event)"
        print(f"    {name:<14} {rss:6.1f} MiB of {size} MiB ({rss / size:.0%})  {invoked}")


def tree_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def layer_bytecode(layer: Path) -> str:
    """What bytecode the built layer carries: its interpreter tags and whether the pycs are unchecked-hash."""
    pycs = list(layer.rglob("*.pyc"))
    if not pycs:
        return "missing (no python3.13 at build time?)"
    tags = Counter(pyc.name.split(".")[-2] for pyc in pycs)
    unchecked = sum(1 for pyc in pycs if int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01)
    sources = sum(1 for _ in layer.rglob("*.py"))
    return f"{len(pycs)} pycs for {sources} sources, tags {dict(tags)}, {unchecked} unchecked-hash"


def artifacts() -> None:
    print("artifacts (.aws-sam/build, unzipped); boto3/botocore are left out: the python3.13 runtime has them")
    if not BUILD.exists():
        print("    no .aws-sam/build: run `make build` first")
        return
    for path in sorted(p for p in BUILD.iterdir() if p.is_dir()):
        print(f"    {path.name:<22} {tree_size(path) / 1024:10.1f} KiB")
    layer = BUILD / "SharedLayer"
    if layer.exists():
        print(f"    layer bytecode: {layer_bytecode(layer)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=WEBHOOKS, help="signed webhooks in the throughput run")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    names = functions()
    cold_start(LocalStack(), names)
    env = LocalEnvironment().start()
    try:
        warm_cost(env)
        calls_per_unlock(env)
        throughput(env, args.webhooks)
        memory(env, names)
    finally:
        env.stop()
    artifacts()
    print(f"load average at the end {os.getloadavg()[0]:.2f} (other processes share the CPUs if above ~0)")


if __name__ == "__main__":
    main()
