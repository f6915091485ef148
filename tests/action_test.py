"""The GitHub Action, run the way the runner runs a composite action (tests/action_runner.py).

Every run here restores the session's one install of lekk from the emulated actions/cache
(``first_action_run`` in conftest.py installs it), so only that first run builds a virtualenv.
"""

from __future__ import annotations

import html.parser
import json
import os
import platform
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from action_runner import ACTION, Run
from action_runner import run_action as _run_action
from conftest import FirstRun
from helpers import ROOT
from hostile import arm_promisor, git_without_no_lazy_fetch, init
from hostile import commit as hostile_commit
from sarif_checks import check, fake, load, where

from scanner.action import ZEROS, plan
from scanner.cli import COMMANDS

needs_git = pytest.mark.skipif(
    "git" not in COMMANDS, reason="`lekk git` (issue 3) is not on this branch yet"
)


@pytest.fixture
def action(action_cache: Path, installed_lekk: Path):  # type: ignore[no-untyped-def]
    """``run_action`` with the session's cache, where lekk is installed already."""

    def run(tmp: Path, workspace: Path, event_name: str, event: dict[str, Any], **kw: Any) -> Run:
        return _run_action(tmp, workspace, event_name, event, cache=action_cache, **kw)

    return run


# -- repositories --------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
    }
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def pr_repo(tmp_path: Path) -> dict[str, Any]:
    """main: an old leak then a clean commit; feature: a new leak, then a clean commit."""
    repo = tmp_path / "work"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    old, new = fake("spk_live_"), fake("spk_live_")
    commit(repo, {"old.env": f"SAGAPAY_API_KEY={old}\n"}, "old leak")
    base = commit(repo, {"README.md": "hello\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    leak = commit(repo, {"app/config.env": f"# SagaPay\nSAGAPAY_API_KEY={new}\n"}, "add config")
    head = commit(repo, {"app/main.py": "print('hi')\n"}, "clean")
    return {"repo": repo, "base": base, "leak": leak, "head": head, "old": old, "new": new}


def _pr_event(base: str, head: str) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "commits": 2,
            "base": {"sha": base, "ref": "main"},
            "head": {"sha": head, "ref": "feature"},
        },
    }


# -- the action end to end -----------------------------------------------------------------


@needs_git
def test_pull_request_scans_only_the_added_commits(tmp_path: Path, pr_repo: dict, action) -> None:
    repo = pr_repo["repo"]
    event = _pr_event(pr_repo["base"], pr_repo["head"])
    run = action(tmp_path, repo, "pull_request", event, mode="pull-request")
    assert run.codes["install"] == 0, run.logs["install"]
    assert run.codes["scan"] == 0, run.logs["scan"]
    assert run.outputs["scan"]["outcome"] == "fail"
    assert run.codes["verdict"] == 1 and "1 finding(s), worst level error" in run.logs["verdict"]
    assert run.uploaded
    sarif = Path(run.action_outputs["sarif-file"])
    assert run.action_outputs["findings"] == "1"
    # by default outside the checkout, where no later scan in the job reads it
    assert sarif == tmp_path / "runner" / "lekk" / "lekk-pull-request.sarif"
    raw = sarif.read_bytes()
    doc_run = check(load(sarif), category="lekk/pull-request")
    (res,) = doc_run["results"]  # the old leak on main is not in the pull request's range
    assert where(res) == ("sagapay-api-key", "app/config.env", 2)
    assert res["properties"]["commit"]["sha"] == pr_repo["leak"]
    summary = run.summary
    assert "<code>app/config.env:2</code> in <code>" + pr_repo["leak"][:12] in summary
    assert "(add config)" in summary  # the commit's subject
    assert 'href="https://sagapay-docs.pages.dev/guides/getting-started/authentication"' in summary
    assert f"{pr_repo['base'][:7]}..{pr_repo['head'][:7]}" in summary
    for secret in (pr_repo["new"], pr_repo["old"]):
        assert secret.encode() not in raw and secret not in summary


