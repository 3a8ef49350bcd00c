"""The run command's step machinery: play a trigger, collect what happened, check it against what was expected.

Each step states what it expects (the HTTP status, the outcome event or none, whether a vendor is
called, a fact about the user afterwards). The compact line shows ✓ when everything matched, ✗ and
what differed otherwise; ``verbose`` prints the full trace (answer, bus, outcomes, vendor calls).
Stories (local/story_*.py) import this module; this module imports no story.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from local.samples import LocalEnvironment
from local.stack import Invocation

WIDTH = 120  # the compact line's budget, in columns
MIN_TITLE = 36  # the title gives way to the details down to this many columns


@dataclass(frozen=True)
class Expect:
    """What a step should produce. ``outcome`` is the detail-type of every outcome event (None: no event)."""

    http: int | None = None
    outcome: str | None = None
    reason: str | None = None
    vendor_called: bool | None = None
    check: str = ""
    holds: Callable[[], bool] | None = None


def unlocked(check: str, holds: Callable[[], bool], *, http: int | None = 202, reason: str = "unlocked") -> Expect:
    """An accepted trigger whose outcome is "Account Unlocked", and ``check`` holds afterwards."""
    return Expect(http=http, outcome="Account Unlocked", reason=reason, vendor_called=True, check=check, holds=holds)


def refused(http: int, check: str = "", holds: Callable[[], bool] | None = None) -> Expect:
    """Rejected or ignored at the door: this status, no event, no vendor call."""
    return Expect(http=http, vendor_called=False, check=check, holds=holds)


@dataclass
class Step:
    title: str
    expect: Expect
    channel: str = "webhook"
    answer: str = ""
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    deliveries: int = 0
    vendor_calls: list[str] = field(default_factory=list)
    note: str = ""
    returned: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        words = self.answer.split()
        return int(words[1]) if len(words) > 1 and words[0] == "HTTP" else None

    @property
    def ok(self) -> bool:
        return not self.wrong


class Story:
    def __init__(self, env: LocalEnvironment, *, verbose: bool = False) -> None:
        self.env = env
        self.verbose = verbose
        self.steps: list[Step] = []

    def webhook(self, source: str, body: bytes, headers: dict[str, str]) -> str:
        status, _, payload = self.env.stack.api_request("POST", f"/webhooks/{source}", headers, body)
        return f"HTTP {status} {payload.decode()}"

    def put_event(self, detail_type: str, detail: dict[str, Any]) -> str:
        """Put an event on the bus as an identity workflow would; no HTTP answer."""
        self.env.stack.put_event(detail_type, detail)
        return ""

    def run(
        self,
        title: str,
        trigger: Callable[[], str],
        *,
        expect: Expect,
        note: Callable[[], str] = lambda: "",
        channel: str = "webhook",
    ) -> Step:
        for simulator in self.env.simulators:
            simulator.clear()
        step = Step(title, expect, channel)
        step.answer = trigger()
        invocations = [i for i in self.env.stack.dispatch() if i.function == "UnlockFunction"]
        step.deliveries = len(invocations)
        step.returned = [returned(invocation) for invocation in invocations]
        step.outcomes = self.env.stack.drain("Outcomes")
        step.vendor_calls = [
            f"{sim.name}: {call.method} {unquote(call.path)}{query(call.query)} → {call.status}"
            for sim in self.env.simulators
            for call in sim.requests
        ]
        step.note = note()
        step.wrong = mismatches(step)
        self.steps.append(step)
        if self.verbose:
            print_step(len(self.steps), step)
        else:
            print(compact(len(self.steps), step))
        return step


def mismatches(step: Step) -> list[str]:
    """What differs from the step's expectation, each as "expected ..."; empty when all matched."""
    expect, wrong = step.expect, []
    if expect.http is not None and step.status != expect.http:
        wrong.append(f"expected HTTP {expect.http}")
    kinds = {outcome["detail-type"] for outcome in step.outcomes}
    if expect.outcome is None and kinds:
        wrong.append("expected no event")
    if expect.outcome is not None and kinds != {expect.outcome}:
        wrong.append(f"expected {expect.outcome}")
    reasons = {outcome["detail"]["reason"] for outcome in step.outcomes}
    if expect.reason is not None and reasons != {expect.reason}:
        wrong.append(f"expected reason {expect.reason}")
    if expect.vendor_called is False and step.vendor_calls:
        wrong.append("expected vendor not called")
    if expect.vendor_called and not step.vendor_calls:
        wrong.append("expected a vendor call")
    if expect.holds is not None and not expect.holds():
        wrong.append(f"expected {expect.check}")
    return wrong


