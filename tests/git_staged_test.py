"""``lekk staged``: the index, not the working tree; paths and lines as they will be committed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from git_builder import Repo, fake_secret
from helpers import lekk, lekk_json


def test_staged_content_not_working_tree(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    staged, unstaged = fake_secret(), fake_secret()
    repo.stage({"conf/app.env": f"# app\nDEBUG=0\nSAGAPAY_API_SECRET={staged}\n"})
    repo.write(
        {
            "conf/app.env": f"SAGAPAY_API_SECRET={unstaged}\n",  # edited after `git add`
            "untracked.env": f"SAGAPAY_API_SECRET={fake_secret()}\n",
        }
    )
    report = lekk_json("staged", cwd=repo.path)
    assert [(f["rule"], f["path"], f["line"], f["secret"]) for f in report["findings"]] == [
        ("sagapay-api-secret", "conf/app.env", 3, staged)
    ]
    assert report["command"] == "staged"
    # run from a subdirectory: paths stay relative to the top of the work tree
    sub = repo.path / "conf"
    assert lekk_json("staged", cwd=sub)["findings"][0]["path"] == "conf/app.env"


def test_staged_reports_only_values_the_change_adds(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    old, new = fake_secret(), fake_secret()
    repo.commit("old", {"a.env": f"SAGAPAY_API_SECRET={old}\n"})
    repo.stage({"a.env": f"SAGAPAY_API_SECRET={old}\nOTHER_SECRET={new}\nX=1\n"})
    r = lekk("staged", "--format", "json", "--show-secrets", cwd=repo.path)
    assert r.returncode == 1
    assert [(f["path"], f["line"], f["secret"]) for f in json.loads(r.stdout)["findings"]] == [
        ("a.env", 2, new)
    ]
    repo.stage({"a.env": f"X=1\nSAGAPAY_API_SECRET={old}\n"})  # moved, not added
    r = lekk("staged", cwd=repo.path)
    assert r.returncode == 0, r.stdout


def test_staged_before_first_commit_and_nothing_staged(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    assert lekk("staged", cwd=repo.path).returncode == 0
    secret = fake_secret()
    repo.stage({"k.env": f"SAGAPAY_API_SECRET={secret}\n"})
    report = lekk_json("staged", cwd=repo.path)
    assert [(f["path"], f["line"], f["secret"]) for f in report["findings"]] == [
        ("k.env", 1, secret)
    ]
    repo.commit("commit it")
    assert lekk("staged", cwd=repo.path).returncode == 0  # nothing staged any more


def test_staged_in_a_real_pre_commit_hook(tmp_path: Path) -> None:
    """git runs the hook with GIT_INDEX_FILE (and for `commit -a`/`commit PATH` a temporary
    index): lekk must read the index git is about to commit, and stop the commit."""
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"a.env": "X=1\n"})
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(
        f"#!/bin/sh\nenv | grep -q '^GIT_INDEX_FILE=' || exit 9\n"
        f"exec {sys.executable} -m scanner staged --quiet\n"
    )
    hook.chmod(0o755)
    secret = fake_secret()
    (repo.path / "a.env").write_text(f"X=1\nSAGAPAY_API_SECRET={secret}\n")
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="K",
        GIT_AUTHOR_EMAIL="k@example.invalid",
        GIT_COMMITTER_NAME="K",
        GIT_COMMITTER_EMAIL="k@example.invalid",
    )
    # `commit -a` stages into a temporary index named by GIT_INDEX_FILE only
    r = subprocess.run(
        ["git", "commit", "-a", "-m", "leak"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0, r.stdout + r.stderr
    assert "a.env:2:" in r.stdout + r.stderr
    (repo.path / "a.env").write_text("X=2\n")
    r = subprocess.run(
        ["git", "commit", "-a", "-m", "fine"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_hook_environment_does_not_redirect_lekk_git(tmp_path: Path) -> None:
    """A hook's GIT_DIR/GIT_INDEX_FILE point at the committing repository; `lekk git OTHER` must
    still read OTHER."""
    other = Repo(tmp_path / "other")
    secret = fake_secret()
    other.commit("add", {"k.env": f"SAGAPAY_API_SECRET={secret}\n"})
    here = Repo(tmp_path / "here")
    here.commit("init", {"README.md": "x\n"})
    env = dict(
        os.environ,
        GIT_DIR=str(here.path / ".git"),
        GIT_WORK_TREE=str(here.path),
        GIT_INDEX_FILE=str(here.path / ".git" / "index"),
    )
    r = lekk("git", str(other.path), "--format", "json", "--show-secrets", env=env)
    assert r.returncode == 1, r.stderr
    assert [f["secret"] for f in json.loads(r.stdout)["findings"]] == [secret]


def test_staged_does_not_import_gitpython_but_git_does(tmp_path: Path) -> None:
    """`lekk staged` keeps to plain subprocess: GitPython's import would cost 30-50 ms of its
    150 ms budget (docs/git.md).  `lekk git` goes through GitPython."""
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    repo.stage({"a.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    imported = {}
    for mode in ("staged", "git"):
        r = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "scanner", mode, "--quiet"],
            cwd=repo.path,
            capture_output=True,
            text=True,
        )
        assert r.returncode == (1 if mode == "staged" else 0), r.stderr
        imported[mode] = {
            line.split("|")[-1].strip()
            for line in r.stderr.splitlines()
            if line.startswith("import time:")
        }
    assert "git.cmd" not in imported["staged"] and "git.repo.base" not in imported["staged"]
    assert {"git.cmd", "git.repo.base"} <= imported["git"]


def _hook(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-m", "scanner.hooks", "pre-commit", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _git(repo: Path, *args: str) -> str:
    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return r.stdout


def _names_git_lists(repo: Path) -> int:
    """What the hook ran before it read the index itself: the count it must still say."""
    out = _git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMRTUXB")
    return len(out.splitlines())


def test_hook_says_how_many_files_git_diff_lists(tmp_path: Path) -> None:
    """The pre-commit hook counts the staged files from the index it scans: the same number
    `git diff --cached --name-only --diff-filter=ACMRTUXB` gives, whatever is staged (an empty
    file, a deletion, a rename, a submodule, before the first commit)."""
    repo = Repo(tmp_path / "r")
    repo.stage({"a.env": f"SAGAPAY_API_SECRET={fake_secret()}\n", "empty.txt": ""})
    counts = [(_names_git_lists(repo.path), _hook(repo.path))]  # no commit yet
    repo.commit("init", {"keep.txt": "k\n", "old.txt": "o\n", "gone.txt": "g\n"})
    sha = _git(repo.path, "rev-parse", "HEAD").strip()
    repo.stage({"keep.txt": "k2\n", "new.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    _git(repo.path, "mv", "old.txt", "moved.txt")
    _git(repo.path, "rm", "-q", "gone.txt")
    _git(repo.path, "update-index", "--add", "--cacheinfo", f"160000,{sha},sub")
    counts.append((_names_git_lists(repo.path), _hook(repo.path)))
    repo.commit("all")
    _git(repo.path, "rm", "-q", "keep.txt")  # a deletion only: nothing to scan
    counts.append((_names_git_lists(repo.path), _hook(repo.path)))
    assert [n for n, _ in counts] == [2, 4, 0]  # (what the repository is built to hold)
    for (n, r), leak in zip(counts, ("a.env:1:20:", "new.env:1:20:", None), strict=True):
        said = r.stdout.splitlines()[0]
        if leak:
            assert said == f"lekk: scanning the staged content of {n} file(s)", r.stdout
            assert r.returncode == 1 and f"{leak} error sagapay-api-secret" in r.stdout
        else:
            assert said == "lekk: nothing staged to scan (no added or changed files)"
            assert r.returncode == 0


def _click(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lekk`` through the click CLI itself (``lekk staged`` takes a short cut without it)."""
    code = "import sys\nfrom scanner.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=repo, capture_output=True, text=True
    )


