"""``sources.git.early``: ``lekk git``'s blob stream started before the CLI is imported.

The guess reads the command line without click, so it must know ``lekk git``'s options exactly
(a value option taken for a flag would make its value the repository), start only for the
whole-history stream, and never leave a git process behind when the command fails before the
stream is read.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from git_builder import Repo
from helpers import lekk, lekk_json, processes_naming

from scanner.sources.git import early


def test_the_guess_knows_every_option_of_lekk_git() -> None:
    from scanner.commands.git import git

    value, flag = set(), set()
    for p in git.params:
        opts = {*p.opts, *getattr(p, "secondary_opts", ())}
        if p.param_type_name == "option":
            (flag if getattr(p, "is_flag", False) else value).update(opts)
    assert early.VALUE_OPTIONS | (early.OTHER_STREAM & value) == value
    assert flag == early.FLAG_OPTIONS
    assert value | flag >= early.OTHER_STREAM


@pytest.mark.parametrize(
    ("args", "repo"),
    [
        ([], "."),
        (["REPO"], "REPO"),
        (["REPO", "--format", "json", "-o", "out.json", "--quiet"], "REPO"),
        (["--format=sarif", "-c", "cfg.toml", "REPO", "--no-color"], "REPO"),
        (["-o", "REPO", "OTHER"], "OTHER"),  # -o takes REPO as its value
        (["REPO", "A..B"], None),  # a range
        (["A..B"], None),
        (["REPO", "--branch", "main"], None),
        (["REPO", "--since-commit", "abc"], None),
        (["REPO", "--jobs", "4"], None),
        (["REPO", "-j4"], None),
        (["REPO", "--help"], None),
        (["REPO", "-qv"], None),  # a cluster of flags: click's to read
        (["REPO", "--format"], None),  # a value missing
        (["--", "REPO"], None),
        (["REPO", "--no-such-option"], None),
    ],
)
def test_which_command_lines_start_the_stream(args: list[str], repo: str | None) -> None:
    assert early.repository(args) == repo


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_command_that_fails_after_the_guess_leaves_no_git_behind(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    for i in range(30):  # more than the pipe holds: cat-file would wait for a reader
        repo.commit(f"c{i}", {f"f{i}.txt": base64.b64encode(os.urandom(300_000)).decode()})
    bad = tmp_path / "bad.toml"
    bad.write_text("this is [ not toml")
    r = lekk("git", str(repo.path), "--config", str(bad))
    assert r.returncode == 2, r.stderr
    assert "bad.toml" in r.stderr and "Traceback" not in r.stderr
    assert processes_naming(str(repo.path), "git", wait=5) == []


def test_the_guessed_stream_finds_what_the_click_path_finds(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    value = base64.b64encode(os.urandom(16)).decode()
    added = repo.commit("add", {"vipps/settings.py": f'CLIENT_SECRET = "{value}"\n'})
    repo.commit("remove", {"vipps/settings.py": "CLIENT_SECRET = os.environ['X']\n"})
    guessed = lekk_json("git", str(repo.path))
    clicked = lekk_json("git", str(repo.path), "--jobs", "1")  # not guessed
    assert guessed["findings"] == clicked["findings"]
    found = [(f["rule"], f["path"], f["line"], f["secret"]) for f in guessed["findings"]]
    assert found == [("vipps-client-secret", "vipps/settings.py", 1, value)]
    assert guessed["findings"][0]["commit"]["sha"] == added
