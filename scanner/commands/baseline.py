"""``lekk baseline``: record today's findings, so later scans with ``--baseline`` report only new ones."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.baseline import FILENAME
from scanner.commands.common import config_option, exclude_option, jobs_option


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "-f",
    "--file",
    "file",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Baseline file (default: {FILENAME} in the first PATH, or here).",
)
@click.option(
    "--update",
    is_flag=True,
    help="Drop entries that no longer match a finding and keep the rest; add nothing new.",
)
@exclude_option("Skip paths matching GLOB (repeatable), as for `lekk scan`.")
@jobs_option()
@config_option()
@click.option("-q", "--quiet", is_flag=True, help="No warnings or summary on stderr.")
def baseline(
    paths: tuple[str, ...],
    file: str | None,
    update: bool,
    exclude: tuple[str, ...],
    jobs: int | None,
    config_file: str | None,
    quiet: bool,
) -> int:
    """Write the current findings of PATHS (default: .) to a baseline file.

    `lekk scan PATHS --baseline FILE` (and every scanning command) then reports only findings
    that are not in it.  An entry is the rule, the path and a hash of the secret salted with the
    baseline's own random salt (kept by --update and by writing the file again) - no raw secret,
    no line number, no timestamp - so it survives edits, rebases and squash merges, and a
    different secret on the same line is still reported.  Scan the same PATHS as you baselined:
    paths in the file are relative to them.

    \b
    Examples:
      lekk baseline                      # writes ./.lekk-baseline.json
      lekk scan --baseline .lekk-baseline.json
      lekk baseline --update             # forget entries whose finding is gone
    """
    from scanner import baseline as bl
    from scanner import pipeline
    from scanner.commands.common import load_config_and_rules, warn
    from scanner.sources.tree import FileSource

    targets = list(paths) or ["."]
    first = Path(targets[0])
    target = Path(file) if file else (first if first.is_dir() else Path(".")) / FILENAME
    say = warn(quiet)
    known = bl.load(target) if update else bl.reuse(target)
    roots = [Path(p) for p in targets if p != "-"] or [Path.cwd()]
    cfg, rules = load_config_and_rules(config_file, roots)
    source = FileSource(targets, [*cfg.exclude, *exclude, _rel_glob(target, first)])
    result = pipeline.run(source, pipeline.Settings(tuple(rules), cfg, jobs=jobs), warn=say)
    if update:
        kept, gone, new = bl.prune(known, result.findings)
        bl.write(target, kept)
        n = len(kept.entries)
        msg = f"{target}: kept {n} entr{'y' if n == 1 else 'ies'}, dropped {len(gone)}"
        if new:
            msg += f"; {new} new finding(s) not added (run `lekk baseline` to accept them)"
    else:
        written = known.of(result.findings)
        bl.write(target, written)
        n = len(written.entries)
        msg = f"{target}: wrote {n} entr{'y' if n == 1 else 'ies'}"
    if not quiet:
        click.echo(f"lekk: {msg}", err=True)
    return 0


def _rel_glob(target: Path, root: Path) -> str:
    """The baseline file itself is not scanned."""
    try:
        return target.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return target.name
