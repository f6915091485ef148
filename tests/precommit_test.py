"""The pre-commit hooks, run by the real pre-commit against a repository built here.

The hook repository is a git copy of this checkout (its tracked and new files, committed), so
``rev:`` names a real commit and the hooks run the code under test.  One PRE_COMMIT_HOME serves the
whole session: pre-commit builds the hook environment (from PyPI) once.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, lekk
from hostile import plant_shadows
from sarif_checks import fake

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def _env(home: Path | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT", "VIRTUAL_ENV"))
    }
    env.update(GIT_ENV)
    if home:
        env["PRE_COMMIT_HOME"] = str(home)
    return env


def git(
    repo: Path, *args: str, env: dict[str, str] | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=600,
    )
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of this checkout: what `repo:`/`rev:` point at."""
    dest = tmp_path_factory.mktemp("lekk-hook-repo")
    if (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"],
            capture_output=True,
            check=True,
        )
        names = [n for n in listed.stdout.decode().split("\0") if n]
        for name in names:
            src = ROOT / name
            if src.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / name)
    else:
        shutil.copytree(
            ROOT,
            dest,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".venv", "*_cache", "__pycache__"),
        )
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-verify", "-m", "lekk under test")
    return dest, git(dest, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> Path:
    path, rev = hook_repo
    r = tmp_path / "work"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    config = {
        "repos": [{"repo": str(path), "rev": rev, "hooks": [{"id": "lekk"}, {"id": "lekk-push"}]}]
    }
    (r / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (r / "app.py").write_text("print('hello')\n", encoding="utf-8")
    pc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "install",
            "--hook-type",
            "pre-commit",
            "--hook-type",
            "pre-push",
        ],
        cwd=r,
        env=_env(pre_commit_home),
        capture_output=True,
        text=True,
    )
    assert pc.returncode == 0, pc.stdout + pc.stderr
    return r


def commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return git(repo, "commit", "-m", "change", *args, env=_env(home), ok=False)


def test_commit_with_a_staged_secret_is_refused(repo: Path, pre_commit_home: Path) -> None:
    secret = fake("spk_live_")
    (repo / "pay.env").write_text(f"# SagaPay\nSAGAPAY_API_KEY={secret}\n", encoding="utf-8")
    git(repo, "add", "-A")
    r = commit(repo, pre_commit_home)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "pay.env:2:" in out and "sagapay-api-key" in out
    assert "Revoke the key in SagaPay Key Management" in out
    assert secret not in out  # redacted
    assert git(repo, "rev-list", "--all").stdout == ""  # nothing was committed


