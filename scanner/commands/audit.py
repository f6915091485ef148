"""``lekk audit``: the whole history of many repositories, on Dask (``pip install 'lekk[audit]'``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

import click

from scanner.commands.common import config_option

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$", re.I)


def _size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """``512MiB``, ``2GB``, ``1073741824``: bytes."""
    m = _SIZE.match(str(value))
    if m is None:
        raise click.BadParameter(f"{value!r} is not a size (e.g. 512MiB, 2GB)")
    power = " KMGT".index(m.group(2).upper() or " ")
    return int(float(m.group(1)) * 1024**power)


@click.command()
@click.argument("repos", nargs=-1, metavar="[REPO|URL ...]")
@click.option(
    "--from",
    "lists",
    multiple=True,
    metavar="FILE",
    help="Read repositories from FILE, one path or URL a line ('-': stdin).",
)
@click.option(
    "--results",
    "results_dir",
    type=click.Path(file_okay=False),
    default="lekk-audit",
    show_default=True,
    help="Folder for the reports (resumable: a re-run skips what is done and unchanged).",
)
@click.option(
    "--cache",
    default="~/.cache/lekk/audit",
    show_default=True,
    metavar="DIR",
    help="Where each worker keeps its bare mirrors (on the worker's machine).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Send the tasks to this Dask scheduler (tcp://HOST:PORT) instead of an embedded one.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Embedded cluster: worker processes (default: one per core).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=3600.0,
    show_default=True,
    help="Seconds per repository (clone or update, and scan).",
)
@click.option(
    "--memory-limit",
    callback=_size,
    metavar="SIZE",
    default="2GiB",
    show_default=True,
    help="Memory one repository's scan may use.",
)
@click.option(
    "--max-repo-size",
    callback=_size,
    metavar="SIZE",
    default="5GiB",
    show_default=True,
    help="Repositories larger than this on disk are not scanned.",
)
@click.option("--rescan", is_flag=True, help="Scan every repository again, changed or not.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="The combined report's format; html: one page, a section per repository (needs "
    "Jinja2: pip install 'lekk[html]').",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the combined report to FILE.",
)
@config_option("Config file for every repository (a repository's own config is never used).")
@click.option(
    "--verify", is_flag=True, help="Check each credential with its provider (see docs/verify.md)."
)
@click.option(
    "--show-secrets",
    is_flag=True,
    help="Keep secrets whole in the per-repository JSON reports (redacted by default).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line or warnings on stderr.")
def audit(
    repos: tuple[str, ...],
    lists: tuple[str, ...],
    results_dir: str,
    cache: str,
    scheduler: str | None,
    workers: int | None,
    timeout: float,
    memory_limit: int,
    max_repo_size: int,
    rescan: bool,
    fmt: str,
    output: str | None,
    config_file: str | None,
    verify: bool,
    show_secrets: bool,
    exit_zero: bool,
    quiet: bool,
) -> int:
    """Audit the whole history of many repositories (paths or clone URLs), one Dask task each.

    Each repository is cloned as a bare mirror into the cache (or updated there) without running
    anything it configures, then scanned exactly as `lekk git` scans it, within --timeout and
    --memory-limit.  Reports are written to --results as each finishes: a JSON and a SARIF report
    per repository and index.json.  An interrupted audit resumes; a re-run skips repositories
    whose refs have not changed.  A repository that fails is reported with its reason and never
    stops the others.  See docs/audit.md.

    \b
    Examples:
      lekk audit ../shop-a ../shop-b https://git.example.no/pay/plugin.git
      lekk audit --from repos.txt --workers 8
      lekk audit --from repos.txt --scheduler tcp://10.0.0.5:8786
      lekk audit --from repos.txt --format html -o audit.html

    Exit codes: 0 no findings, 1 findings, 2 usage error or every repository failed, 130
    interrupted (Ctrl-C; what was recorded is kept: run the same command again to resume).
    """
    from scanner.audit import repos as repos_mod
    from scanner.audit import run, scan, summary, task
    from scanner.commands.common import warn
    from scanner.reporters import require

    require(fmt)  # before the audit: an HTML report needs Jinja2
    plan = run.Plan(
        repos=repos_mod.read_list(repos, lists),
        results=Path(results_dir),
        cache=cache,
        settings=scan.settings_doc(config_file, verify, show_secrets),
        limits=task.Limits(seconds=timeout, memory=memory_limit, repo_bytes=max_repo_size),
        scheduler=scheduler,
        workers=workers,
        rescan=rescan,
    )
    say = warn(quiet)
    results = run.run(plan, say, progress=not quiet)
    rows = summary.entries(results, [r.slug for r in plan.repos])

    def write(out: TextIO) -> None:
        if fmt == "html":
            with scan.configured(plan.settings) as (_, rules):
                summary.write_html(rows, results, out, rules)
        else:
            (summary.write_json if fmt == "json" else summary.write_text)(rows, results, out)

    if output:
        with open(output, "w", encoding="utf-8") as fh:
            write(fh)
    else:
        write(sys.stdout)
    t = summary.totals(rows)
    if t["findings"] and not exit_zero:
        return 1
    return 2 if t["failed"] and t["failed"] == t["repositories"] else 0
