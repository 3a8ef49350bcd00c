"""``make invoke``: every file of events/ runs through its function of the local stack, as printed.

Each case runs ``python -m local.invoke`` (the command ``make invoke`` runs) in its own process, so each
event meets a fresh local stack, as it does from the command line.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.demo import function_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))
RESULT = re.compile(r"^result   (.*?)\n(?=log |bus |vendor )", re.MULTILINE | re.DOTALL)


def invoke(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter running the invoke module
        [sys.executable, "-m", "local.invoke", *arguments],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def result_of(output: str) -> dict:
    found = RESULT.search(output)
    assert found, output
    return json.loads(found.group(1))


def test_the_makefile_runs_this_module():
    recipe = (ROOT / "Makefile").read_text().split("\ninvoke:", 1)[1].split("\n\n", 1)[0]
    assert "$(PY) -m local.invoke --function '$(FUNCTION)' --event '$(EVENT)'" in recipe


@pytest.fixture(scope="module")
def runs() -> dict[Path, subprocess.CompletedProcess[str]]:
    """``make invoke`` of every events/ file, two at a time (each in its own process and stack)."""

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        function = function_for(json.loads(path.read_text()))
        return invoke("--function", function, "--event", str(path.relative_to(ROOT)))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(EVENTS, pool.map(run, EVENTS), strict=True))


@pytest.mark.parametrize("path", EVENTS, ids=lambda path: path.name)
def test_every_event_file_runs_through_its_function(runs, path):
    function = function_for(json.loads(path.read_text()))
    ran = runs[path]

    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = result_of(ran.stdout)
    assert "note     " in ran.stdout  # what was changed to make the event current is said
    if function == "UnlockFunction":
        assert (result["status"], result["reason"]) == ("unlocked", "unlocked"), result
        assert "time set to now" in ran.stdout
        assert "bus      Account Unlocked" in ran.stdout
        assert "vendor   " in ran.stdout
    elif function == "SelfServiceFunction":
        assert result["statusCode"] == 200, result
        assert json.loads(result["body"])["status"] == "unlocked"
    else:
        assert result["statusCode"] in (200, 202), result
        assert json.loads(result["body"])["status"] == "accepted"
        assert re.search(r"^bus      (Ticket Resolved|Unlock Requested) for UnlockFunction", ran.stdout, re.MULTILINE)


def test_a_secrets_folder_replaces_a_sample_source_and_the_event_is_signed_with_its_secret(tmp_path):
    (tmp_path / "sources").mkdir()
    own = "whsec_" + base64.b64encode(b"another-local-test-secret-0002").decode()
    source = {"kind": "standard-webhooks", "secrets": [own], "connections": ["pingone-workforce"]}
    (tmp_path / "sources" / "helpdesk.json").write_text(json.dumps(source))

    ran = invoke(
        "--function", "WebhookFunction", "--event", "events/webhook-standard-webhooks.json", "--secrets", str(tmp_path)
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert result_of(ran.stdout)["statusCode"] == 202
    assert own not in ran.stdout + ran.stderr


def test_an_invalid_secrets_folder_stops_before_the_stack_starts(tmp_path):
    (tmp_path / "connections").mkdir()
    (tmp_path / "connections" / "pingone-workforce.json").write_text('{"vendor": "pingone", "client_secret": "x"}')

    ran = invoke(
        "--function",
        "UnlockFunction",
        "--event",
        "events/eventbridge-unlock-requested.json",
        "--secrets",
        str(tmp_path),
    )

    assert ran.returncode == 2
    assert "pingone-workforce.json" in ran.stderr
    assert "environment_id" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_function_that_is_not_in_the_template_is_refused_with_the_right_one_named():
    ran = invoke("--function", "Unlock", "--event", "events/webhook-zendesk.json")
    assert ran.returncode == 2
    assert "FUNCTION=WebhookFunction" in ran.stderr
