"""git never fetches during a scan, whatever the scanned repository configures.

Each repository here is a partial clone whose promisor remote is a command (``ext::``) that writes
a marker, allowed by the repository's own ``protocol.ext.allow=always`` (which outranks ``-c
protocol.allow=never``), with an object removed that the entry point under test needs: git would
fetch it from that remote, running the command.  Every entry point that starts git (the Action's
in tests/action_test.py) is run twice:
with git as installed, and with a git that ignores ``GIT_NO_LAZY_FETCH`` (as git before 2.39.4
does), so the transport locks are shown to hold on their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import arm_promisor, commit, drop, git, git_without_no_lazy_fetch, init
from sarif_checks import fake

from scanner.sources.git.cmd import SAFE_CONFIG, TRANSPORTS, Git, safe_env


@pytest.fixture(params=["git", "git-ignoring-GIT_NO_LAZY_FETCH"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "git":
        return dict(os.environ)
    return git_without_no_lazy_fetch(tmp_path / "old-git")


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    path = tmp_path / "markers"
    path.mkdir()
    return path


def _lekk(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [sys.executable, "-I", "-m", "scanner", *args, "--format", "json", "--show-secrets"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r


def _found(r: subprocess.CompletedProcess[str]) -> set[tuple[str, str]]:
    assert r.returncode == 1, r.stderr
    return {(f["rule"], f["path"]) for f in json.loads(r.stdout)["findings"]}


def _hook(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    hook_env = {k: v for k, v in env.items() if not k.startswith("PRE_COMMIT")}
    return subprocess.run(
        [sys.executable, "-I", "-m", "scanner.hooks", *args],
        cwd=cwd,
        env=hook_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_trap_is_armed(tmp_path: Path, markers: Path) -> None:
    """Plain git, even with ``-c protocol.allow=never``, runs the remote's command."""
    repo = init(tmp_path / "r")
    commit(repo, {"a.txt": "one\n"})
    arm_promisor(repo, markers)
    drop(repo, "HEAD:a.txt")
    subprocess.run(
        ["git", "-C", str(repo), "-c", "protocol.allow=never", "cat-file", "-p", "HEAD:a.txt"],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "GIT_NO_LAZY_FETCH"},
    )
    assert [p.name for p in markers.iterdir()] == ["transport-r"]


def test_lekk_git(tmp_path: Path, markers: Path, env: dict[str, str]) -> None:
    """``log --raw`` needs the tree of an old commit that is missing."""
    repo = init(tmp_path / "r")
    old = commit(repo, {"a.txt": "one\n"})
    commit(repo, {"a.txt": "two\n", "keys.env": f"SAGAPAY_API_KEY={fake('spk_live_')}\n"})
    arm_promisor(repo, markers)
    drop(repo, f"{old}^{{tree}}")
    r = _lekk(["git", str(repo)], env, tmp_path)
    assert r.returncode in (1, 2), r.stderr  # a missing tree: a warning or a one-line error
    assert list(markers.iterdir()) == []


def _staged_repo(tmp_path: Path, markers: Path) -> tuple[Path, str]:
    """A staged leak in a file whose committed version (read to diff against) is missing."""
    repo = init(tmp_path / "r")
    commit(repo, {"pay.env": "# SagaPay\nMODE=test\n"})
    secret = fake("spk_live_")
    (repo / "pay.env").write_text(f"# SagaPay\nMODE=test\nSAGAPAY_API_KEY={secret}\n")
    git(repo, "add", "pay.env")
    arm_promisor(repo, markers)
    drop(repo, "HEAD:pay.env")
    return repo, secret


def test_lekk_staged(tmp_path: Path, markers: Path, env: dict[str, str]) -> None:
    repo, _ = _staged_repo(tmp_path, markers)
    r = _lekk(["staged", str(repo)], env, tmp_path)
    assert ("sagapay-api-key", "pay.env") in _found(r)
    assert list(markers.iterdir()) == []


