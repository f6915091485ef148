"""``lekk staged``: what is about to be committed (the index), for a pre-commit hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scanner.commands.common import (
    Output,
    exclude_option,
    execute,
    load_config_and_rules,
    output_options,
)


@click.command()
@click.argument("repo", required=False, default=".", metavar="[REPO]")
@exclude_option("Do not report findings at paths matching GLOB (repeatable), e.g. 'vendor/**'.")
@output_options
def staged(repo: str, exclude: tuple[str, ...], config_file: str | None, **kw: Any) -> int:
    """Scan the staged changes of a repository (default: the current one).

    Reads the staged blobs from the index, not the working-tree files (which may differ), and
    reports paths and lines as they will be committed.  Only values the staged version adds
    are reported: one already in HEAD's version of the file is history (see 'lekk git').
    Inside a git hook, GIT_DIR and GIT_INDEX_FILE are honoured.
    """
    from scanner.sources.git.source import StagedSource

    out = Output.from_kwargs(kw)
    source = StagedSource(repo)
    cfg, rules = load_config_and_rules(config_file, [Path(repo)])
    return execute(source, out, cfg, rules, excludes=exclude, targets=[repo])
