"""Every command README.md, docs/ and examples/ print runs as printed on a fresh clone.

Which text is a command:
- every line of a fenced code block labelled ``bash``, ``sh`` or ``shell`` (a line ending in ``\\``
  continues on the next; ``#`` starts a comment);
- an inline code span in the prose that starts with ``make``, ``.venv/bin/python``, ``python``,
  ``python3``, ``sam``, ``aws``, ``curl`` or ``eval``.

What is checked, by the command's first word (``eval "$(…)"`` is checked as the command inside):
- every command: ``bash -n`` accepts it;
- ``make TARGET… [VAR=value…]``: ``make -n`` accepts it (so each target exists) and the Makefile reads
  each ``VAR``;
- ``.venv/bin/python -m MODULE …``: run for real, from the repository root, with no ``PYTHONPATH``
  (as a newcomer's shell has none): it must exit 0. Printed Python commands are short-lived ones (they
  print a request); long-running ones are printed as make targets. Run with ``eval``, what it prints
  must itself be a valid shell command;
- bare ``python``/``python3`` running a module of the project: refused (only the venv has the
  dependencies);
- ``sam``/``aws`` (need Docker or an AWS account) and ``curl`` (needs ``make serve``; the requests and
  their documented answers are sent for real by tests/integration/test_serve.py): syntax only, plus
  ``sam local invoke <function> -e <file>`` names a function of template.yaml;
- every command, whatever its first word: each argument (a ``VAR=value``'s value included) that is a
  path into a directory of the repository (``events/``, ``examples/``, ``docs/``…), each ``file://``
  path, and the source of ``cp`` exist.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]
FENCE = re.compile(r"^( *)```([^\n`]*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\s][^`\n]*)`")
SHELL_LABELS = {"bash", "sh", "shell"}
COMMAND_WORDS = {"make", ".venv/bin/python", "python", "python3", "sam", "aws", "curl", "eval"}
REPO_DIRS = {path.name for path in ROOT.iterdir() if path.is_dir() and not path.name.startswith(".")}
SUBSTITUTION = re.compile(r"^\$\((.*)\)$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    where: str
    line: str

    @property
    def words(self) -> list[str]:
        words = shlex.split(self.line, comments=True)
        if words[:1] == ["eval"] and len(words) == 2 and (inner := SUBSTITUTION.match(words[1])):
            return shlex.split(inner.group(1))
        return words

    @property
    def evaluated(self) -> bool:
        return self.line.lstrip().startswith("eval ")


def logical_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(index of its first line, line) with ``\\`` continuations joined; blank and comment lines dropped."""
    found, current, start = [], "", 0
    for index, text in enumerate(lines):
        if not current:
            start = index
        if text.endswith("\\"):
            current += text[:-1] + " "
            continue
        current += text
        if current.strip() and not current.strip().startswith("#"):
            found.append((start, current.strip()))
        current = ""
    return found


def commands_of(path: Path) -> list[Command]:
    text = path.read_text()
    name = path.relative_to(ROOT)
    found = []
    for fence in FENCE.finditer(text):
        if fence.group(2).strip() not in SHELL_LABELS:
            continue
        first = text.count("\n", 0, fence.start(3)) + 1
        lines = [line.removeprefix(fence.group(1)) for line in fence.group(3).splitlines()]
        found += [Command(f"{name}:{first + index}", line) for index, line in logical_lines(lines)]
    prose = FENCE.sub(lambda fence: "\n" * fence.group(0).count("\n"), text)
    for span in INLINE.finditer(prose):
        if span.group(1).split(maxsplit=1)[0] in COMMAND_WORDS:
            found.append(Command(f"{name}:{prose.count(chr(10), 0, span.start()) + 1}", span.group(1)))
    return found


COMMANDS = [command for path in DOCS for command in commands_of(path)]
IDS = [f"{command.where} {command.line[:60]}" for command in COMMANDS]


def by_word(*first: str) -> list[Command]:
    return [command for command in COMMANDS if command.words[:1] and command.words[0] in first]


