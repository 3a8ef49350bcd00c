"""``make bench``: figures, not assertions. Cold-start import time, warm latency, memory.

- import: each handler module imported in a fresh interpreter (what a cold start pays before the
  handler runs), median of 5;
- warm: webhook and unlock invocations against the local stack (moto + simulators on loopback), which
  includes the AWS and vendor round trips of this machine, p50/p95 of 30;
- memory: the peak Python allocation during those invocations (tracemalloc) and the process maximum RSS.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment, ticket_body, unlock_requested
from local.signing import encode, standard_webhook_headers
from local.template import ROOT

RUNS = 30
IMPORT_RUNS = 5
IMPORT_SNIPPET = """
import importlib.util, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - started) * 1000)
"""


def import_ms(path: str) -> float:
    environment = os.environ | {"AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": f"{ROOT / 'layers/shared'}:{ROOT}"}
    runs = [
        float(
            subprocess.run(  # noqa: S603 - runs this interpreter on a fixed snippet
                [sys.executable, "-c", IMPORT_SNIPPET, path],
                env=environment,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(runs)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ordered)})"


def main() -> None:
    print("cold start: module import time (median of 5 fresh interpreters)")
    for function in sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()):
        print(f"    {function:<14} {import_ms(str(ROOT / 'functions' / function / 'app.py')):7.1f} ms")

    env = LocalEnvironment().start()
    try:
        webhook, unlock = [], []
        tracemalloc.start()
        for index in range(RUNS):
            user = env.pingone.add_user(f"bench{index}", f"bench{index}@example.com")
            raw = encode(ticket_body(f"BENCH-{index}", {"username": user.username}))
            headers = standard_webhook_headers(WEBHOOK_SECRET, raw)
            started = time.perf_counter()
            status, _, _ = env.stack.api_request("POST", f"/webhooks/{HELPDESK_SOURCE}", headers, raw)
            webhook.append((time.perf_counter() - started) * 1000)
            assert status == 202, status
            event = {
                "version": "0",
                "id": f"bench-{index}",
                "detail-type": "Unlock Requested",
                "source": "bench",
                "account": "123456789012",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "region": "us-east-1",
                "resources": [],
                "detail": unlock_requested({"username": user.username}),
            }
            started = time.perf_counter()
            result = env.stack.invoke("UnlockFunction", json.loads(json.dumps(event)))
            unlock.append((time.perf_counter() - started) * 1000)
            assert result["status"] == "unlocked", result
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        env.stack.dispatch()
    finally:
        env.stop()
    print("warm invocations against the local stack (loopback AWS + simulator round trips included)")
    print(f"    webhook        {percentiles(webhook)}")
    print(f"    unlock         {percentiles(unlock)}  (token cached, look-up + unlock + password state)")
    print("memory")
    print(f"    peak Python allocations during {2 * RUNS} invocations: {peak / 1024 / 1024:.1f} MiB")
    print(
        f"    process max RSS (stack, simulators and functions in one process): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    layer = ROOT / ".aws-sam" / "build" / "SharedLayer"
    if layer.exists():
        size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file())
        print(f"    built layer (sam build): {size / 1024 / 1024:.1f} MiB unzipped")


if __name__ == "__main__":
    main()