def test_pre_commit_hook(tmp_path: Path, markers: Path, env: dict[str, str]) -> None:
    repo, _ = _staged_repo(tmp_path, markers)
    r = _hook(["pre-commit"], env, repo)
    assert r.returncode == 1 and "pay.env:3:" in r.stdout, r.stdout + r.stderr
    assert list(markers.iterdir()) == []


def test_lekk_scan_ignore_check(tmp_path: Path, markers: Path, env: dict[str, str]) -> None:
    """``git check-ignore`` reads a .gitignore that is only in the index (a sparse checkout)
    from its blob, which is missing."""
    repo = init(tmp_path / "r")
    commit(repo, {"sub/.gitignore": "*.log\n", "README": "hello\n"})
    git(repo, "update-index", "--skip-worktree", "sub/.gitignore")
    (repo / "sub" / ".gitignore").unlink()
    (repo / "sub" / ".env").write_text(f"# SagaPay\nSAGAPAY_API_KEY={fake('spk_live_')}\n")
    arm_promisor(repo, markers)
    drop(repo, "HEAD:sub/.gitignore")
    r = _lekk(["scan", str(repo)], env, tmp_path)
    assert ("sagapay-api-key", "sub/.env") in _found(r)
    assert list(markers.iterdir()) == []


def test_pre_push_hook_fed_a_sha_that_is_not_there(
    tmp_path: Path, markers: Path, env: dict[str, str]
) -> None:
    """The remote's old tip, as git writes it on the hook's stdin, is not in the repository."""
    repo = init(tmp_path / "r")
    commit(repo, {"a.txt": "one\n"})
    tip = commit(repo, {"keys.env": f"SAGAPAY_API_KEY={fake('spk_live_')}\n"})
    arm_promisor(repo, markers)
    absent = "1234567" * 5 + "89abc"
    r = _hook(
        ["pre-push", "origin", "ext::x"],
        env,
        repo,
        f"refs/heads/main {tip} refs/heads/main {absent}\n",
    )
    assert r.returncode == 1 and "keys.env:1:" in r.stdout, r.stdout + r.stderr
    assert list(markers.iterdir()) == []


# -- each lock holds on its own --------------------------------------------------------------


def _lazy_fetch(repo: Path, argv: list[str], env: dict[str, str]) -> None:
    subprocess.run([*argv, "cat-file", "-p", "HEAD:a.txt"], cwd=repo, env=env, capture_output=True)


def test_each_lock_alone_stops_the_fetch(tmp_path: Path, markers: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a.txt": "one\n"})
    arm_promisor(repo, markers)
    drop(repo, "HEAD:a.txt")
    launcher = Git(str(repo)).argv()
    full = safe_env()
    assert full["GIT_NO_LAZY_FETCH"] == "1" and full["GIT_ALLOW_PROTOCOL"] == ""
    for name in TRANSPORTS:
        assert f"protocol.{name}.allow=never" in SAFE_CONFIG
    bare = {k: v for k, v in full.items() if k not in ("GIT_NO_LAZY_FETCH", "GIT_ALLOW_PROTOCOL")}
    # the -c settings alone (per-transport denial outranks the repository's protocol.ext.allow)
    _lazy_fetch(repo, launcher, bare)
    # GIT_ALLOW_PROTOCOL alone, with the repository's config in force
    _lazy_fetch(repo, ["git"], bare | {"GIT_ALLOW_PROTOCOL": ""})
    # GIT_NO_LAZY_FETCH alone (git 2.39.4 and later)
    _lazy_fetch(repo, ["git"], bare | {"GIT_NO_LAZY_FETCH": "1"})
    assert list(markers.iterdir()) == []
    _lazy_fetch(repo, ["git"], bare)  # and with none of them, the command runs
    assert [p.name for p in markers.iterdir()] == ["transport-r"]