def test_clean_commit_passes_and_an_empty_one_says_nothing_was_scanned(
    repo: Path, pre_commit_home: Path
) -> None:
    git(repo, "add", "-A")
    r = commit(repo, pre_commit_home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "scanning the staged content of 2 file(s)" in r.stdout + r.stderr
    r = commit(repo, pre_commit_home, "--allow-empty")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nothing staged to scan" in r.stdout + r.stderr


def test_a_secret_only_in_the_working_tree_does_not_block(
    repo: Path, pre_commit_home: Path
) -> None:
    git(repo, "add", "-A")
    assert commit(repo, pre_commit_home).returncode == 0
    secret = fake("spk_live_")
    (repo / "app.py").write_text("print('hello, world')\n", encoding="utf-8")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text(
        f"print('hello, world')\nSAGAPAY_KEY = '{secret}'\n", encoding="utf-8"
    )
    r = commit(repo, pre_commit_home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert secret in (repo / "app.py").read_text(encoding="utf-8")  # pre-commit restored it
    assert secret not in git(repo, "show", "HEAD:app.py").stdout


def test_push_of_a_commit_holding_a_secret_is_refused(
    repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "add", "-A")
    assert commit(repo, pre_commit_home).returncode == 0
    env = _env(pre_commit_home)
    r = git(repo, "push", "-q", "origin", "main", env=env, ok=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "the whole history of" in out and "the remote has none of it" in out
    secret = fake("sps_live_")
    (repo / "pay.env").write_text(f"# sagapay\nSAGAPAY_API_SECRET={secret}\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "sneak it in", env=env)
    (repo / "pay.env").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "and remove it", env=env)
    r = git(repo, "push", "-q", "origin", "main", env=env, ok=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "2 commit(s) being pushed" in out
    assert "pay.env:2:" in out and "sagapay-api-secret" in out and secret not in out
    remote_head = subprocess.run(
        ["git", "-C", str(remote), "rev-parse", "main"], capture_output=True, text=True
    ).stdout.strip()
    assert remote_head != git(repo, "rev-parse", "HEAD").stdout.strip()


# -- the project's own configuration ---------------------------------------------------------


def test_published_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["lekk"]["stages"] == ["pre-commit"] and hooks["lekk-push"]["stages"] == [
        "pre-push"
    ]
    for hid, h in hooks.items():
        assert h["pass_filenames"] is False and h["language"] == "python"
        assert "--show-secrets" not in h["entry"] and "--verify" not in h["entry"]
        # isolated mode: the repository's root, where the hook runs, is not on sys.path
        assert h["entry"] == f"python -I -m scanner.hooks {h['stages'][0]}", hid


def test_own_hook_config_matches_the_project(hook_repo: tuple[Path, str]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (local,) = config["repos"]
    assert local["repo"] == "local"
    published = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    for hook in local["hooks"]:
        assert sorted(hook["additional_dependencies"]) == sorted(project["dependencies"])
        # the same hook, but this checkout's own code (see the comment there)
        assert hook["entry"] == published[hook["id"]]["entry"].replace("python -I ", "python ")
    # With its own allowlist, the project's committed tree (rule examples and fixtures included)
    # is clean, so the self-hook does not cry wolf.
    r = lekk("scan", ".", cwd=hook_repo[0])
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_repository_that_shadows_lekk_cannot_replace_the_hook(
    repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    """The hook runs from the repository's root: a repository with its own ``scanner/``
    package (``scanner.hooks`` that would pass every commit) must not replace lekk."""
    markers = tmp_path / "markers"
    markers.mkdir()
    plant_shadows(repo, markers)
    secret = fake("spk_live_")
    (repo / "pay.env").write_text(f"# SagaPay\nSAGAPAY_API_KEY={secret}\n", encoding="utf-8")
    git(repo, "add", "-A")
    r = commit(repo, pre_commit_home)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "pay.env:2:" in out and "sagapay-api-key" in out, out
    assert sorted(p.name for p in markers.iterdir()) == []


def _plain_hook_line() -> str:
    """The line docs/pre-commit.md gives for a plain git pre-push hook."""
    doc = (ROOT / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    line = 'exec python -I -m scanner.hooks pre-push "$@"'
    assert f"`{line}`" in doc
    return line


def test_as_a_plain_git_pre_push_hook_it_reads_the_refs_from_stdin(
    tmp_path: Path, installed_lekk: Path
) -> None:
    """The documented hook line, with ``python`` where lekk is installed, in a repository that
    shadows lekk's modules."""
    repo, remote = tmp_path / "plain", tmp_path / "plain.git"
    markers = tmp_path / "markers"
    markers.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", str(remote))
    hook = repo / ".git" / "hooks" / "pre-push"
    line = _plain_hook_line().replace("exec python ", f'exec "{installed_lekk}" ', 1)
    hook.write_text(f"#!/bin/sh\n{line}\n")
    hook.chmod(0o755)
    plant_shadows(repo, markers)
    (repo / "a.py").write_text("x = 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "clean")
    env = _env()
    r = git(repo, "push", "-q", "origin", "main", env=env, ok=False)
    assert r.returncode == 0 and "the remote has none of it" in r.stdout + r.stderr, r.stderr
    secret = fake("spk_live_")
    (repo / "b.env").write_text(f"SAGAPAY_API_KEY={secret}\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "leak")
    r = git(repo, "push", "-q", "origin", "main", env=env, ok=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "b.env:1:" in out and "1 commit(s) being pushed" in out, out
    # Deleting a remote branch pushes no content: nothing to scan, and it says so.
    git(repo, "push", "-q", "--no-verify", "origin", "main:gone", env=env)
    r = git(repo, "push", "-q", "origin", ":gone", env=env, ok=False)
    assert r.returncode == 0 and "nothing to scan" in r.stdout + r.stderr, r.stderr
    assert sorted(p.name for p in markers.iterdir()) == []


def test_the_documented_setup_works_as_written(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    """docs/pre-commit.md's commands, with the reader's clone of lekk in LEKK, write a config
    that pins a commit, install the hooks, and the hooks refuse a leak."""
    doc = (ROOT / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    setup = re.search(r"## Set up\n.*?```sh\n(.*?)```", doc, re.S)
    assert setup and setup.group(1).startswith("LEKK=/path/to/lekk ")
    path, rev = hook_repo
    script = setup.group(1).replace("LEKK=/path/to/lekk", f"LEKK={shlex.quote(str(path))}", 1)
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    env = _env(pre_commit_home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # pre-commit
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env, text=True)
    assert r.returncode == 0
    config = yaml.safe_load((work / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert config["repos"][0]["repo"] == str(path) and config["repos"][0]["rev"] == rev
    assert (work / ".git" / "hooks" / "pre-push").is_file()
    secret = fake("spk_live_")
    (work / "pay.env").write_text(f"# SagaPay\nSAGAPAY_API_KEY={secret}\n", encoding="utf-8")
    git(work, "add", "-A")
    r = commit(work, pre_commit_home)
    assert r.returncode != 0 and "pay.env:2:" in r.stdout + r.stderr, r.stdout + r.stderr
