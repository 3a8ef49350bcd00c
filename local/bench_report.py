"""The arithmetic of ``make bench``: budgets, ratios to the baseline, percentiles, and the printed rows."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# Import time of each handler as a multiple of the baseline's (local/bench_baseline.py), with and without
# bytecode. A function not listed gets DEFAULT_IMPORT_BUDGET: the stricter budget, that of a function a
# caller waits for; an asynchronous one (like unlock) may be given the looser one here.
IMPORT_BUDGETS = {"webhook": 1.2, "self_service": 1.2, "unlock": 1.3}
DEFAULT_IMPORT_BUDGET = 1.2
# Handler-thread CPU per warm invocation, p50, in milliseconds.
CPU_BUDGETS_MS = {"webhook": 5.0, "unlock": 10.0}


@dataclass(frozen=True)
class Verdict:
    """A measured figure against its budget (both in the same unit: ms, or a ratio)."""

    value: float
    budget: float
    unit: str = ""  # printed after the budget: " ms"; none for a ratio

    @property
    def passed(self) -> bool:
        return self.value <= self.budget

    def __str__(self) -> str:
        return f"budget ≤ {self.budget:g}{self.unit}  {'pass' if self.passed else 'MISS'}"


def import_budget(function: str) -> float:
    return IMPORT_BUDGETS.get(function, DEFAULT_IMPORT_BUDGET)


def ratio(value: float, baseline: float) -> float:
    """``value`` as a multiple of ``baseline`` (both positive durations)."""
    if baseline <= 0:
        raise ValueError("the baseline must be positive")
    return value / baseline


def import_verdict(function: str, value_ms: float, baseline_ms: float) -> Verdict:
    return Verdict(ratio(value_ms, baseline_ms), import_budget(function))


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in (0, 1]): the smallest sample with at least that share at or below it."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction), at least 1
    return ordered[min(int(rank), len(ordered)) - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def per_thousand(count: int, invocations: int) -> float:
    """``count`` calls seen over ``invocations``, scaled to 1,000 invocations."""
    if invocations <= 0:
        raise ValueError("no invocations")
    return count * 1000 / invocations
