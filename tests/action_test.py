"""The GitHub Action, run here the way the runner runs a composite action (no GitHub needed).

action.yml is parsed, every ``run:`` step is run with bash and its ``env:`` (``${{ inputs.* }}`` and
``${{ steps.*.outputs.* }}`` filled in as the runner would), with GITHUB_WORKSPACE,
GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY and a fresh GITHUB_OUTPUT per step.  Only the ``uses:``
upload step is skipped; its condition is still evaluated.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROOT
from sarif_checks import check, fake, load, where

from scanner.action import ZEROS, plan
from scanner.cli import COMMANDS

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
needs_git = pytest.mark.skipif(
    "git" not in COMMANDS, reason="`lekk git` (issue 3) is not on this branch yet"
)


# -- a small composite-action runner ----------------------------------------------------------


@dataclass
class Run:
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    action_outputs: dict[str, str] = field(default_factory=dict)


def _value(expr: str, inputs: dict[str, str], run: Run) -> str:
    m = re.fullmatch(r"inputs\.([\w-]+)", expr)
    if m:
        return inputs[m.group(1)]
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
    if m:
        return run.outputs.get(m.group(1), {}).get(m.group(2), "")
    raise AssertionError(f"action.yml uses an expression this runner does not know: {expr}")


def _subst(text: str, inputs: dict[str, str], run: Run) -> str:
    return _EXPR.sub(lambda m: _value(m.group(1), inputs, run), text)


def _condition(cond: str | None, failed: bool, inputs: dict[str, str], run: Run) -> bool:
    if cond is None:
        return not failed
    ok = "always()" in cond or not failed
    for term in (t.strip() for t in cond.split("&&")):
        if term in ("always()", "success()"):
            continue
        m = re.fullmatch(r"([\w.-]+) (==|!=) '([^']*)'", term)
        assert m, f"unknown condition term in action.yml: {term}"
        value = _value(m.group(1), inputs, run)
        ok = ok and ((value == m.group(3)) == (m.group(2) == "=="))
    return ok


def _read_outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def run_action(
    tmp: Path, workspace: Path, event_name: str, event: dict[str, Any], **given: str
) -> Run:
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    inputs.update({k.replace("_", "-"): v for k, v in given.items()})
    (tmp / "runner").mkdir(exist_ok=True)
    event_path = tmp / "runner" / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "INPUT_", "VIRTUAL_ENV", "PRE_COMMIT"))
    }
    base_env.update(
        GITHUB_ACTIONS="true",
        CI="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event_path),
        GITHUB_SHA=git(workspace, "rev-parse", "HEAD"),
        GITHUB_ACTION_PATH=str(ROOT),
        GITHUB_STEP_SUMMARY=str(tmp / "runner" / "summary.md"),
        RUNNER_TEMP=str(tmp / "runner"),
    )
    run, failed = Run(), False
    for i, step in enumerate(ACTION["runs"]["steps"]):
        sid = step.get("id", f"step{i}")
        if not _condition(step.get("if"), failed, inputs, run):
            run.skipped.append(sid)
            continue
        if "uses" in step:
            assert step["uses"].startswith("github/codeql-action/upload-sarif@"), step
            run.skipped.append("upload (would run)")
            continue
        assert "${{" not in step["run"], f"{sid}: expressions belong in env:, not in run:"
        assert step["shell"] == "bash"
        out_file = tmp / "runner" / f"output-{sid}"
        out_file.write_text("", encoding="utf-8")
        env = base_env | {k: _subst(str(v), inputs, run) for k, v in step.get("env", {}).items()}
        env["GITHUB_OUTPUT"] = str(out_file)
        r = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        run.codes[sid], run.logs[sid] = r.returncode, r.stdout + r.stderr
        run.outputs[sid] = _read_outputs(out_file)
        failed = failed or r.returncode != 0
    run.action_outputs = {k: _subst(v["value"], inputs, run) for k, v in ACTION["outputs"].items()}
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
def test_pull_request_scans_only_the_added_commits(tmp_path: Path, pr_repo: dict) -> None:
    repo = pr_repo["repo"]
    run = run_action(
        tmp_path,
        repo,
        "pull_request",
        _pr_event(pr_repo["base"], pr_repo["head"]),
        mode="pull-request",
    )
    assert run.codes["install"] == 0, run.logs["install"]
    assert run.codes["scan"] == 0, run.logs["scan"]
    assert run.outputs["scan"]["outcome"] == "fail"
    assert run.codes["verdict"] == 1 and "1 finding(s), worst level error" in run.logs["verdict"]
    assert "upload (would run)" in run.skipped
    sarif = Path(run.action_outputs["sarif-file"])
    assert run.action_outputs["findings"] == "1" and sarif == repo / "lekk.sarif"
    raw = sarif.read_bytes()
    doc_run = check(load(sarif), category="lekk/pull-request")
    (res,) = doc_run["results"]  # the old leak on main is not in the pull request's range
    assert where(res) == ("sagapay-api-key", "app/config.env", 2)
    assert res["properties"]["commit"]["sha"] == pr_repo["leak"]
    summary = (tmp_path / "runner" / "summary.md").read_text(encoding="utf-8")
    assert (
        "sagapay-api-key" in summary and "`app/config.env:2` in " + pr_repo["leak"][:12] in summary
    )
    assert "https://sagapay-docs.pages.dev/guides/getting-started/authentication" in summary
    assert f"{pr_repo['base'][:7]}..{pr_repo['head'][:7]}" in summary
    for secret in (pr_repo["new"], pr_repo["old"]):
        assert secret.encode() not in raw and secret not in summary


def test_files_mode_with_fail_on_never_passes_and_reports_everything(
    tmp_path: Path, pr_repo: dict
) -> None:
    repo = pr_repo["repo"]
    run = run_action(
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
    doc_run = check(load(repo / "out" / "lekk.sarif"), category="secrets")
    assert sorted(where(r) for r in doc_run["results"]) == [
        ("sagapay-api-key", "app/config.env", 2),
        ("sagapay-api-key", "old.env", 1),
    ]
    summary = (tmp_path / "runner" / "summary.md").read_text(encoding="utf-8")
    assert "lekk: 2 finding(s), worst level error" in summary


def test_bad_input_fails_the_job_with_a_reason(tmp_path: Path, pr_repo: dict) -> None:
    run = run_action(tmp_path, pr_repo["repo"], "push", {}, mode="everything")
    assert run.codes["scan"] == 0
    assert run.codes["verdict"] == 1
    assert "mode must be one of files, history, pull-request" in run.logs["verdict"]
    summary = (tmp_path / "runner" / "summary.md").read_text(encoding="utf-8")
    assert "lekk could not scan" in summary and "mode must be one of" in summary
    assert "upload (would run)" not in run.skipped and run.action_outputs["sarif-file"] == ""


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
    upload = next(s for s in ACTION["runs"]["steps"] if "uses" in s)
    assert upload["if"].startswith("always()")
    assert ACTION["runs"]["steps"][-1]["if"] == "always()"


@needs_git
def test_push_of_a_new_branch_scans_the_commits_not_on_the_default_branch(
    tmp_path: Path, pr_repo: dict
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
    run = run_action(tmp_path, repo, "push", event, mode="pull-request", fail_on="warning")
    assert run.codes["scan"] == 0, run.logs["scan"]
    assert run.codes["verdict"] == 1
    (res,) = check(load(repo / "lekk.sarif"), category="lekk/pull-request")["results"]
    assert where(res) == ("sagapay-api-key", "app/config.env", 2)
    summary = (tmp_path / "runner" / "summary.md").read_text(encoding="utf-8")
    assert "a new branch: the commits not on main" in summary
