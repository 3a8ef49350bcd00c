"""``make serve`` as the docs use it: every documented request gets its documented answer.

The server runs as a subprocess (``python -m local.serve``, what ``make serve`` runs), its state file in
a temporary folder. Every shell block of README.md and docs/ that documents an answer (a ``# → …``
line) is run with bash from the repository root, as printed except for two things: the ``make serve``
line is left out (the server is running) and ``127.0.0.1:3000`` / ``localhost:3000`` become the port
the server took. The output of the block's last command must match the documented answer, where
``…`` stands for any text; each ``# make serve prints: …`` line must appear in the server's output.
The self-service guide's curl is checked against the response it documents (status, headers, body),
and its follow-up claims (a wrong password, then the attempt limit) are sent too.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^( *)```([^\n`]*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
LOCAL_URL = re.compile(r"(127\.0\.0\.1|localhost):3000")
WAIT_SECONDS = 60  # an upper bound for the server to answer or print, never a speed assertion


@dataclass
class Server:
    process: subprocess.Popen[str]
    lines: queue.Queue[str]
    seen: list[str]
    state_dir: Path
    port: int

    def output(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)

    def wait_for(self, pattern: re.Pattern[str]) -> bool:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if pattern.search(self.output()):
                return True
            if self.process.poll() is not None:
                return bool(pattern.search(self.output()))
            time.sleep(0.2)
        return False

    def environment(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"LOCAL_STATE_DIR": str(self.state_dir)}

    def bash(self, script: str) -> subprocess.CompletedProcess[str]:
        script = LOCAL_URL.sub(f"127.0.0.1:{self.port}", script)
        return subprocess.run(  # noqa: S603 - the docs' own commands
            ["/bin/bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=False,
        )


def start(state_dir: Path, *arguments: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"LOCAL_STATE_DIR": str(state_dir)}
    process = subprocess.Popen(  # noqa: S603 - this interpreter running the serve module
        [sys.executable, "-m", "local.serve", *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return process, lines


@contextmanager
def port_3000_taken() -> Iterator[None]:
    """Hold port 3000 (if something else already holds it, it is taken all the same)."""
    with socket.socket() as holder:
        try:
            holder.bind(("127.0.0.1", 3000))
            holder.listen()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
        yield


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    state_dir = tmp_path_factory.mktemp("serve-state")
    with port_3000_taken():
        process, lines = start(state_dir)
        served = Server(process, lines, [], state_dir, 0)
        assert served.wait_for(re.compile(r"Send a signed webhook")), served.output()
    found = re.search(r"API on http://127\.0\.0\.1:(\d+)", served.output())
    assert found, served.output()
    served.port = int(found.group(1))
    yield served
    process.send_signal(signal.SIGINT)
    process.wait(timeout=WAIT_SECONDS)


def pattern(documented: str) -> re.Pattern[str]:
    """The documented text with ``…`` standing for any text."""
    return re.compile(".*?".join(re.escape(part) for part in documented.strip().split("…")), re.DOTALL)


@dataclass(frozen=True)
class Example:
    where: str
    script: str
    answer: str
    printed: list[str]


def examples() -> list[Example]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for fence in FENCE.finditer(text):
            lines = [line.removeprefix(fence.group(1)) for line in fence.group(3).splitlines()]
            answers = [line.split("# → ", 1)[1] for line in lines if line.startswith("# → ")]
            if fence.group(2).strip() != "bash" or not answers:
                continue
            script = "\n".join(line for line in lines if not line.startswith("make serve"))
            printed = [line.split("# make serve prints: ", 1)[1] for line in lines if "# make serve prints: " in line]
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, fence.start()) + 1}"
            found.append(Example(where, script, answers[-1], printed))
    return found


EXAMPLES = examples()


def test_every_source_guide_and_the_readme_document_a_request_against_make_serve():
    guides = {path.stem for path in (ROOT / "docs" / "sources").glob("*.md")}
    documented = {Path(example.where.split(":")[0]).stem for example in EXAMPLES}
    assert guides <= documented, f"guides without a sample request: {sorted(guides - documented)}"
    assert any(example.where.startswith("README.md") for example in EXAMPLES)


def test_make_serve_takes_a_free_port_when_3000_is_taken_and_says_so(server):
    output = server.output()
    assert server.port != 3000
    assert "Port 3000 is in use" in output
    assert f"write {server.port} for 3000" in output
    assert f"http://127.0.0.1:{server.port}" in (server.state_dir / "serve.json").read_text()


def test_local_sign_finds_the_running_server_by_itself(server):
    printed = server.bash(".venv/bin/python -m local.sign --user username=kwong --ticket INC-PORT")
    assert printed.returncode == 0, printed.stderr
    assert f"http://127.0.0.1:{server.port}/webhooks/helpdesk" in printed.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.where)
def test_each_documented_request_gets_its_documented_answer(server, example):
    ran = server.bash(example.script)
    assert ran.returncode == 0, f"{example.where}: {ran.stderr}"
    last = ran.stdout.strip().splitlines()[-1] if ran.stdout.strip() else ""
    assert pattern(example.answer).fullmatch(last), f"{example.where}: answered {last!r}"
    for line in example.printed:
        assert server.wait_for(pattern(line)), f"{example.where}: make serve never printed {line!r}"


def self_service_example() -> tuple[str, list[str]]:
    """The self-service guide's curl and the response it documents (the block after it)."""
    text = (ROOT / "docs" / "self-service.md").read_text()
    blocks = list(FENCE.finditer(text))
    index = next(i for i, block in enumerate(blocks) if "/self-service/" in block.group(3) and "curl" in block.group(3))
    return blocks[index].group(3), blocks[index + 1].group(3).strip().splitlines()


def response(ran: subprocess.CompletedProcess[str]) -> tuple[str, dict[str, str], str]:
    head, _, body = ran.stdout.replace("\r\n", "\n").partition("\n\n")
    status, *fields = head.splitlines()
    return status, dict(field.split(": ", 1) for field in fields), body.strip()


def test_the_self_service_guide_unlocks_its_demo_user_as_documented(server):
    curl, documented = self_service_example()
    status, headers, body = response(server.bash(curl))
    assert status == documented[0]
    for field in documented[1:-1]:
        if field != "…":
            name, value = field.split(": ", 1)
            assert headers.get(name) == value, (name, headers)
    assert pattern(documented[-1]).fullmatch(body), body

    wrong = curl.replace('"password": "Correct-Horse-42"', '"password": "wrong"')
    answers = [response(server.bash(script)) for script in (curl, wrong, curl, curl, curl)]  # attempts 2 to 6
    assert [(status.split()[1], re.search(r'"error":"(\w+)"', body)[1]) for status, _, body in answers] == [
        ("403", "challenge_required"),
        ("401", "invalid_password"),
        ("403", "challenge_required"),
        ("403", "challenge_required"),
        ("429", "too_many_attempts"),
    ]


def test_a_port_asked_for_that_is_taken_stops_with_a_message(server, tmp_path):
    ran = subprocess.run(  # noqa: S603 - this interpreter running the serve module
        [sys.executable, "-m", "local.serve", "--port", str(server.port)],
        cwd=ROOT,
        env=server.environment() | {"LOCAL_STATE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )
    assert ran.returncode == 2
    assert f"Cannot serve on port {server.port}: Address already in use" in ran.stderr
    assert "make serve PORT=<n>" in ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr
