"""The arithmetic of ``make bench``: ratios to the baseline, budgets and percentiles (no timing here)."""

from __future__ import annotations

import pytest

from local import bench_report as report


def test_ratio_to_the_baseline():
    assert report.ratio(600.0, 400.0) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="baseline"):
        report.ratio(1.0, 0.0)


@pytest.mark.parametrize(
    ("function", "value", "passed"),
    [("webhook", 480.0, True), ("webhook", 481.0, False), ("unlock", 520.0, True), ("unlock", 521.0, False)],
)
def test_import_budget_at_its_edge(function, value, passed):
    verdict = report.import_verdict(function, value, 400.0)
    assert verdict.passed is passed
    assert str(verdict).endswith("pass" if passed else "MISS")


def test_budgets_of_the_issue_and_the_default_for_new_functions():
    assert report.import_budget("webhook") == report.import_budget("self_service") == 1.2
    assert report.import_budget("unlock") == 1.3
    assert report.import_budget("a_new_function") == report.DEFAULT_IMPORT_BUDGET == 1.2
    assert report.CPU_BUDGETS_MS == {"webhook": 5.0, "unlock": 10.0}


def test_percentile_is_nearest_rank():
    samples = [float(value) for value in range(1, 101)]
    assert report.percentile(samples, 0.5) == 50.0
    assert report.percentile(samples, 0.99) == 99.0
    assert report.percentile([3.0, 1.0, 2.0], 0.99) == 3.0
    assert report.percentile([7.0], 0.5) == 7.0


def test_calls_scaled_to_a_thousand():
    assert report.per_thousand(7, 10) == 700.0
    assert report.per_thousand(0, 100) == 0.0
    with pytest.raises(ValueError, match="no invocations"):
        report.per_thousand(1, 0)
