"""``lekk scan``: files and directories."""

from __future__ import annotations

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
@click.argument("paths", nargs=-1, type=click.Path())
@exclude_option()
@jobs_option()
@output_options
def scan(
    paths: tuple[str, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    config_file: str | None,
    **kw: Any,
) -> int:
    """Scan files and directories (default: the current directory; '-' reads stdin).

    Skips .git/, binary files (by content) and symlinks found while walking.
    Reads archives (.zip .jar .apk .ipa .whl .tgz ...) member by member and source maps
    source by source; follows bundles' sourceMappingURL (see docs/bundles.md).
    """
    from scanner.sources.tree import FileSource

    out = Output.from_kwargs(kw)
    targets = list(paths) or ["."]
    roots = [Path(p) for p in targets if p != "-"] or [Path.cwd()]
    cfg, rules = load_config_and_rules(config_file, roots)
    source = FileSource(targets, [*cfg.exclude, *exclude])
    return execute(source, out, cfg, rules, jobs, exclude, targets=targets)
