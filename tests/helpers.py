"""Helpers shared by the tests (import as `from helpers import ...`)."""

from __future__ import annotations

import json
import secrets
import string
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def lekk(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as a user would (``prefix``: a wrapper command)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "scanner", *args],
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


def fake(prefix: str, n: int) -> str:
    """A random credential-shaped value that no filter would drop (never a real key)."""
    from scanner.filters import is_obvious_fake, is_placeholder

    while True:
        value = prefix + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(n)
        )
        if not is_placeholder(value) and not is_obvious_fake(value):
            return value


def git(cwd: Path, *args: str) -> str:
    """Run git in a repository built by a test (fixed identity, no signing)."""
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
