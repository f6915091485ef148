"""``lekk git``: a repository's whole history, or the commits of a range."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from scanner.commands.common import (
    Output,
    jobs_option,
    load_config_and_rules,
    output_options,
    report,
    warn,
)


@click.command()
@click.argument("repo", required=False, metavar="[REPO]")
@click.argument("rev_range", required=False, metavar="[RANGE]")
@click.option(
    "--since-commit",
    metavar="SHA",
    help="Scan only commits after SHA (SHA..HEAD, or SHA..REF with --branch).",
)
@click.option(
    "--branch",
    "branches",
    multiple=True,
    metavar="REF",
    help="Scan only history reachable from REF (repeatable; default: every ref).",
)
@jobs_option("Worker processes for large histories (default: half the cores).")
@output_options
def git(
    repo: str | None,
    rev_range: str | None,
    since_commit: str | None,
    branches: tuple[str, ...],
    jobs: int | None,
    config_file: str | None,
    **kw: Any,
) -> int:
    """Scan the history of a git repository (default: the current one).

    Every commit reachable from any branch, tag or other ref is covered; each distinct blob is
    read once.  A finding names the commit that first introduced the value (sha, author, date,
    subject), whether the tip of the default branch still holds it, which refs reach it, and
    the other paths and commits that carry the same value.

    RANGE (A..B) or --since-commit SHA scan only what those commits add: use them in CI.
    Reading the repository never runs its hooks, filters or other configured programs.
    """
    from scanner.engine import Engine
    from scanner.errors import ConfigError
    from scanner.scan import ScanResult, finish
    from scanner.sources.git import attribute, history, parallel, scan
    from scanner.sources.git.progress import Progress

    out = Output.from_kwargs(kw)
    if repo and rev_range is None and ".." in repo and not os.path.isdir(repo):
        repo, rev_range = None, repo
    where = repo or "."
    if rev_range and since_commit:
        raise ConfigError("give either RANGE or --since-commit, not both")
    info = history.open_repo(where)
    g = info.git
    if rev_range:
        if "..." in rev_range or ".." not in rev_range:
            raise ConfigError(f"{rev_range!r}: RANGE must look like A..B (commits in B, not in A)")
        a, b = rev_range.split("..", 1)
        spec = [f"^{history.resolve(g, a or 'HEAD')}", history.resolve(g, b or "HEAD")]
    elif since_commit:
        heads = [history.resolve(g, r) for r in branches or ("HEAD",)]
        spec = [f"^{history.resolve(g, since_commit)}", *heads]
    elif branches:
        spec = [history.resolve(g, r) for r in branches]
    else:
        spec = ["--all"]
    cfg, rules = load_config_and_rules(config_file, [Path(where)])
    say = warn(out.quiet)
    warnings: list[str] = []

    def note(msg: str) -> None:
        warnings.append(msg)
        say(msg)

    if info.shallow:
        note(
            f"{where}: shallow clone: history before the shallow boundary is missing, so the "
            "scan is partial and the oldest commits present may be credited with older "
            "content"
        )
    progress = Progress(not out.quiet, "git")
    jobs = jobs or parallel.default_jobs()
    hs = scan.scan_history(info, spec, Engine(rules), note, progress, jobs)
    result = finish([f for f, _ in hs.found], cfg, ScanResult(warnings=warnings))
    head = history.default_head(g) if result.findings else None
    findings = attribute.attribute(hs.found, result.findings, hs.holders, g, head)
    props = {
        "partial_history": info.shallow,
        "git": {
            "repository": str(
                Path(info.git_dir).parent if info.git_dir.endswith("/.git") else info.git_dir
            ),
            "range": rev_range
            or (f"{since_commit}..{','.join(branches) or 'HEAD'}" if since_commit else None),
            "refs": list(branches) or (["--all"] if spec == ["--all"] else []),
            "shallow": info.shallow,
            "default_branch": head[0] if head else None,
            "commits": hs.commits,
            "blobs": hs.blobs,
        },
    }
    return report(
        findings,
        out,
        command="git",
        rules=rules,
        warnings=warnings,
        files=hs.blobs,
        nbytes=hs.bytes,
        dropped=result.dropped,
        properties=props,
    )
