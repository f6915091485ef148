"""ruff (lint and format) and mypy (strict) run as part of the suite, so the README's one test command covers them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT


def _tool(name: str) -> str:
    # beside the interpreter running the tests (its venv), else the checkout's .venv, else PATH
    here = str(Path(sys.executable).parent)
    exe = shutil.which(name, path=here) or shutil.which(name, path=str(ROOT / ".venv" / "bin"))
    exe = exe or shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} is not installed: install the test extras (pip install -e '.[test]')")
    return exe


def test_ruff_check() -> None:
    r = subprocess.run(
        [_tool("ruff"), "check", "scanner", "tests", "bench", "hatch_build.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format() -> None:
    # the formatter decides layout; no skip markers stand in for it
    r = subprocess.run(
        [_tool("ruff"), "format", "--check", "scanner", "tests", "bench", "hatch_build.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    marked = [
        str(p.relative_to(ROOT))
        for d in ("scanner", "tests", "bench")
        for p in (ROOT / d).rglob("*.py")
        if "fmt: " + "skip" in p.read_text(encoding="utf-8")
    ]
    assert not marked, marked


def test_mypy_strict() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "scanner"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