def failed(steps: list[Step]) -> list[int]:
    """The numbers of the steps marked ✗; the run exits non-zero when there is any."""
    return [number for number, step in enumerate(steps, 1) if not step.ok]


def returned(invocation: Invocation) -> str:
    if invocation.error:
        return f"failed after {invocation.attempts} attempt(s): {invocation.error}"
    result = invocation.result or {}
    return (
        f"returned status={result.get('status')} reason={result.get('reason')} after {invocation.attempts} attempt(s)"
    )


def query(params: dict[str, list[str]]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, values in params.items() for v in values) if params else ""


def describe(outcome: dict[str, Any]) -> str:
    detail = outcome["detail"]
    user = ", ".join(f"{k}={v}" for k, v in detail.get("user", {}).items())
    actions = f" [{', '.join(detail['actions'])}]" if detail.get("actions") else ""
    reference = f" ref={detail['vendor_reference']}" if detail.get("vendor_reference") else ""
    why = "" if detail["reason"] == "unlocked" else f" reason={detail['reason']}: {detail['message']}"
    return f"{outcome['detail-type']}: {detail.get('vendor')} {detail['connection']} {user}{actions}{reference}{why}"


def brief(outcome: dict[str, Any]) -> str:
    """``Account Unlocked [password.unlock]`` or ``Unlock Failed (user_not_found)``: the compact form."""
    detail = outcome["detail"]
    actions = f" [{', '.join(detail['actions'])}]" if detail.get("actions") else ""
    why = "" if detail["reason"] == "unlocked" else f" ({detail['reason']})"
    return f"{outcome['detail-type']}{actions}{why}"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def compact(number: int, step: Step) -> str:
    """One line: ``[n] ✓ title — HTTP 202 · Account Unlocked [...] · check · 5 vendor calls``, the title clipped first."""
    parts = [f"HTTP {step.status}" if step.status is not None else "put on the bus"]
    parts += [brief(outcome) for outcome in step.outcomes] or ["no event"]
    if step.expect.check and step.ok:
        parts.append(step.expect.check)
    calls = len(step.vendor_calls)
    parts.append(f"{calls} vendor call{'' if calls == 1 else 's'}" if calls else "no vendor call")
    parts += step.wrong
    mark = "✓" if step.ok else "✗"
    prefix, details = f"[{number}] {mark} ", f" — {' · '.join(parts)}"
    title = clip(step.title, max(MIN_TITLE, WIDTH - len(prefix) - len(details)))
    line = prefix + title + details
    return line if not step.ok else clip(line, WIDTH)


def print_step(number: int, step: Step) -> None:
    """The full trace of one step (``make run V=1``)."""
    print(f"\n[{number}] {'✓' if step.ok else '✗'} {step.title}")
    if step.answer:
        print(f"    answer   {step.answer}")
    print(f"    bus      {step.deliveries} delivery(ies) to UnlockFunction")
    for line in step.returned:
        print(f"    unlock   {line}")
    for outcome in step.outcomes:
        print(f"    outcome  {describe(outcome)}")
    if not step.outcomes:
        print("    outcome  none")
    for call in step.vendor_calls:
        print(f"    vendor   {call}")
    if step.note:
        print(f"    note     {step.note}")
    for wrong in step.wrong:
        print(f"    ✗        {wrong}")
