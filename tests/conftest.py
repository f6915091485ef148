from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def lekk(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=input.decode() if input is not None else None,
        env=env,
        timeout=300,
    )


def lekk_json(*args: str, cwd: Path | None = None) -> dict:
    r = lekk(*args, "--format", "json", "--show-secrets", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"../shared not found at {SHARED}: acceptance corpus tests skipped")
    return SHARED
