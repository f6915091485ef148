"""The GitHub Action, run here the way the runner runs a composite action (no GitHub needed).

action.yml is parsed, every ``run:`` step is run with bash and its ``env:`` (``${{ inputs.* }}``,
``${{ steps.*.outputs.* }}`` and ``${{ steps.*.outcome }}`` filled in as the runner would), with
GITHUB_WORKSPACE, GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY, RUNNER_TEMP and a fresh GITHUB_OUTPUT
per step, in the workspace as working directory.  ``if:`` and ``continue-on-error:`` are obeyed.
The ``uses:`` steps stand in for GitHub's actions: ``actions/cache/restore`` and
``actions/cache/save`` keep entries in a folder (``cache``; restored as hard links), and ``upload-sarif`` succeeds, or
fails as it does on a fork (``upload_fails``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from helpers import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
UPLOAD = "github/codeql-action/upload-sarif@"


@dataclass
class Run:
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    action_outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def uploaded(self) -> bool:
        return self.outcomes.get("upload") == "success"


def _value(expr: str, inputs: dict[str, str], run: Run) -> str:
    m = re.fullmatch(r"inputs\.([\w-]+)", expr)
    if m:
        return inputs[m.group(1)]
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
    if m:
        return run.outputs.get(m.group(1), {}).get(m.group(2), "")
    m = re.fullmatch(r"steps\.([\w-]+)\.outcome", expr)
    if m:
        return run.outcomes.get(m.group(1), "")
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


def _uses(step: dict[str, Any], inputs: dict[str, str], run: Run, cache: Path, fails: bool):
    """A ``uses:`` step: (exit code, outputs)."""
    action, given = (
        step["uses"],
        {k: _subst(str(v), inputs, run) for k, v in step.get("with", {}).items()},
    )
    if action.startswith(UPLOAD):
        assert given["sarif_file"] and given["checkout_path"], given
        return (1 if fails else 0), {}
    name, _, version = action.partition("@")
    assert version == "v4", action
    entry = cache / given["key"]
    if name == "actions/cache/restore":
        if not entry.is_dir():
            return 0, {"cache-primary-key": given["key"]}
        shutil.rmtree(given["path"], ignore_errors=True)
        # hard links: a restore costs no copying (Python replaces a .pyc, never writes into one)
        shutil.copytree(entry, given["path"], symlinks=True, copy_function=os.link)
        return 0, {"cache-hit": "true", "cache-primary-key": given["key"]}
    if name == "actions/cache/save":
        if entry.exists():  # GitHub refuses to overwrite an entry
            return 1, {}
        shutil.copytree(given["path"], entry, symlinks=True)
        return 0, {}
    raise AssertionError(f"action.yml uses an action this runner does not know: {action}")


def git_head(repo: Path) -> str:
    r = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return r.stdout.strip()


def run_action(
    tmp: Path,
    workspace: Path,
    event_name: str,
    event: dict[str, Any],
    *,
    cache: Path,
    upload_fails: bool = False,
    only: tuple[str, ...] = (),
    action_path: Path = ROOT,
    env: dict[str, str] | None = None,
    **given: str,
) -> Run:
    """Run action.yml's steps (``only``: just the steps with those ids) in ``workspace``."""
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    inputs.update({k.replace("_", "-"): v for k, v in given.items()})
    runner = tmp / "runner"
    runner.mkdir(parents=True, exist_ok=True)
    event_path = runner / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    summary = runner / "summary.md"
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "INPUT_", "VIRTUAL_ENV", "PRE_COMMIT", "RUNNER_"))
    }
    base_env.update(
        GITHUB_ACTIONS="true",
        CI="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event_path),
        GITHUB_SHA=git_head(workspace),
        GITHUB_ACTION_PATH=str(action_path),
        GITHUB_STEP_SUMMARY=str(summary),
        RUNNER_TEMP=str(runner),
    )
    base_env.update(env or {})
    run, failed = Run(), False
    for i, step in enumerate(ACTION["runs"]["steps"]):
        sid = step.get("id", f"step{i}")
        if (only and sid not in only) or not _condition(step.get("if"), failed, inputs, run):
            run.skipped.append(sid)
            continue
        if "uses" in step:
            code, outputs = _uses(step, inputs, run, cache, upload_fails)
            run.codes[sid], run.outputs[sid] = code, outputs
        else:
            assert "${{" not in step["run"], f"{sid}: expressions belong in env:, not in run:"
            assert step["shell"] == "bash"
            out_file = runner / f"output-{sid}"
            out_file.write_text("", encoding="utf-8")
            step_env = {k: _subst(str(v), inputs, run) for k, v in step.get("env", {}).items()}
            r = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=workspace,
                env=base_env | step_env | {"GITHUB_OUTPUT": str(out_file)},
                capture_output=True,
                text=True,
                timeout=600,
            )
            run.codes[sid], run.logs[sid] = r.returncode, r.stdout + r.stderr
            run.outputs[sid] = _read_outputs(out_file)
        run.outcomes[sid] = "success" if run.codes[sid] == 0 else "failure"
        failed = failed or (run.codes[sid] != 0 and not step.get("continue-on-error"))
    run.action_outputs = {k: _subst(v["value"], inputs, run) for k, v in ACTION["outputs"].items()}
    run.summary = summary.read_text(encoding="utf-8") if summary.is_file() else ""
    return run
