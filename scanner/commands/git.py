"""``lekk git``: a repository's whole history, or the commits of a range."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from scanner.commands.common import (
    Output,
    exclude_option,
    execute,
    jobs_option,
    load_config_and_rules,
    output_options,
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
@exclude_option("Do not report findings at paths matching GLOB (repeatable), e.g. 'vendor/**'.")
@jobs_option("Worker processes for large histories (default: half the cores).")
@output_options
def git(
    repo: str | None,
    rev_range: str | None,
    since_commit: str | None,
    branches: tuple[str, ...],
    exclude: tuple[str, ...],
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
    from scanner.sources.git.source import HistorySource

    out = Output.from_kwargs(kw)
    if repo and rev_range is None and ".." in repo and not os.path.isdir(repo):
        repo, rev_range = None, repo
    where = repo or "."
    source = HistorySource(
        where, rev_range, since_commit, branches, progress=not out.quiet, jobs=jobs
    )
    cfg, rules = load_config_and_rules(config_file, [Path(where)])
    return execute(source, out, cfg, rules, jobs, exclude)
