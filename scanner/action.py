"""The GitHub Action's scan step (``python -I -m scanner.action``), kept in Python to be testable.

Reads the action's inputs from ``INPUT_*`` environment variables (action.yml passes them through
``env:``, never through ``${{ }}`` in a script), decides what to scan from the event, runs lekk with
``--format sarif``, writes the job summary and the step outputs.  It exits 0 whatever it found:
the action's last step fails the job from the ``outcome`` output, after the SARIF is uploaded.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.action_summary import failure, summary, worst_level
from scanner.errors import SourceError
from scanner.sources.git.cmd import Git

MODES = ("files", "history", "pull-request")
FAIL_ON = ("error", "warning", "never")
ZEROS = "0" * 40
# Options the step sets itself (the report it reads back); `args` must leave them alone.
STEP_OPTIONS = ("--format", "--output", "--sarif-category", "--exit-zero")


@dataclass(frozen=True)
class Plan:
    """What to scan: lekk arguments (None: nothing to scan) and a sentence saying what and why."""

    args: tuple[str, ...] | None
    what: str
    error: str | None = None


def _git(root: Path, *args: str) -> str | None:
    """git's output on the checkout; None on failure.  Started like every git lekk runs: no
    configured program, no fetch (``sources.git.cmd``)."""
    try:
        code, out, _ = Git(str(root)).run_status(*args)
    except SourceError:
        return None
    return out.decode("utf-8", "replace").strip() if code == 0 else None


def _has_commit(root: Path, sha: str) -> bool:
    return bool(sha) and sha != ZEROS and _git(root, "cat-file", "-e", f"{sha}^{{commit}}") == ""


def _pull_request(root: Path, event: Mapping[str, Any]) -> Plan:
    pr = event.get("pull_request") or {}
    base, head = (pr.get("base") or {}).get("sha", ""), (pr.get("head") or {}).get("sha", "")
    if not base or not head:
        return Plan(None, "", "the event file has no pull_request.base.sha/head.sha")
    for name, sha in (("base", base), ("head", head)):
        if not _has_commit(root, sha):
            return Plan(
                None,
                "",
                f"the pull request's {name} commit {sha[:12]} is not in the "
                "checkout: use actions/checkout with fetch-depth: 0",
            )
    n = pr.get("commits")
    count = f"the {n} commit(s)" if isinstance(n, int) else "the commits"
    return Plan(
        ("git", ".", f"{base}..{head}"), f"{count} this pull request adds ({base[:7]}..{head[:7]})"
    )


def _push(root: Path, event: Mapping[str, Any], sha: str) -> Plan:
    after = event.get("after") or sha
    if event.get("deleted") or not after or after == ZEROS:
        return Plan(None, "nothing to scan: the push deleted a branch or tag")
    before = event.get("before") or ""
    if before == after:
        return Plan(None, "nothing to scan: the push added no commits")
    if before and before != ZEROS and _has_commit(root, before):
        return Plan(
            ("git", ".", f"{before}..{after}"), f"the pushed commits ({before[:7]}..{after[:7]})"
        )
    why = (
        "a new branch"
        if not before or before == ZEROS
        else (f"a force-push (the old tip {before[:7]} is gone)")
    )
    default = (event.get("repository") or {}).get("default_branch")
    if default and event.get("ref") != f"refs/heads/{default}":
        for ref in (f"refs/remotes/origin/{default}", f"refs/heads/{default}"):
            base = _git(root, "merge-base", ref, after)
            if base and base != after:
                return Plan(
                    ("git", ".", f"{base}..{after}"),
                    f"{why}: the commits not on {default} ({base[:7]}..{after[:7]})",
                )
    return Plan(("git", ".", "--branch", after), f"{why}: the whole history of {after[:7]}")


def plan(mode: str, event_name: str, event: Mapping[str, Any], root: Path, sha: str) -> Plan:
    if mode == "files":
        return Plan(("scan", "."), "the files in the checkout")
    if mode == "history":
        return Plan(("git", "."), "the whole git history (every branch and tag)")
    if event_name in ("pull_request", "pull_request_target"):
        return _pull_request(root, event)
    if event_name == "push":
        return _push(root, event, sha)
    return Plan(("git", "."), f"the whole git history ({event_name or 'this'} event has no range)")


def _outputs(path: str | None, values: Mapping[str, str]) -> None:
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for k, v in values.items():
            fh.write(f"{k}={' '.join(str(v).splitlines())}\n")


def _empty_sarif(dest: Path, category: str, note: str) -> None:
    from scanner.reporters import ReportContext
    from scanner.reporters.sarif import build

    text, _ = build([], ReportContext(command="git", sarif_category=category, warnings=(note,)))
    dest.write_text(text, encoding="utf-8")


def verdict(doc: Mapping[str, Any], fail_on: str) -> tuple[str, str]:
    results = doc["runs"][0]["results"]
    dropped = int((doc["runs"][0].get("properties") or {}).get("dropped", 0))
    total = len(results) + dropped
    worst = worst_level(results)
    failing = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}[fail_on]
    if worst in failing:
        return "fail", f"{total} finding(s), worst level {worst} (fail-on: {fail_on})"
    return "pass", f"{total} finding(s)" + (f", worst level {worst}" if worst else "")


def extra_args(text: str) -> list[str]:
    """The ``args`` input as lekk arguments; ValueError naming an option the step sets itself."""
    args = shlex.split(text)
    for arg in args:
        name = arg.split("=", 1)[0] if arg.startswith("--") else None
        if arg.startswith("-") and not name:  # a cluster of short options: -qv, -o FILE, -cX
            flags = arg[1:]
            end = min((flags.index(c) for c in "cj" if c in flags), default=len(flags))
            name = "-o" if "o" in flags[:end] else None
        if name in (*STEP_OPTIONS, "-o"):
            raise ValueError(
                f"args must not set {name}: the action sets it (use the sarif-file and "
                "category inputs, and fail-on)"
            )
    return args


def sarif_path(env: Mapping[str, str], workspace: Path, mode: str) -> Path:
    """The ``sarif-file`` input (relative to the workspace), by default outside the checkout:
    a report left in the workspace would be scanned by the next lekk run in the job."""
    given = env.get("INPUT_SARIF_FILE", "").strip()
    if given:
        return workspace / given
    temp = env.get("RUNNER_TEMP", "").strip() or tempfile.gettempdir()
    return Path(temp) / "lekk" / f"lekk-{mode}.sarif"


def run(env: Mapping[str, str]) -> dict[str, str]:
    """Do the step's work; return the step outputs (also the test's entry point)."""
    mode = env.get("INPUT_MODE", "files").strip() or "files"
    fail_on = env.get("INPUT_FAIL_ON", "error").strip() or "error"
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    root = (workspace / (env.get("INPUT_PATH", "").strip() or ".")).resolve()
    category = env.get("INPUT_CATEGORY", "").strip() or f"lekk/{mode}"
    out = {"findings": "0", "sarif-file": "", "checkout-path": str(root)}
    if mode not in MODES:
        return out | {
            "outcome": "fail",
            "reason": f"mode must be one of {', '.join(MODES)}, not {mode!r}",
        }
    if fail_on not in FAIL_ON:
        return out | {
            "outcome": "fail",
            "reason": f"fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}",
        }
    if not root.is_dir():
        return out | {"outcome": "fail", "reason": f"path {root} is not a directory"}
    try:
        extra = extra_args(env.get("INPUT_ARGS", ""))
    except ValueError as exc:
        return out | {"outcome": "fail", "reason": f"args: {exc}"}
    sarif = sarif_path(env, workspace, mode)
    event: dict[str, Any] = {}
    if env.get("GITHUB_EVENT_PATH") and Path(env["GITHUB_EVENT_PATH"]).is_file():
        event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    p = plan(mode, env.get("GITHUB_EVENT_NAME", ""), event, root, env.get("GITHUB_SHA", ""))
    if p.error:
        return out | {"outcome": "fail", "reason": p.error}
    sarif.parent.mkdir(parents=True, exist_ok=True)
    if p.args is None:
        print(f"lekk: {p.what}")
        _empty_sarif(sarif, category, p.what)
    else:
        # -I: isolated mode, so the checkout (the working directory) cannot shadow lekk
        cmd = [
            sys.executable,
            "-I",
            "-m",
            "scanner",
            *p.args,
            "--format",
            "sarif",
            "-o",
            str(sarif),
            "--sarif-category",
            category,
            "--exit-zero",
            *extra,
        ]
        print(f"lekk: scanning {p.what}\n$ lekk {shlex.join(cmd[4:])}", flush=True)
        rc = subprocess.run(cmd, cwd=root, check=False).returncode
        if rc != 0 or not sarif.is_file():
            return out | {
                "outcome": "fail",
                "reason": f"lekk stopped with exit code {rc}; see the message above",
            }
    doc = json.loads(sarif.read_text(encoding="utf-8"))
    outcome, reason = verdict(doc, fail_on)
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
            fh.write(summary(doc, what=p.what, outcome=outcome, reason=reason))
    return out | {
        "findings": str(len(doc["runs"][0]["results"])),
        "sarif-file": str(sarif),
        "outcome": outcome,
        "reason": reason,
    }


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    try:
        outputs = run(env)
    except (OSError, ValueError) as exc:  # a broken event file, an unwritable output ...
        outputs = {
            "findings": "0",
            "sarif-file": "",
            "outcome": "fail",
            "reason": f"the scan step failed: {exc}",
        }
    _outputs(env.get("GITHUB_OUTPUT"), outputs)
    print(f"lekk: {outputs.get('reason', '')}")
    if not outputs.get("sarif-file") and env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
            fh.write(failure(outputs.get("reason", "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