def test_files_mode_with_fail_on_never_passes_and_reports_everything(
    tmp_path: Path, pr_repo: dict, action
) -> None:
    repo = pr_repo["repo"]
    run = action(
        tmp_path,
        repo,
        "push",
        {"before": ZEROS, "after": pr_repo["head"]},
        mode="files",
        fail_on="never",
        sarif_file="out/lekk.sarif",
        category="secrets",
    )
    assert run.codes["scan"] == 0, run.logs["scan"]
    assert run.codes["verdict"] == 0, run.logs["verdict"]
    assert run.action_outputs["findings"] == "2"
    assert run.action_outputs["sarif-file"] == str(repo / "out" / "lekk.sarif")
    doc_run = check(load(repo / "out" / "lekk.sarif"), category="secrets")
    assert sorted(where(r) for r in doc_run["results"]) == [
        ("sagapay-api-key", "app/config.env", 2),
        ("sagapay-api-key", "old.env", 1),
    ]
    assert "lekk: 2 finding(s), worst level error" in run.summary


def test_bad_input_fails_the_job_with_a_reason(tmp_path: Path, pr_repo: dict, action) -> None:
    run = action(tmp_path, pr_repo["repo"], "push", {}, mode="everything")
    assert run.codes["scan"] == 0
    assert run.codes["verdict"] == 1
    assert "mode must be one of files, history, pull-request" in run.logs["verdict"]
    assert "lekk could not scan" in run.summary and "mode must be one of" in run.summary
    assert "upload" in run.skipped and run.action_outputs["sarif-file"] == ""


# -- install: pinned, cached, and never from the checkout ------------------------------------