def run(args: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    """Run a command of the docs (or bash/make on one), capturing its output as text."""
    return subprocess.run(args, capture_output=True, text=True, check=False, **options)  # noqa: S603


def clean_environment(tmp_path: Path) -> dict[str, str]:
    """A newcomer's shell: no PYTHONPATH, no make flags; no running ``make serve`` (its state elsewhere)."""
    drop = {"PYTHONPATH", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    return {k: v for k, v in os.environ.items() if k not in drop} | {"LOCAL_STATE_DIR": str(tmp_path)}


def test_the_docs_print_the_commands_this_test_knows_about():
    """The extraction finds the README's commands (so an empty extraction cannot pass for success)."""
    lines = {command.line for command in COMMANDS}
    assert ".venv/bin/python -m local.sign --user username=jdoe --ticket INC-1" in lines
    assert "make invoke FUNCTION=UnlockFunction EVENT=events/eventbridge-unlock-requested.json" in lines
    assert len(by_word("make")) >= 10


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_is_valid_shell(command):
    checked = run(["bash", "-n", "-c", command.line])
    assert checked.returncode == 0, f"{command.where}: {checked.stderr}"


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_repository_path_a_command_names_exists(command):
    words = command.words
    paths = [word.partition("=")[2] if "=" in word and not word.startswith("-") else word for word in words]
    named = [path for path in paths if path.split("/", 1)[0] in REPO_DIRS and "/" in path]
    named += [word.split("file://", 1)[1] for word in words if "file://" in word]
    if words[:1] == ["cp"]:
        named.append(next(word for word in words[1:] if not word.startswith("-")))
    missing = [path for path in named if not (ROOT / path).exists()]
    assert not missing, f"{command.where}: {command.line!r} names {missing}, which do not exist"


@pytest.mark.parametrize("command", by_word("make"), ids=lambda command: f"{command.where} {command.line}")
def test_make_commands_name_targets_and_variables_of_the_makefile(command, tmp_path):
    makefile = (ROOT / "Makefile").read_text()
    arguments = command.words[1:]
    unread = [
        word.partition("=")[0] for word in arguments if "=" in word and f"$({word.partition('=')[0]})" not in makefile
    ]
    assert not unread, f"{command.where}: the Makefile does not read {unread}"
    dry = run(
        ["make", "-n", "--no-print-directory", *arguments], cwd=ROOT, env=clean_environment(tmp_path), timeout=120
    )
    assert dry.returncode == 0, f"{command.where}: {command.line!r}: {dry.stderr}"


@pytest.mark.parametrize(
    "command", by_word(".venv/bin/python"), ids=lambda command: f"{command.where} {command.line[:60]}"
)
def test_venv_python_commands_run_as_printed_from_the_repository_root(command, tmp_path):
    ran = run(command.words, cwd=ROOT, env=clean_environment(tmp_path), timeout=120)
    assert ran.returncode == 0, f"{command.where}: {command.line!r} failed:\n{ran.stderr[-2000:]}"
    if command.evaluated:
        printed = ran.stdout.strip()
        assert printed.startswith("curl "), printed[:200]
        assert run(["bash", "-n", "-c", printed]).returncode == 0


def test_no_doc_runs_a_project_module_with_a_bare_python():
    bare = [
        command
        for command in by_word("python", "python3")
        if "-m" in command.words
        and command.words[command.words.index("-m") + 1].startswith(("local", "account_unlock"))
    ]
    assert not bare, [f"{c.where}: {c.line} (use .venv/bin/python: only the venv has the dependencies)" for c in bare]


def test_sam_local_invoke_commands_name_functions_of_the_template():
    resources = load_template()["Resources"]
    functions = {name for name, spec in resources.items() if spec["Type"] == "AWS::Serverless::Function"}
    invokes = [c for c in by_word("sam") if c.words[1:3] == ["local", "invoke"] and len(c.words) > 3]
    assert invokes
    for command in invokes:
        assert command.words[3] in functions, f"{command.where}: {command.words[3]} is not a function"
