"""Hostile repositories, built at test time: each one tries to make lekk run its code.

- ``plant_shadows``: top-level packages named like the modules lekk and its installer start
  (``scanner``, ``venv``, ``pip``) and ``sitecustomize``, each writing a marker when imported.
- ``arm_promisor``: a partial clone whose promisor remote is a command (``ext::``), allowed by
  the repository's own ``protocol.ext.allow=always``; ``drop`` removes an object, so the next git
  that needs it fetches it from that remote, running the command, unless lekk stops it.
- ``git_without_no_lazy_fetch``: a PATH on which ``git`` ignores ``GIT_NO_LAZY_FETCH``, as git
  before 2.39.4 does, so a test shows the other locks hold on their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SHADOWED = (
    "scanner/__init__.py",
    "scanner/__main__.py",
    "scanner/cli.py",
    "scanner/hooks.py",
    "scanner/action.py",
    "venv/__init__.py",
    "venv/__main__.py",
    "pip/__init__.py",
    "pip/__main__.py",
    "sitecustomize.py",
    "usercustomize.py",
)
IDENTITY = {
    "GIT_AUTHOR_NAME": "Mallory",
    "GIT_AUTHOR_EMAIL": "mallory@example.invalid",
    "GIT_COMMITTER_NAME": "Mallory",
    "GIT_COMMITTER_EMAIL": "mallory@example.invalid",
}


def git(repo: Path, *args: str, input: str | None = None) -> str:
    """git in a repository the test builds (its own identity; no hook's GIT_DIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | IDENTITY
    r = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, input=input
    )
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout.strip()


def init(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def plant_shadows(root: Path, markers: Path) -> list[str]:
    """Modules that write ``markers/<module path>`` when imported or run; their paths."""
    for rel in SHADOWED:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        name = rel.replace("/", ".")
        path.write_text(
            f"import pathlib\npathlib.Path({str(markers / name)!r}).write_text('ran')\n"
            "raise SystemExit(0)\n"
            if rel.endswith(("hooks.py", "action.py", "__main__.py"))
            else f"import pathlib\npathlib.Path({str(markers / name)!r}).write_text('ran')\n",
            encoding="utf-8",
        )
    return list(SHADOWED)


def arm_promisor(repo: Path, markers: Path) -> None:
    """Make ``repo`` a partial clone whose promisor remote runs a command writing a marker."""
    script = markers.parent / f"transport-{repo.name}.sh"
    script.write_text(f'#!/bin/sh\ntouch "{markers}/transport-{repo.name}"\nexit 1\n')
    script.chmod(0o755)
    for key, value in {
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
        "remote.origin.url": f"ext::{script}",
        "remote.origin.promisor": "true",
        "protocol.ext.allow": "always",
        "protocol.allow": "always",
    }.items():
        git(repo, "config", key, value)


def drop(repo: Path, obj: str) -> None:
    """Remove a (loose) object, as a partial clone lacks it."""
    sha = git(repo, "rev-parse", obj)
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()
    r = subprocess.run(
        ["git", "-C", str(repo), "-c", "protocol.allow=never", "cat-file", "-e", sha],
        capture_output=True,
        env={**os.environ, "GIT_NO_LAZY_FETCH": "1"},
    )
    assert r.returncode != 0, f"{obj} is still in {repo}"


def git_without_no_lazy_fetch(bin_dir: Path) -> dict[str, str]:
    """An environment whose ``git`` ignores GIT_NO_LAZY_FETCH (as git before 2.39.4 does)."""
    real = shutil.which("git")
    assert real, "git is not on PATH"
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nunset GIT_NO_LAZY_FETCH\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
