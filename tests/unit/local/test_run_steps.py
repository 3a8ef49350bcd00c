"""The run command's step checks: a step is ✓ only when what happened matches what it expects."""

from __future__ import annotations

from typing import Any

from local.steps import Expect, Step, compact, failed, mismatches, print_step, refused, unlocked


def outcome(kind: str = "Account Unlocked", reason: str = "unlocked") -> dict[str, Any]:
    detail = {"reason": reason, "actions": ["account.unlock"], "connection": "c", "vendor": "pingone", "message": "m"}
    return {"detail-type": kind, "detail": detail}


def played(expect: Expect, answer: str, outcomes: list[dict[str, Any]], calls: int) -> Step:
    step = Step("a step", expect, answer=answer, outcomes=outcomes, vendor_calls=["pingone: POST /x → 200"] * calls)
    step.wrong = mismatches(step)
    return step


def test_a_step_that_happened_as_expected_is_ticked():
    step = played(unlocked("user can sign in", lambda: True), 'HTTP 202 {"status":"accepted"}', [outcome()], 2)

    assert step.ok
    assert compact(1, step) == (
        "[1] ✓ a step — HTTP 202 · Account Unlocked [account.unlock] · user can sign in · 2 vendor calls"
    )


def test_each_difference_from_the_expectation_is_a_cross_and_says_what_was_expected():
    wrong_status = played(refused(401), 'HTTP 202 {"status":"accepted"}', [], 0)
    an_event = played(refused(401), 'HTTP 401 {"error":"x"}', [outcome()], 0)
    vendor_called = played(refused(401), 'HTTP 401 {"error":"x"}', [], 1)
    other_reason = played(unlocked("ok", lambda: True), "HTTP 202 {}", [outcome(reason="already_unlocked")], 1)
    still_locked = played(unlocked("user can sign in", lambda: False), "HTTP 202 {}", [outcome()], 1)
    failed_instead = played(unlocked("ok", lambda: True), "HTTP 202 {}", [outcome("Unlock Failed", "unlocked")], 1)

    assert wrong_status.wrong == ["expected HTTP 401"]
    assert an_event.wrong == ["expected no event"]
    assert vendor_called.wrong == ["expected vendor not called"]
    assert other_reason.wrong == ["expected reason unlocked"]
    assert still_locked.wrong == ["expected user can sign in"]
    assert failed_instead.wrong == ["expected Account Unlocked"]
    assert compact(7, still_locked).startswith("[7] ✗ a step — HTTP 202 · Account Unlocked")
    assert compact(7, still_locked).endswith("· expected user can sign in")


def test_any_crossed_step_fails_the_run():
    good = played(refused(200), 'HTTP 200 {"status":"ignored"}', [], 0)
    bad = played(refused(401), 'HTTP 200 {"status":"ignored"}', [], 0)

    assert failed([good, good]) == []
    assert failed([good, bad, good]) == [2]


def test_the_compact_line_stays_within_120_columns():
    step = played(refused(401), 'HTTP 401 {"error":"x"}', [], 0)
    step.title = "A very long title " * 10

    assert len(compact(39, step)) <= 120


def test_verbose_prints_the_full_trace(capsys):
    step = played(unlocked("ok", lambda: True), 'HTTP 202 {"status":"accepted"}', [outcome()], 1)
    step.note = "jdoe can sign in: True"

    print_step(1, step)

    printed = capsys.readouterr().out
    assert '    answer   HTTP 202 {"status":"accepted"}' in printed
    assert "    outcome  Account Unlocked: pingone c  [account.unlock]" in printed
    assert "    vendor   pingone: POST /x → 200" in printed
    assert "    note     jdoe can sign in: True" in printed
