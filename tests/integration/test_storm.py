"""The storm (``local/storm.py``, ``make storm``): a thousand unlock requests across the six vendors
(PingOne, LoginRadius, SailPoint, Gigya, Okta, Auth0) at once, with duplicates (some concurrent), vendor
rate limits (Okta's and Auth0's announcing the end of their window, not a ``Retry-After``), 5xx and late
answers, AWS outages and EventBridge delivery failures, then every dead letter redriven with the faults off.

What must hold is in ``Report.problems``: one outcome per request, which its outcome events and audit
items agree on, nothing lost, no vendor write twice (counted at the simulators), every user unlocked, every delivery
accepted in the end, no 5xx but 503. The figures are printed in every run, not asserted: they depend on
the threads' interleaving. Only that the storm reached the paths it is for is checked (faults at every
vendor among them).
"""

from __future__ import annotations

import pytest

from local.storm import VENDORS, Plan, Storm
from ops.redrive import RULE_DEAD_LETTER

pytestmark = pytest.mark.integration


def test_a_storm_of_unlocks_ends_with_one_outcome_each_none_lost_no_vendor_write_twice(env, capsys):
    storm = Storm(env, Plan())

    report = storm.run()

    with capsys.disabled():
        print(f"\n{report.text()}")
    assert report.problems == []
    # the storm met what it is for: concurrent duplicates in progress, faults at every vendor, dead letters
    assert storm.tally.answers[409] > 0
    assert all(storm.simulators[vendor].injected.total() > 0 for vendor in VENDORS)
    assert any(letter.shape == RULE_DEAD_LETTER for letter in storm.dead_letters)  # EventBridge's undelivered events