def _pins() -> dict[str, str]:
    lines = (ROOT / "action-constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = [x.split("==") for x in lines if x.strip() and not x.startswith("#")]
    return {name.lower(): version for name, version in pins}


def test_the_install_is_exactly_the_pinned_versions(installed_lekk: Path) -> None:
    r = subprocess.run(
        [str(installed_lekk), "-I", "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    have = {p["name"].lower(): p["version"] for p in json.loads(r.stdout)}
    have.pop("lekk"), have.pop("pip")
    assert have == _pins()
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for req in backend["build-system"]["requires"]:  # the build backend is pinned too
        assert re.split(r"[<>=!~ ]", req)[0].lower() in _pins(), req


def test_the_install_is_cached_and_restored(
    tmp_path: Path, first_action_run: FirstRun, action
) -> None:
    first = first_action_run.run
    assert first.outputs["restore"].get("cache-hit") != "true"  # the session's cache was empty
    assert "installed with the pinned versions" in first.logs["install"]
    assert first.outputs["install"]["fresh"] == "true" and first.codes["save"] == 0
    # Saved before the scan: this job failed (a leak), and the next run still finds the install.
    assert first.codes["verdict"] == 1
    work = tmp_path / "work"
    shutil.copytree(first_action_run.workspace, work, symlinks=True)
    run = action(tmp_path, work, "push", {}, mode="files")
    assert run.outputs["restore"]["cache-hit"] == "true"
    assert "installed from the cache" in run.logs["install"], run.logs["install"]
    assert "fresh" not in run.outputs["install"] and "save" in run.skipped
    assert run.action_outputs["findings"] == "1" and run.codes["verdict"] == 1


def _copy_action(dest: Path) -> Path:
    dest.mkdir()
    for name in ("action-constraints.txt", "pyproject.toml", "hatch_build.py"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("scanner", "rules"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_the_cache_key_follows_python_the_pins_and_lekks_source(tmp_path: Path, action) -> None:
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)

    def key(action_path: Path, name: str) -> str:
        run = action(tmp_path / name, work, "push", {}, only=("key",), action_path=action_path)
        assert run.codes["key"] == 0, run.logs["key"]
        return run.outputs["key"]["key"]

    for name in ("a", "b", "c", "d"):
        (tmp_path / name).mkdir()
    here = key(ROOT, "a")
    copy = _copy_action(tmp_path / "copy")
    assert key(copy, "b") == here
    assert f"-{platform.python_version()}-" in here and "," not in here and len(here) < 512
    (copy / "rules" / "sagapay.toml").write_text(
        (copy / "rules" / "sagapay.toml").read_text() + "\n", encoding="utf-8"
    )
    assert key(copy, "c") != here
    shutil.copytree(ROOT / "rules", copy / "rules", dirs_exist_ok=True)
    with (copy / "action-constraints.txt").open("a", encoding="utf-8") as fh:
        fh.write("# a new pin\n")
    assert key(copy, "d") != here


def test_a_checkout_that_shadows_python_modules_runs_nothing(first_action_run: FirstRun) -> None:
    """The first run installed lekk (``python -m venv``, ``pip``) and scanned, with the checkout
    as working directory and a ``venv``, ``pip`` and ``scanner`` package of its own there."""
    run = first_action_run.run
    assert sorted(p.name for p in first_action_run.markers.iterdir()) == []
    assert {"scanner/action.py", "venv/__main__.py", "pip/__main__.py"} <= set(
        first_action_run.shadows
    )
    assert run.codes["install"] == 0 and run.codes["scan"] == 0, run.logs
    doc = load(Path(run.action_outputs["sarif-file"]))
    assert [where(r) for r in check(doc)["results"]] == [("sagapay-api-key", "app/config.env", 2)]
    assert run.codes["verdict"] == 1


@pytest.mark.parametrize("old_git", [False, True])
def test_a_missing_base_commit_is_never_fetched(tmp_path: Path, action, old_git: bool) -> None:
    """As for every entry point in git_transport_test.py: a partial clone whose promisor remote
    runs a command; the pull request's base commit is missing, and git must not fetch it."""
    markers = tmp_path / "markers"
    markers.mkdir()
    env = git_without_no_lazy_fetch(tmp_path / "old-git") if old_git else None
    repo = init(tmp_path / "work")
    head = hostile_commit(repo, {"keys.env": f"SAGAPAY_API_KEY={fake('spk_live_')}\n"})
    arm_promisor(repo, markers)
    absent = "1234567" * 5 + "89abc"
    event = {"pull_request": {"base": {"sha": absent}, "head": {"sha": head}}}
    run = action(tmp_path, repo, "pull_request", event, env=env, mode="pull-request")
    assert run.codes["verdict"] == 1 and "fetch-depth: 0" in run.logs["verdict"], run.logs
    assert list(markers.iterdir()) == []


# -- upload, args, reports -------------------------------------------------------------------


def test_a_refused_upload_does_not_fail_the_job_and_the_summary_says_so(
    tmp_path: Path, pr_repo: dict, action
) -> None:
    """A pull request from a fork (read-only token), or code scanning not enabled."""
    run = action(
        tmp_path, pr_repo["repo"], "push", {}, mode="files", fail_on="never", upload_fails=True
    )
    assert run.codes["upload"] == 1 and run.codes["not-uploaded"] == 0
    assert run.codes["verdict"] == 0, run.logs["verdict"]  # the verdict is lekk's alone
    assert "was not uploaded to code scanning" in run.summary
    assert "a pull request from a fork" in run.summary
    ok = action(tmp_path / "ok", pr_repo["repo"], "push", {}, mode="files", fail_on="never")
    assert ok.uploaded and "not uploaded" not in ok.summary


@pytest.mark.parametrize("mode", ["files", "history", "pull-request"])
def test_args_apply_in_every_mode(tmp_path: Path, pr_repo: dict, action, mode: str) -> None:
    event = _pr_event(pr_repo["base"], pr_repo["head"])
    run = action(
        tmp_path, pr_repo["repo"], "pull_request", event, mode=mode, args="--exclude 'app/**'"
    )
    assert run.codes["scan"] == 0, run.logs["scan"]
    results = check(load(Path(run.action_outputs["sarif-file"])))["results"]
    want = [] if mode == "pull-request" else [("sagapay-api-key", "old.env", 1)]
    assert [where(r) for r in results] == want, run.logs["scan"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ("--format json", "--format"),
        ("--output=x.json", "--output"),
        ("-qo x.json", "-o"),
        ("--sarif-category mine", "--sarif-category"),
        ("--exit-zero", "--exit-zero"),
    ],
)
def test_args_that_change_the_report_the_step_reads_are_refused(
    tmp_path: Path, pr_repo: dict, action, args: str, option: str
) -> None:
    run = action(tmp_path, pr_repo["repo"], "push", {}, mode="files", args=args)
    assert run.codes["verdict"] == 1 and "scan" not in run.skipped
    assert f"args must not set {option}: the action sets it" in run.logs["verdict"]
    assert run.action_outputs["sarif-file"] == ""


def test_lekks_own_report_is_not_a_finding_in_the_next_mode(
    tmp_path: Path, pr_repo: dict, action
) -> None:
    """History first, its SARIF written into the checkout; then the files: only the two leaks."""
    repo = pr_repo["repo"]
    first = action(tmp_path / "a", repo, "push", {}, mode="history", sarif_file="lekk.sarif")
    assert first.action_outputs["findings"] == "2" and (repo / "lekk.sarif").is_file()
    run = action(tmp_path / "b", repo, "push", {}, mode="files", sarif_file="lekk-files.sarif")
    results = check(load(repo / "lekk-files.sarif"))["results"]
    assert sorted(where(r) for r in results) == [
        ("sagapay-api-key", "app/config.env", 2),
        ("sagapay-api-key", "old.env", 1),
    ], run.logs["scan"]


# -- what a push or pull request event scans (no lekk run needed) ----------------------------


def test_push_ranges(tmp_path: Path, pr_repo: dict) -> None:
    repo, base, leak, head = (pr_repo[k] for k in ("repo", "base", "leak", "head"))
    git(repo, "update-ref", "refs/remotes/origin/main", base)
    info = {"repository": {"default_branch": "main"}, "ref": "refs/heads/feature"}
    p = plan("pull-request", "push", {**info, "before": leak, "after": head}, repo, head)
    assert p.args == ("git", ".", f"{leak}..{head}")
    # A new branch: the commits not on the default branch.
    p = plan("pull-request", "push", {**info, "before": ZEROS, "after": head}, repo, head)
    assert p.args == ("git", ".", f"{base}..{head}") and "new branch" in p.what
    # A force-push whose old tip is gone: the same, and it says why.
    gone = "1234567" * 5 + "89abc"
    p = plan("pull-request", "push", {**info, "before": gone, "after": head}, repo, head)
    assert p.args == ("git", ".", f"{base}..{head}") and "force-push" in p.what
    # A new history pushed to the default branch: all of it.
    main = {"repository": {"default_branch": "main"}, "ref": "refs/heads/main"}
    p = plan("pull-request", "push", {**main, "before": ZEROS, "after": head}, repo, head)
    assert p.args == ("git", ".", "--branch", head)
    # A deleted branch: nothing, and it says so.
    p = plan("pull-request", "push", {**info, "deleted": True, "after": ZEROS}, repo, head)
    assert p.args is None and "nothing to scan" in p.what


def test_pull_request_without_full_history_says_how_to_fix_it(pr_repo: dict) -> None:
    event = _pr_event("f" * 40, pr_repo["head"])
    p = plan("pull-request", "pull_request", event, pr_repo["repo"], pr_repo["head"])
    assert p.args is None and p.error and "fetch-depth: 0" in p.error


def test_action_passes_inputs_through_env_only() -> None:
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")
    assert set(ACTION["inputs"]) == {
        "path",
        "mode",
        "args",
        "sarif-file",
        "upload",
        "fail-on",
        "category",
    }
    steps = {s["id"]: s for s in ACTION["runs"]["steps"]}
    assert steps["upload"]["if"].startswith("always()")
    assert steps["upload"]["continue-on-error"] is True  # a refused upload is not lekk's verdict
    assert ACTION["runs"]["steps"][-1]["if"] == "always()"
    started = 0
    for step in steps.values():  # every Python the action starts runs in isolated mode
        for m in re.finditer(r'"\$\w+" (-\S*)', step.get("run", "")):
            assert m.group(1) == "-I", (step["id"], m.group(0))
            started += 1
    assert started == 6


@needs_git
def test_push_of_a_new_branch_scans_the_commits_not_on_the_default_branch(
    tmp_path: Path, pr_repo: dict, action
) -> None:
    repo = pr_repo["repo"]
    git(repo, "update-ref", "refs/remotes/origin/main", pr_repo["base"])
    event = {
        "ref": "refs/heads/feature",
        "before": ZEROS,
        "after": pr_repo["head"],
        "created": True,
        "repository": {"default_branch": "main"},
    }
    run = action(tmp_path, repo, "push", event, mode="pull-request", fail_on="warning")
    assert run.codes["scan"] == 0, run.logs["scan"]
    assert run.codes["verdict"] == 1
    sarif = Path(run.action_outputs["sarif-file"])
    (res,) = check(load(sarif), category="lekk/pull-request")["results"]
    assert where(res) == ("sagapay-api-key", "app/config.env", 2)
    assert "a new branch: the commits not on main" in run.summary


# -- the job summary: scanned content never renders -----------------------------------------

HOSTILE_NAMES = (
    "<img src=x onerror=alert(1)>.env",
    "[link](javascript:alert(1)).env",
    "`code` | pipe |.env",
    "<details open>.env",
    "new\nline.env",
)
HOSTILE_SUBJECT = "<img src=x onerror=alert(2)> [x](javascript:alert(3)) `rm -rf` | <details>"
HOSTILE_SOURCE = "<img src=x onerror=alert(4)>.ts"


class _Rendered(html.parser.HTMLParser):
    """What GitHub's renderer made of the summary: the elements, links, rows and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.rows: list[int] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag == "tr":
            self.rows.append(0)
        if tag in ("td", "th"):
            self.rows[-1] += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _render(summary: str) -> _Rendered:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # GitHub's own Markdown renderer, with raw HTML passed through (GitHub then sanitises it;
    # the summary must be safe before that)
    page = _Rendered()
    page.feed(cmarkgfm.github_flavored_markdown_to_html(summary, options=Options.CMARK_OPT_UNSAFE))
    return page


@pytest.mark.parametrize("mode", ["files", "history"])
def test_the_summary_renders_no_markup_from_scanned_content(
    tmp_path: Path, action, mode: str
) -> None:
    repo = tmp_path / "work"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    files = {name: f"# SagaPay\nSAGAPAY_API_KEY={fake('spk_live_')}\n" for name in HOSTILE_NAMES}
    source_map = {
        "version": 3,
        "mappings": "",
        "sources": [f"webpack:///{HOSTILE_SOURCE}"],
        "sourcesContent": [f"// SagaPay\nconst SAGAPAY_API_KEY = '{fake('spk_live_')}';\n"],
    }
    files["dist/app.js.map"] = json.dumps(source_map)
    commit(repo, files, HOSTILE_SUBJECT)
    run = action(tmp_path, repo, "push", {}, mode=mode, fail_on="never")
    assert run.codes["scan"] == 0, run.logs["scan"]
    findings = int(run.action_outputs["findings"])
    assert findings >= len(HOSTILE_NAMES) + (mode == "files"), run.logs["scan"]
    page = _render(run.summary)
    assert not {"img", "details", "summary", "script"} & set(page.tags), page.tags
    assert page.hrefs and all(h.startswith("https://") for h in page.hrefs), page.hrefs
    assert len(set(page.rows)) == 1 and page.rows[0] == 4, page.rows  # no pipe split a row
    shown = "".join(page.text)
    for name in HOSTILE_NAMES:
        assert name.replace("\n", " ") in shown, name
    if mode == "files":
        assert f"original source {HOSTILE_SOURCE}:2" in shown
    else:
        assert HOSTILE_SUBJECT in shown
