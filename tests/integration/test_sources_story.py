"""The run command's ticketing story: one ticket per system, each unlocking at a vendor; rejections stay rejected."""

from __future__ import annotations

import pytest

from local.run import Story
from local.story_ticketing import ticketing_story

pytestmark = pytest.mark.integration


def test_the_ticketing_story_unlocks_one_user_per_system(env, capsys):
    story = Story(env)

    ticketing_story(story)

    printed = capsys.readouterr().out
    assert "Zendesk trigger" in printed
    answers = [step.answer.split(" ")[1] for step in story.steps]
    assert answers == ["202", "401", "202", "202", "200", "202", "202", "401", "202", "202", "202", "401"]
    unlocked = [o["detail"] for step in story.steps for o in step.outcomes if o["detail-type"] == "Account Unlocked"]
    assert sorted(o["origin"]["system"] for o in unlocked) == sorted(
        ["zendesk", "jira", "jira-automation", "servicenow", "servicenow-iam", "freshservice", "github"]
    )
    assert {o["vendor"] for o in unlocked} == {"pingone", "loginradius", "sailpoint", "gigya"}
    assert all(not step.outcomes for step in story.steps if not step.answer.startswith("HTTP 202"))
    [jira_retry] = [step for step in story.steps if step.title.startswith("Jira retries")]
    assert (jira_retry.answer.split(" ")[1], jira_retry.deliveries) == ("202", 0)
