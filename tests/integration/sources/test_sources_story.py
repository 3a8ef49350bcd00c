"""``make run`` end to end: every story step checks what it expects, one compact line each; ✗ fails the run.

Run as the command runs (a subprocess), so the tests never import a story module.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from local.template import ROOT

pytestmark = pytest.mark.integration

STEP = re.compile(r"^\[(\d+)\] ([✓✗]) ")


@pytest.fixture(scope="module")
def printed() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.run"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_every_step_matches_what_it_expects_and_the_run_succeeds(printed):
    steps = [STEP.match(line) for line in printed.stdout.splitlines() if STEP.match(line)]
    assert printed.returncode == 0, printed.stdout[-3000:] + printed.stderr[-3000:]
    assert len(steps) >= 39
    assert [int(m.group(1)) for m in steps] == list(range(1, len(steps) + 1))
    assert {m.group(2) for m in steps} == {"✓"}


def test_the_compact_output_is_one_short_line_per_step(printed):
    lines = printed.stdout.splitlines()
    step_lines = [line for line in lines if STEP.match(line)]
    assert all(len(line) <= 120 for line in step_lines)
    assert len(lines) < 80  # today's full trace is behind --verbose
    assert any(re.search(r"Zendesk trigger.* — HTTP 202 · Account Unlocked \[account\.unlock\]", s) for s in step_lines)
    assert any("— HTTP 401 · no event · no vendor call" in line for line in step_lines)


def test_the_header_lists_every_simulator_and_the_summary_splits_the_answers(printed):
    out = printed.stdout
    for simulator in ("PingOne", "LoginRadius", "SailPoint", "Gigya"):
        assert re.search(rf"^    {simulator} simulator +http://127\.0\.0\.1:\d+$", out, re.MULTILINE), simulator
    assert re.search(r"^    webhook answers +\d+ accepted, \d+ ignored, \d+ refused", out, re.MULTILINE)
    assert re.search(r"^    self-service +1 accepted, 0 ignored, 4 refused$", out, re.MULTILINE)
    assert "idempotency" not in out.lower()
