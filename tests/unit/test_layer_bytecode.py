"""``sam build`` ships the layer with bytecode for the runtime's Python, or says loudly that it does not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local.template import ROOT

LAYER = ROOT / "layers" / "shared"
# Where the layer's Makefile looks (its PYTHON313 default): a pyenv 3.13, else python3.13 on PATH.
PYTHON313 = next(iter(sorted(Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))), None) or shutil.which(
    "python3.13"
)


def bytecode_step(artifacts: Path, python: str) -> subprocess.CompletedProcess[str]:
    (artifacts / "python" / "pkg").mkdir(parents=True)
    (artifacts / "python" / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    return subprocess.run(  # noqa: S603 - make on the layer's own Makefile
        ["make", "-s", "-C", str(LAYER), "bytecode", f"ARTIFACTS_DIR={artifacts}", f"PYTHON313={python}"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )


def test_without_python313_the_build_warns_and_writes_no_bytecode(tmp_path):
    built = bytecode_step(tmp_path, sys.executable if sys.version_info[:2] != (3, 13) else "false")
    assert "WARNING: no python3.13" in built.stderr
    assert not list(tmp_path.rglob("*.pyc"))


def python313_works() -> bool:
    if not PYTHON313:
        return False
    probe = subprocess.run([str(PYTHON313), "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 13))"], check=False)  # noqa: S603
    return probe.returncode == 0


@pytest.mark.skipif(not python313_works(), reason="no working python3.13 (pyenv or PATH)")
def test_with_python313_the_layer_carries_unchecked_hash_pycs(tmp_path):
    assert PYTHON313
    built = bytecode_step(tmp_path, str(PYTHON313))
    assert "WARNING" not in built.stderr
    (pyc,) = tmp_path.rglob("*.pyc")
    assert pyc.name == "__init__.cpython-313.pyc"
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01  # hash-based, unchecked (PEP 552)


def test_the_build_recipe_runs_the_bytecode_step():
    recipe = (LAYER / "Makefile").read_text().split("build-SharedLayer:", 1)[1]
    assert "$(compile_bytecode)" in recipe.split("\n\n", 1)[0]
