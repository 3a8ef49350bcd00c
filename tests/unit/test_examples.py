"""examples/secrets/: a valid secret per vendor and per source kind, and the folder loader behind SECRETS=."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from account_unlock.sources import SOURCE_KINDS
from account_unlock.vendors import CONNECTORS
from local.secrets_dir import SecretsError, read
from local.signing import standard_webhook_signature

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "secrets"
CONNECTIONS = sorted((EXAMPLES / "connections").glob("*.json"))
SOURCES = sorted((EXAMPLES / "sources").glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", CONNECTIONS, ids=lambda path: path.name)
def test_each_example_connection_is_valid_for_its_vendor(path):
    value = load(path)
    CONNECTORS[value["vendor"]].config_model.model_validate(value)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_each_example_source_is_valid_for_its_kind(path):
    value = load(path)
    SOURCE_KINDS[value["kind"]].config_model.model_validate(value)


def test_there_is_an_example_for_every_vendor_and_every_source_kind():
    assert {load(path)["vendor"] for path in CONNECTIONS} == set(CONNECTORS)
    assert {load(path)["kind"] for path in SOURCES} == set(SOURCE_KINDS)


def test_the_self_service_example_opts_in():
    assert load(EXAMPLES / "connections" / "loginradius-portal.json")["self_service_enabled"] is True


def test_the_folder_loader_reads_every_example_under_its_file_name():
    loaded = {(secret.kind, secret.name) for secret in read(EXAMPLES)}
    assert loaded == {("connection", p.stem) for p in CONNECTIONS} | {("source", p.stem) for p in SOURCES}


def test_an_invalid_file_is_refused_by_file_and_field_without_its_value(tmp_path):
    (tmp_path / "connections").mkdir()
    bad = tmp_path / "connections" / "pingone-workforce.json"
    value = load(EXAMPLES / "connections" / "pingone-workforce.json") | {"environment_id": "not-a-uuid-s3cr3t"}
    bad.write_text(json.dumps(value))

    with pytest.raises(SecretsError) as refused:
        read(tmp_path)

    assert str(bad) in str(refused.value)
    assert "environment_id" in str(refused.value)
    assert "s3cr3t" not in str(refused.value)


@pytest.mark.parametrize(
    ("folder", "content", "expected"),
    [
        ("sources", '{"kind": "no-such-kind", "secrets": ["x"], "connections": ["c"]}', "kind must be one of"),
        ("connections", '{"vendor": "no-such-vendor"}', "vendor must be one of"),
        ("sources", "{not json", "not valid JSON"),
        ("sources", "[]", "must be a JSON object"),
    ],
)
def test_unknown_kinds_vendors_and_broken_json_are_refused(tmp_path, folder, content, expected):
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "x.json").write_text(content)
    with pytest.raises(SecretsError, match=expected):
        read(tmp_path)


def test_an_empty_or_missing_folder_is_refused(tmp_path):
    with pytest.raises(SecretsError, match="no connections"):
        read(tmp_path)
    with pytest.raises(SecretsError, match="no such folder"):
        read(tmp_path / "missing")


def test_local_sign_signs_for_the_secrets_folder_of_the_running_server(tmp_path):
    """``make serve SECRETS=…`` records its folder; ``local.sign`` then signs with that folder's secret."""
    folder = tmp_path / "secrets"
    (folder / "sources").mkdir(parents=True)
    own = "whsec_" + base64.b64encode(b"another-local-test-secret-0003").decode()
    source = {"kind": "standard-webhooks", "secrets": [own], "connections": ["pingone-workforce"]}
    (folder / "sources" / "helpdesk.json").write_text(json.dumps(source))
    state = {"url": "http://127.0.0.1:4321", "pid": os.getpid(), "secrets": str(folder)}  # a live pid
    (tmp_path / "serve.json").write_text(json.dumps(state))
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"LOCAL_STATE_DIR": str(tmp_path)}

    printed = subprocess.run(
        [sys.executable, "-m", "local.sign", "--user", "username=jdoe", "--ticket", "INC-9"],
        cwd=EXAMPLES.parents[1],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    words = shlex.split(printed)
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    body = words[words.index("--data-binary") + 1].encode()
    assert words[4] == "http://127.0.0.1:4321/webhooks/helpdesk"
    expected = standard_webhook_signature(own, headers["webhook-id"], headers["webhook-timestamp"], body)
    assert headers["webhook-signature"] == expected