def _imported(cmd: list[str], cwd: Path) -> set[str]:
    r = subprocess.run(
        [sys.executable, "-I", "-X", "importtime", *cmd], cwd=cwd, capture_output=True, text=True
    )
    assert r.returncode == 1 and "app.py:1:" in r.stdout, r.stdout + r.stderr
    return {x.split("|")[-1].strip() for x in r.stderr.splitlines() if "import time:" in x}


def test_staged_and_the_hook_run_without_the_cli(tmp_path: Path) -> None:
    """`lekk staged` and the hook parse the options a hook's `args:` give without click and
    read no archive, map or bundle module for a staged text file (start-up, docs/bench.md);
    their report and exit code are the click command's, for the options they parse and for
    those they leave to the CLI."""
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    secret = fake_secret()
    repo.stage({"app.py": f"SAGAPAY_API_SECRET = '{secret}'\n", "skip/b.env": f"S={secret}\n"})
    (repo.path / "lekk.toml").write_text('[allowlist]\npaths = ["nothing/**"]\n')
    (repo.path / "a-dir").mkdir()
    for args in (
        [],
        ["--format", "json", "--show-secrets"],
        ["--format=sarif", "-q"],
        ["-c", "lekk.toml", "--exclude", "skip/**", "--no-color", "-v"],
        ["--exit-zero", "--quiet", "-o", "report.txt"],
        ["--format", "nope"],  # click's error
        ["-qv"],  # combined flags: the CLI
        ["--config", "a-dir"],  # a folder: click's error
        ["--help"],
        ["."],
    ):
        cli = _click(repo.path, "staged", *args)
        fast = lekk("staged", *args, cwd=repo.path)
        hook = _hook(repo.path, *args)
        said, _, rest = hook.stdout.partition("\n")
        assert said == "lekk: scanning the staged content of 2 file(s)", args
        for r in (fast, subprocess.CompletedProcess(hook.args, hook.returncode, rest, hook.stderr)):
            assert (r.returncode, r.stdout, r.stderr) == (cli.returncode, cli.stdout, cli.stderr)
    heavy = {"click", "tarfile", "zipfile", "json", "scanner.cli", "scanner.sources.archives"}
    heavy |= {"scanner.sources.bundles", "scanner.sources.sourcemap", "tempfile"}
    for cmd in (["-m", "scanner.hooks", "pre-commit"], ["-m", "scanner", "staged"]):
        imported = _imported(cmd, repo.path)
        assert "scanner.engine" in imported and not heavy & imported, (cmd, heavy & imported)
