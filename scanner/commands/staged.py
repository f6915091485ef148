"""``lekk staged``: what is about to be committed (the index), for a pre-commit hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scanner.commands.common import Output, load_config_and_rules, output_options, report, warn


@click.command()
@click.argument("repo", required=False, default=".", metavar="[REPO]")
@output_options
def staged(repo: str, config_file: str | None, **kw: Any) -> int:
    """Scan the staged changes of a repository (default: the current one).

    Reads the staged blobs from the index, not the working-tree files (which may differ), and
    reports paths and lines as they will be committed.  Only values the staged version adds
    are reported: one already in HEAD's version of the file is history (see 'lekk git').
    Inside a git hook, GIT_DIR and GIT_INDEX_FILE are honoured.
    """
    from scanner.engine import Engine
    from scanner.scan import ScanResult, finish
    from scanner.sources.git import scan
    from scanner.sources.git import staged as staged_source
    from scanner.sources.git.cmd import Git, hook_env

    out = Output.from_kwargs(kw)
    g = Git(repo, hook_env(), gitpython=False)  # GitPython's import: +30-50 ms, docs/git.md
    entries = staged_source.entries(g)
    cfg, rules = load_config_and_rules(config_file, [Path(repo)])
    say = warn(out.quiet)
    warnings: list[str] = []

    def note(msg: str) -> None:
        warnings.append(msg)
        say(msg)

    engine = Engine(rules)
    raw = scan.scan_blobs(g, entries, engine, note) if entries else []
    for msg in engine.timeouts:
        note(msg)
    result = finish(raw, cfg, ScanResult(warnings=warnings))
    return report(
        result.findings,
        out,
        command="staged",
        rules=rules,
        warnings=warnings,
        files=len(entries),
        dropped=result.dropped,
    )
